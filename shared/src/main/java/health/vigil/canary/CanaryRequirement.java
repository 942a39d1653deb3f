package health.vigil.canary;

import health.vigil.error.ValidationException;
import health.vigil.model.TrafficSlot;

/**
 * What a model's gate policy asks of the way a version that has never been stable reaches patients, as the canary
 * service reads it when an operator starts or promotes a canary (the policy's {@code requireCanary} and
 * {@code maxFirstCanaryStep}).
 *
 * @param required whether such a version reaches patients only through a canary the analysis has judged
 * @param maxFirstStep the largest first step of such a version's ramp, in basis points, while {@code required}
 */
public record CanaryRequirement(boolean required, int maxFirstStep) {
    /** No canary required: a ramp may start at any step, and a canary may be promoted by hand at any time. */
    public static final CanaryRequirement NONE = new CanaryRequirement(false, TrafficSlot.ALL);

    /**
     * What a gate policy's settings ask: {@link #NONE} without {@code requireCanary}, whatever its cap, which is read
     * only with it.
     */
    public static CanaryRequirement of(boolean requireCanary, int maxFirstCanaryStep) {
        return requireCanary ? new CanaryRequirement(true, maxFirstCanaryStep) : NONE;
    }

    public CanaryRequirement {
        if (maxFirstStep < 1 || maxFirstStep > TrafficSlot.ALL) {
            throw new ValidationException("the largest first step of a canary is " + maxFirstStep
                    + " basis points; it lies between 1 and " + TrafficSlot.ALL);
        }
    }
}

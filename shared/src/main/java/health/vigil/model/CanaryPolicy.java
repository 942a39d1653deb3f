package health.vigil.model;

import health.vigil.error.ValidationException;

/**
 * How a canary is judged at each step (the method and its guarantee: docs/canary-analysis.md).
 *
 * @param falseRollbackRate the probability of rolling back a healthy canary over the whole ramp that the
 *        analysis may spend (split evenly over the judged steps and metrics)
 * @param minSamplePerSlot predictions each of canary and stable needs in a step's window before the step is
 *        judged; with fewer, the bake time is extended instead
 * @param flagRateMargin how far (absolute) the canary's flag rate may differ from stable's and still be healthy
 * @param missingRateMargin how much more often (absolute) the canary's rows may miss a feature than stable's
 * @param psiLimit the population stability index of the canary's scores against stable's above which a
 *        significant difference in distribution counts as a failure
 */
public record CanaryPolicy(double falseRollbackRate, int minSamplePerSlot, double flagRateMargin,
        double missingRateMargin, double psiLimit) {

    public static final CanaryPolicy DEFAULT = new CanaryPolicy(0.01, 200, 0.05, 0.02, 0.2);

    public CanaryPolicy {
        if (!(falseRollbackRate > 0 && falseRollbackRate < 0.5)) {
            throw new ValidationException("falseRollbackRate is " + falseRollbackRate + "; it must be above 0 and"
                    + " below 0.5 (for example 0.01)");
        }
        if (minSamplePerSlot < 20 || minSamplePerSlot > 1_000_000) {
            throw new ValidationException("minSamplePerSlot is " + minSamplePerSlot + "; it must be 20-1000000");
        }
        if (!(flagRateMargin >= 0 && flagRateMargin < 1)) {
            throw new ValidationException("flagRateMargin is " + flagRateMargin + "; it must be 0 or more and below 1");
        }
        if (!(missingRateMargin >= 0 && missingRateMargin < 1)) {
            throw new ValidationException("missingRateMargin is " + missingRateMargin
                    + "; it must be 0 or more and below 1");
        }
        if (!(psiLimit > 0 && psiLimit < 10)) {
            throw new ValidationException("psiLimit is " + psiLimit + "; it must be above 0 and below 10");
        }
    }
}

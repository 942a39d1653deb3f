package health.vigil.model;

import health.vigil.error.ValidationException;
import java.util.Optional;

/**
 * The canary ramp or experiment ({@code kind}) whose version took part of live traffic on the canary slot until a deploy
 * or rollback sent all of it to the stable version, as the deployment keeps it so that the revision's record, completed
 * later, says what the deploy ended.
 */
public record Displaced(int version, String kind) {
    public static final String CANARY = "canary";
    public static final String EXPERIMENT = "experiment";

    public Displaced {
        if (!CANARY.equals(kind) && !EXPERIMENT.equals(kind)) {
            throw new ValidationException("a deploy ends a canary or an experiment, not `" + kind + "`");
        }
    }

    /** What taking the canary slot of {@code deployment} off live traffic ends, unless it holds {@code version}. */
    public static Optional<Displaced> by(Deployment deployment, int version) {
        return deployment.slot(Slot.CANARY).map(TrafficSlot::version).filter(v -> v != version)
                .map(v -> new Displaced(v, deployment.runningExperiment().isPresent() ? EXPERIMENT : CANARY));
    }
}

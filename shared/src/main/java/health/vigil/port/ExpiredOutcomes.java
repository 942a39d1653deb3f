package health.vigil.port;

import java.time.Duration;
import java.time.Instant;

/**
 * The realised outcomes that go with the prediction records at the day's retention cut-off: those that label only
 * predictions made before it, and the outcome files last written before it. A port of
 * {@link health.vigil.scoring.PredictionRetention}, so that one retention run removes them under one cut-off; the
 * outcomes service implements it, and neither service depends on the other.
 */
@FunctionalInterface
public interface ExpiredOutcomes {
    /** Removes the outcomes and outcome files past {@code cutoff}; returns how many of each this call removed. */
    Removed purgeBefore(Instant cutoff, Duration retention);

    /**
     * What one call removed: stored outcomes, and files in the outcomes container. {@code outcomesExpireByTtl}: the
     * store expires outcomes by their own time to live, so {@code outcomes} is 0 and says nothing of them.
     */
    record Removed(long outcomes, int files, boolean outcomesExpireByTtl) {
        public Removed(long outcomes, int files) {
            this(outcomes, files, false);
        }
    }
}

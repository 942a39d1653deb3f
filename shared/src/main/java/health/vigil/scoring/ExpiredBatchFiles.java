package health.vigil.scoring;

import java.time.Duration;
import java.time.Instant;

/**
 * The batch files that go with the prediction records at the day's retention cut-off: those of jobs that finished
 * before it. A port of {@link PredictionRetention}, so that one retention run removes both under one cut-off.
 */
@FunctionalInterface
public interface ExpiredBatchFiles {
    /** Removes the files of every job that finished before {@code cutoff}; returns how many jobs this call purged. */
    int purgeFinishedBefore(Instant cutoff, Duration retention);
}

package health.vigil.scoring;

import java.time.Duration;
import java.time.Instant;

/**
 * The batch files that go with the prediction records at the day's retention cut-off: those of jobs that finished
 * before it, and the request files no job named that were last written before it. A port of
 * {@link PredictionRetention}, so that one retention run removes both under one cut-off.
 */
@FunctionalInterface
public interface ExpiredBatchFiles {
    /**
     * Removes the files of every job that finished before {@code cutoff}, the request files no job names, and the
     * stored requests no job was planned for; returns how many of each this call removed.
     */
    Removed purgeFinishedBefore(Instant cutoff, Duration retention);

    /**
     * What one call removed: the jobs whose files went, and the request files that went without a job; the request
     * files it kept though it had found them expired, as they were written again before it removed them; and the
     * stored requests of submissions refused before a job was planned ({@code storedRequests}).
     */
    record Removed(int jobs, int requestFiles, int requestFilesKept, int storedRequests) {
        public Removed(int jobs, int requestFiles) {
            this(jobs, requestFiles, 0);
        }

        public Removed(int jobs, int requestFiles, int requestFilesKept) {
            this(jobs, requestFiles, requestFilesKept, 0);
        }
    }
}

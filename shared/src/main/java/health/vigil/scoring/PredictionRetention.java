package health.vigil.scoring;

import health.vigil.port.PredictionLog;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Keeps the prediction log, and the request statistics kept beside it, within the retention period: deletes the
 * records older than it.
 */
public final class PredictionRetention {
    private final PredictionLog log;
    private final Duration retention;
    private final Clock clock;
    private final RequestStatsRecorder requestStats;

    public PredictionRetention(PredictionLog log, Duration retention, Clock clock) {
        this(log, retention, clock, null);
    }

    public PredictionRetention(PredictionLog log, Duration retention, Clock clock, RequestStatsRecorder requestStats) {
        this.requestStats = requestStats;
        this.log = Objects.requireNonNull(log, "log");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Deletes prediction records older than the retention period; returns how many went. */
    public long purgeExpired() {
        java.time.Instant cutoff = clock.instant().minus(retention);
        if (requestStats != null) {
            requestStats.purgeOlderThan(cutoff);
        }
        return log.purgeOlderThan(cutoff);
    }
}

package health.vigil.scoring;

import health.vigil.port.PredictionLog;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/** Keeps the prediction log within its retention period: deletes the records older than it. */
public final class PredictionRetention {
    private final PredictionLog log;
    private final Duration retention;
    private final Clock clock;

    public PredictionRetention(PredictionLog log, Duration retention, Clock clock) {
        this.log = Objects.requireNonNull(log, "log");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Deletes prediction records older than the retention period; returns how many went. */
    public long purgeExpired() {
        return log.purgeOlderThan(clock.instant().minus(retention));
    }
}

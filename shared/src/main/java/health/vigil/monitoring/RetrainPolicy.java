package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.Stage;
import health.vigil.text.Words;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * When a model's stable version should be retrained: on an alert from drift, on degraded performance, or when the
 * version is older than {@code maxModelAge}; never while a retrained candidate is on its way (registered and not yet
 * rejected, failed, deployed or retired), and at most once per {@code minInterval}. The decision is a pure function
 * of its inputs; the once-per-interval part is enforced by the caller's idempotency key ({@link #intervalOf}).
 *
 * @param onDrift request retraining when drift raised an alert
 * @param onPerformance request retraining when performance fell below the monitoring policy
 * @param maxModelAge request retraining of a stable version trained longer ago than this (null: never for age)
 * @param minInterval the shortest time between two requests for one model
 */
public record RetrainPolicy(boolean onDrift, boolean onPerformance, Duration maxModelAge, Duration minInterval) {

    public static final RetrainPolicy DEFAULTS = new RetrainPolicy(true, true, Duration.ofDays(365), Duration.ofDays(1));

    /** Stages of a newer version that mean a candidate is pending. */
    public static final Set<Stage> PENDING = Stage.ON_ITS_WAY;

    public RetrainPolicy {
        Objects.requireNonNull(minInterval, "minInterval");
        if (minInterval.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new ValidationException("the retraining interval must be at least a minute; it is " + minInterval);
        }
        if (maxModelAge != null && (maxModelAge.isNegative() || maxModelAge.isZero())) {
            throw new ValidationException("maxModelAge must be positive, or absent to retrain never for age");
        }
    }

    /**
     * Why {@code report} (of the stable slot) asks for retraining, or empty.
     *
     * @param trainedAt when the stable version was trained (its provenance)
     * @param pendingCandidate whether a newer version is registered and still on its way to production
     */
    public Optional<String> decide(MonitoringReport report, Instant trainedAt, boolean pendingCandidate, Instant now) {
        if (pendingCandidate) {
            return Optional.empty();
        }
        if (onDrift && report.severity() == MonitoringReport.Severity.ALERT && report.drifted()) {
            return Optional.of("drift alert in " + Words.count(report.driftedWindows(), "consecutive window"));
        }
        if (onPerformance && report.performanceDegraded()) {
            return Optional.of("performance below the monitoring policy");
        }
        if (maxModelAge != null && trainedAt != null && Duration.between(trainedAt, now).compareTo(maxModelAge) > 0) {
            return Optional.of("model older than " + Words.count(maxModelAge.toDays(), "day"));
        }
        return Optional.empty();
    }

    /** The interval {@code now} falls in: one retraining request per model and interval. */
    public long intervalOf(Instant now) {
        return Math.floorDiv(now.toEpochMilli(), minInterval.toMillis());
    }
}

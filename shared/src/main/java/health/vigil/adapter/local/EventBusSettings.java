package health.vigil.adapter.local;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Objects;

/**
 * Retry and threading settings of the {@link InProcessEventBus}. Delays double from {@code initialRetryDelay}
 * up to {@code maxRetryDelay}; an event is dead-lettered after {@code maxDeliveryAttempts} attempts or when
 * its next attempt would fall later than {@code eventTimeToLive} after it was published, whichever comes
 * first (Event Grid's retry policy, with shorter defaults suited to one machine).
 */
public record EventBusSettings(
        int maxDeliveryAttempts,
        Duration initialRetryDelay,
        Duration maxRetryDelay,
        Duration eventTimeToLive,
        int deliveryThreads,
        Duration drainTimeout) {

    public static final EventBusSettings DEFAULTS = new EventBusSettings(
            10, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(30), 2, Duration.ofSeconds(10));

    public EventBusSettings {
        Objects.requireNonNull(initialRetryDelay, "initialRetryDelay");
        Objects.requireNonNull(maxRetryDelay, "maxRetryDelay");
        Objects.requireNonNull(eventTimeToLive, "eventTimeToLive");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (maxDeliveryAttempts < 1 || maxDeliveryAttempts > 100) {
            throw new ValidationException("maxDeliveryAttempts is " + maxDeliveryAttempts + "; allowed range is 1-100");
        }
        if (initialRetryDelay.isNegative() || initialRetryDelay.isZero()) {
            throw new ValidationException("initialRetryDelay must be positive");
        }
        if (maxRetryDelay.compareTo(initialRetryDelay) < 0) {
            throw new ValidationException("maxRetryDelay must be at least initialRetryDelay");
        }
        if (eventTimeToLive.isNegative() || eventTimeToLive.isZero()) {
            throw new ValidationException("eventTimeToLive must be positive");
        }
        if (deliveryThreads < 1 || deliveryThreads > 64) {
            throw new ValidationException("deliveryThreads is " + deliveryThreads + "; allowed range is 1-64");
        }
        if (drainTimeout.isNegative()) {
            throw new ValidationException("drainTimeout must not be negative");
        }
    }

    /** The wait before attempt {@code failedAttempts + 1}: doubling from the initial delay, capped. */
    public Duration retryDelay(int failedAttempts) {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be at least 1");
        }
        Duration delay = initialRetryDelay;
        for (int i = 1; i < failedAttempts && delay.compareTo(maxRetryDelay) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : delay;
    }

    public EventBusSettings withRetries(int attempts, Duration initialDelay, Duration maxDelay) {
        return new EventBusSettings(attempts, initialDelay, maxDelay, eventTimeToLive, deliveryThreads, drainTimeout);
    }

    public EventBusSettings withEventTimeToLive(Duration timeToLive) {
        return new EventBusSettings(maxDeliveryAttempts, initialRetryDelay, maxRetryDelay, timeToLive, deliveryThreads, drainTimeout);
    }
}

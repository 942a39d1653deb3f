package health.vigil.model;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What one scoring instance saw of one model version in one slot during one UTC minute: rows answered, rows refused
 * with a 4xx (invalid input), rows that failed with a server error, and the latency of the answered requests. Counts
 * only: no patient, pseudonym, feature or score. Each instance writes its own record of a minute, replacing it as the
 * minute's counts grow, so a store holds at most one record per instance, version, slot and minute.
 *
 * @param instance the scoring instance that counted (a random id per process)
 */
public record SlotMinuteStats(ModelName model, int version, Slot slot, Instant minute, String instance, long answered,
        long refused, long failed, LatencyHistogram latency) {

    public SlotMinuteStats {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(minute, "minute");
        Objects.requireNonNull(instance, "instance");
        if (!minute.truncatedTo(ChronoUnit.MINUTES).equals(minute)) {
            throw new IllegalArgumentException("a minute starts on the minute: " + minute);
        }
        if (version < 1 || answered < 0 || refused < 0 || failed < 0) {
            throw new IllegalArgumentException("version and counts must be positive");
        }
        latency = latency == null ? LatencyHistogram.empty() : latency;
    }

    /** The record's key within a store: version, slot, minute and instance. */
    public String key() {
        return version + ":" + slot.name().toLowerCase(java.util.Locale.ROOT) + ":" + minute.getEpochSecond() + ":"
                + instance;
    }
}

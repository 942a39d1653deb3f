package health.vigil.model;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What one scoring instance saw of one model version in one slot during one UTC minute, under one canary step: rows
 * answered, rows refused with a 4xx (invalid input), rows that failed with a server error, and the latency of the
 * answered requests. Counts only: no patient, pseudonym, feature or score. Each instance writes its own record of a
 * minute and step, replacing it as the counts grow, so a store holds at most one record per instance, version, slot,
 * step and minute.
 *
 * @param step the step of the canary ramp whose routing served the requests, named by its start
 *        ({@link CanaryRamp#stepStartedAt()}, which every revision of the step keeps): {@link #NO_STEP} when the
 *        deployment that routed them had no running or paused ramp, null in a record whose routing is unknown (one
 *        written before steps were recorded), which a step's analysis reads by minute (ADR 0035)
 * @param instance the scoring instance that counted (a random id per process)
 */
public record SlotMinuteStats(ModelName model, int version, Slot slot, Instant step, Instant minute, String instance,
        long answered, long refused, long failed, LatencyHistogram latency) {
    /** The step of requests routed by a deployment without a running or paused canary ramp: no step's evidence. */
    public static final Instant NO_STEP = Instant.EPOCH;

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

    /**
     * The step a request routed by {@code deployment} is counted under: the start of its canary ramp's current step
     * while the ramp runs or is paused (traffic then follows the step's weights), else {@link #NO_STEP}.
     */
    public static Instant stepOf(Deployment deployment) {
        CanaryRamp ramp = deployment.canary();
        return ramp != null && ramp.status().live() ? ramp.stepStartedAt() : NO_STEP;
    }

    /**
     * The record's key within a store: version, slot, minute, instance and step; a record without a step keeps the key
     * it was written under.
     */
    public String key() {
        return version + ":" + slot.name().toLowerCase(java.util.Locale.ROOT) + ":" + minute.getEpochSecond() + ":"
                + instance + (step == null ? "" : ":" + step);
    }
}

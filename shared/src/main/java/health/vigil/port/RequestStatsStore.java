package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.SlotMinuteStats;
import java.time.Instant;
import java.util.List;

/**
 * Per-minute request counts and latency histograms of each model version and slot, written by every scoring instance
 * and read by the canary controller, so a step is judged on all instances' requests. Bounded: one record per
 * instance, version, slot and minute.
 */
public interface RequestStatsStore extends AutoCloseable {

    /** Stores each record, replacing the one with the same model and key (an instance's earlier count of the minute). */
    void upsert(List<SlotMinuteStats> records);

    /** A model's records whose minute lies in {@code [from, to)}. */
    List<SlotMinuteStats> read(ModelName model, Instant from, Instant to);

    /** Deletes records of minutes before {@code cutoff}; returns how many went. */
    long purgeOlderThan(Instant cutoff);

    @Override
    void close();
}

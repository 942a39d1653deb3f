package health.vigil.canary;

import health.vigil.model.LatencyHistogram;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import java.util.List;

/**
 * What one slot's scoring requests in a step's window amount to, summed over every instance's per-minute records:
 * rows answered, refused (4xx) and failed (server error), and the latency histogram of the answered requests.
 */
public record RequestSample(long answered, long refused, long failed, LatencyHistogram latency) {
    public static final RequestSample NONE = new RequestSample(0, 0, 0, LatencyHistogram.empty());

    /** The records of {@code slot} and {@code version}, added up. */
    public static RequestSample of(List<SlotMinuteStats> records, Slot slot, int version) {
        long answered = 0;
        long refused = 0;
        long failed = 0;
        LatencyHistogram latency = LatencyHistogram.empty();
        for (SlotMinuteStats r : records) {
            if (r.slot() == slot && r.version() == version) {
                answered += r.answered();
                refused += r.refused();
                failed += r.failed();
                latency = latency.plus(r.latency());
            }
        }
        return new RequestSample(answered, refused, failed, latency);
    }

    /** Every row that reached the slot, whatever became of it. */
    public long rows() {
        return answered + refused + failed;
    }
}

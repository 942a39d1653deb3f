package health.vigil.canary;

import health.vigil.model.LatencyHistogram;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import java.time.Instant;
import java.util.List;

/**
 * What one slot's scoring requests in a step's window amount to, summed over every instance's per-minute records:
 * rows answered, refused (4xx) and failed (server error), and the latency histogram of the answered requests.
 *
 * @param byMinute whether records whose routing is unknown (written before steps were recorded) are in the sum: they
 *        are counted for every minute the window overlaps, so they may hold requests another step routed
 */
public record RequestSample(long answered, long refused, long failed, LatencyHistogram latency, boolean byMinute) {
    public static final RequestSample NONE = new RequestSample(0, 0, 0, LatencyHistogram.empty());

    /** Requests of the step alone. */
    public RequestSample(long answered, long refused, long failed, LatencyHistogram latency) {
        this(answered, refused, failed, latency, false);
    }

    /**
     * The records of {@code slot} and {@code version} that the step starting at {@code step} routed, and those whose
     * routing is unknown, added up.
     */
    public static RequestSample of(List<SlotMinuteStats> records, Slot slot, int version, Instant step) {
        long answered = 0;
        long refused = 0;
        long failed = 0;
        boolean byMinute = false;
        LatencyHistogram latency = LatencyHistogram.empty();
        for (SlotMinuteStats r : records) {
            if (r.slot() == slot && r.version() == version && (r.step() == null || r.step().equals(step))) {
                answered += r.answered();
                refused += r.refused();
                failed += r.failed();
                latency = latency.plus(r.latency());
                byMinute |= r.step() == null;
            }
        }
        return new RequestSample(answered, refused, failed, latency, byMinute);
    }

    /** Every row that reached the slot, whatever became of it. */
    public long rows() {
        return answered + refused + failed;
    }
}

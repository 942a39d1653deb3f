package health.vigil.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One step of a benchmark timed by the wall clock, with the peak heap in use while it ran: the heap pools' peak
 * usage, reset after a full GC before the step.
 */
public final class PeakHeap {
    private PeakHeap() {}

    /** What a step took, the peak heap during it, and what it answered (so the work cannot be optimised away). */
    public record Measured(double seconds, long peakHeapBytes, long result) {}

    public static Measured measure(Callable<Long> step) throws Exception {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        long result = step.call();
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return new Measured(seconds, peak, result);
    }
}

package health.vigil.bench.monitoring;

import health.vigil.bench.BenchArguments;
import health.vigil.monitoring.DriftAccumulator;
import health.vigil.monitoring.DriftSummary;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Companion to {@link DriftCheckBenchmark} for shared machines: JMH measures one benchmark after another, so
 * when other work comes and goes the baseline and the drift check see different loads. This runs them in
 * alternation, round after round, on the same data, and reports each one's best and median round and the
 * ratios, so both sides of the ratio saw the same conditions. Times are the thread's CPU time, which leaves
 * out the time the thread waited for a core while other processes ran (wall time is printed too). Run after
 * the JMH benchmark, not instead of it.
 */
public final class DriftCheckRatio {
    private DriftCheckRatio() {}

    private static DriftSummary summary(DriftCheckBenchmark b, DriftAccumulator.Binning binning) {
        DriftAccumulator acc = b.check.newAccumulator(binning);
        acc.addRows(b.data, b.scores, 0, DriftCheckBenchmark.ROWS);
        return acc.summary();
    }

    public static void main(String[] args) {
        int rounds = new BenchArguments("DriftCheckRatio [rounds]", args).atLeast(0, "rounds", 25, 1);
        DriftCheckBenchmark b = new DriftCheckBenchmark();
        b.setUp();
        DriftAccumulator.Binning binning = DriftAccumulator.Binning.best();
        if (!summary(b, binning).equals(summary(b, DriftAccumulator.Binning.SCALAR))) {
            throw new IllegalStateException("the " + binning + " and SCALAR binnings counted differently");
        }
        System.out.println("driftCheckOneThread bins with " + binning + " (same counts as SCALAR)");
        String[] names = {"readOnceSimpleSum", "readOnceUnrolledSum", "driftCheckOneThread", "driftCheckScalarBinning"};
        Supplier<?>[] work = {b::readOnceSimpleSum, b::readOnceUnrolledSum, b::driftCheckOneThread,
                b::driftCheckOneThreadScalarBinning};
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[][] times = new long[names.length][rounds];
        long[][] wall = new long[names.length][rounds];
        Object sink = null;
        for (int warm = 0; warm < 5; warm++) {
            for (Supplier<?> w : work) {
                sink = w.get();
            }
        }
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < work.length; k++) {
                long start = System.nanoTime();
                long cpu = threads.getCurrentThreadCpuTime();
                sink = work[k].get();
                times[k][r] = threads.getCurrentThreadCpuTime() - cpu;
                wall[k][r] = System.nanoTime() - start;
            }
        }
        double[] best = new double[names.length];
        double[] median = new double[names.length];
        for (int k = 0; k < names.length; k++) {
            long[] t = times[k].clone();
            long[] w = wall[k].clone();
            Arrays.sort(t);
            Arrays.sort(w);
            best[k] = t[0] / 1e6;
            median[k] = t[rounds / 2] / 1e6;
            System.out.printf(Locale.ROOT, "%-22s cpu best %7.1f ms  median %7.1f ms   (wall median %7.1f ms)%n",
                    names[k], best[k], median[k], w[rounds / 2] / 1e6);
        }
        System.out.printf(Locale.ROOT, "cpu time ratio, drift / simple sum:   best %.2f   median %.2f%n", best[2] / best[0],
                median[2] / median[0]);
        System.out.printf(Locale.ROOT, "cpu time ratio, drift / unrolled sum: best %.2f   median %.2f%n", best[2] / best[1],
                median[2] / median[1]);
        System.out.printf(Locale.ROOT, "cpu time ratio, scalar-binning drift / unrolled sum: best %.2f   median %.2f%n",
                best[3] / best[1], median[3] / median[1]);
        System.out.printf(Locale.ROOT, "cpu time ratio, drift / scalar-binning drift: best %.2f   median %.2f%n",
                best[2] / best[3], median[2] / median[3]);
        System.out.println(sink == null ? "" : "(" + rounds + " rounds)");
    }
}

package health.vigil.bench.scoring;

import ai.onnxruntime.OrtException;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * The scoring service against the bare {@code OrtSession.run} under the same conditions, for a machine shared
 * with other work: the two alternate in rounds of {@code calls} calls on one thread (after warm-up rounds), and
 * each round is timed by the thread's CPU time, which leaves out time spent waiting for a core. The prediction
 * log's drain runs on its own thread; its CPU time per record is reported apart, since a request does not wait
 * for it but the machine pays for it.
 *
 * <p>Usage: {@code ScoringRatio [rounds] [process-crash|power-loss] [calls per round]} (defaults 15,
 * process-crash and 20,000; with power-loss every call waits for an fsync, so use fewer calls).
 */
public final class ScoringRatio {
    private static final int WARM_UP_ROUNDS = 5;

    private ScoringRatio() {}

    public static void main(String[] args) throws OrtException {
        BenchArguments arguments = new BenchArguments("ScoringRatio [rounds] [process-crash|power-loss]"
                + " [calls per round]", args);
        int rounds = arguments.atLeast(0, "rounds", 15, 1);
        String durabilityName = args.length > 1 ? args[1] : "process-crash";
        if (!durabilityName.equals("process-crash") && !durabilityName.equals("power-loss")) {
            throw arguments.refused("the durability is \"" + durabilityName + "\" and must be process-crash or"
                    + " power-loss");
        }
        PredictionLogDurability durability = durabilityName.equals("power-loss") ? PredictionLogDurability.POWER_LOSS
                : PredictionLogDurability.PROCESS_CRASH;
        int calls = arguments.atLeast(2, "calls per round", 20_000, 1);
        ScoringPathBenchmark.Fixture f = new ScoringPathBenchmark.Fixture();
        f.start(durability);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long drainThread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("vigil-prediction-log-drain")).findFirst().map(Thread::getId).orElse(-1L);
        try {
            long[][] cpu = new long[3][rounds];
            long[][] wall = new long[3][rounds];
            double sink = 0;
            long drainBefore = 0;
            int row = 0;
            for (int r = -WARM_UP_ROUNDS; r < rounds; r++) {
                if (r == 0) {
                    drainBefore = threads.getThreadCpuTime(drainThread);
                }
                for (int k = 0; k < 3; k++) {
                    long c0 = threads.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        row = (row + 1) & (ScoringPathBenchmark.ROWS - 1);
                        sink += k == 0 ? ScoringPathBenchmark.bare(f, row)
                                : f.scoring.score(k == 1 ? f.requests[row] : f.explained[row]).row(0).score();
                    }
                    if (r >= 0) {
                        cpu[k][r] = threads.getCurrentThreadCpuTime() - c0;
                        wall[k][r] = System.nanoTime() - w0;
                    }
                }
            }
            long drainCpu = threads.getThreadCpuTime(drainThread) - drainBefore;
            double bare = median(cpu[0]) / calls / 1000.0;
            double service = median(cpu[1]) / calls / 1000.0;
            System.out.printf(Locale.ROOT, "durability %s, %d rounds of %d calls each (checksum %.3f)%n", durability,
                    rounds, calls, sink);
            System.out.printf(Locale.ROOT, "bare OrtSession.run   CPU median %.2f us/call, best %.2f; wall median %.2f%n",
                    bare, min(cpu[0]) / calls / 1000.0, median(wall[0]) / calls / 1000.0);
            System.out.printf(Locale.ROOT, "ScoringService.score  CPU median %.2f us/call, best %.2f; wall median %.2f%n",
                    service, min(cpu[1]) / calls / 1000.0, median(wall[1]) / calls / 1000.0);
            System.out.printf(Locale.ROOT, "ratio of CPU medians  %.2fx (best/best %.2fx)%n", service / bare,
                    min(cpu[1]) / (double) min(cpu[0]));
            double explained = median(cpu[2]) / calls / 1000.0;
            System.out.printf(Locale.ROOT, "with explanation      CPU median %.2f us/call, best %.2f; %.2fx the service"
                    + " without (explanation %.2f us/call)%n", explained, min(cpu[2]) / calls / 1000.0,
                    explained / service, explained - service);
            LocalAdapters.groupCommitCounts(f.platform.platform().predictionLog()).ifPresent(counts ->
                    System.out.printf(Locale.ROOT, "drain thread          %.2f us CPU per record, %d records in %d"
                            + " transactions%n", drainCpu / 1000.0 / ((long) rounds * calls), counts.records(),
                            counts.drainTransactions()));
        } finally {
            f.stop();
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    private static long min(long[] values) {
        return Arrays.stream(values).min().orElse(0);
    }
}

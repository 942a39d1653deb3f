package health.vigil.bench.scoring;

import health.vigil.bench.BenchArguments;
import health.vigil.canary.CanaryService;
import health.vigil.config.VigilConfig;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The scoring latency (p50, p99) seen by concurrent clients while a canary ramps (25 → 50 %), is promoted and the model
 * is rolled back, side by side with windows of the same length in which nothing changes (the baseline), alternated
 * round by round on the local platform in one process with the 200-tree benchmark model. Each round registers and
 * approves a new version (outside the measured windows), then measures a baseline window and a change window: a
 * canary of the new version started, judged by controller ticks every 100 ms with one-second bake times (a policy
 * every canary passes: this measures traffic, not analysis), promoted at the end of its ramp, and the previous version
 * rolled back to. Prints the pooled percentiles of each kind of window and their ratio, and counts failed requests.
 */
public final class CanaryRampLatency {
    private static final CanaryPolicy PASSING = new CanaryPolicy(0.01, 20, 0.99, 0.99, 9.99, 0.99, 0.99, 0.99, 100.0,
            0.99, 0.99, 0.99);

    private CanaryRampLatency() {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("CanaryRampLatency [rounds] [clients]", args);
        int rounds = arguments.atLeast(0, "rounds", 5, 1);
        int clients = arguments.atLeast(1, "clients", 4, 1);
        Path home = Files.createTempDirectory("vigil-bench-canary-load-");
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { }).build()) {
            SamplePackage first = SampleModels.benchmarkPackage();
            ModelName model = DeployToFirstScore.register(platform, first.zip(), "v1.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            float[] rows = SampleModels.benchmarkRows(500, 7);
            int width = rows.length / 500;
            AtomicReference<ConcurrentLinkedQueue<Long>> window = new AtomicReference<>(new ConcurrentLinkedQueue<>());
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong failed = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> load = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                load.add(pool.submit(() -> {
                    for (int i = 0; running.get(); i++) {
                        int row = (client * 131 + i) % 500;
                        ScoreRequest request = new ScoreRequest(model, null, List.of(ScoringPathBenchmark.patient(
                                client * 100_000 + i % 5_000, Arrays.copyOfRange(rows, row * width, (row + 1) * width))));
                        long t0 = System.nanoTime();
                        try {
                            platform.scoring().score(request);
                            window.get().add(System.nanoTime() - t0);
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(3_000); // warm-up, not measured
            List<Long> baseline = new ArrayList<>();
            List<Long> change = new ArrayList<>();
            long changeMillis = 0;
            int stable = 1;
            for (int r = 0; r < rounds; r++) {
                int next = r + 2;
                DeployToFirstScore.register(platform, DeployToFirstScore.secondPackage(first, next), "v" + next + ".zip");
                SetUpApproval.approve(platform, new ModelVersion(model, next));
                long started = System.nanoTime();
                window.set(new ConcurrentLinkedQueue<>());
                rampPromoteAndRollBack(platform, model, next);
                long length = System.nanoTime() - started;
                changeMillis += length / 1_000_000;
                change.addAll(window.getAndSet(new ConcurrentLinkedQueue<>()));
                Thread.sleep(length / 1_000_000);
                baseline.addAll(window.getAndSet(new ConcurrentLinkedQueue<>()));
                // The rollback put the previous stable back; the next round's canary ramps against it.
                stable = platform.registry().deployment(model).orElseThrow().stable().version();
            }
            running.set(false);
            for (Future<?> f : load) {
                f.get();
            }
            pool.shutdown();
            double[] b = percentiles(baseline);
            double[] c = percentiles(change);
            System.out.printf(Locale.ROOT, "%d rounds, %d clients, change windows %.1f s on average (stable version %d at"
                    + " the end); failed requests %d%n", rounds, clients, changeMillis / 1000.0 / rounds, stable,
                    failed.get());
            System.out.println("| windows | requests | p50 | p99 |");
            System.out.println("|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| no change (baseline) | %d | %.2f ms | %.2f ms |%n", baseline.size(), b[0], b[1]);
            System.out.printf(Locale.ROOT, "| ramp 25 → 50 %%, promote, rollback | %d | %.2f ms | %.2f ms |%n",
                    change.size(), c[0], c[1]);
            System.out.printf(Locale.ROOT, "| ratio change / baseline | | %.2f | %.2f |%n", c[0] / b[0], c[1] / b[1]);
        } finally {
            BenchmarkPlatform.deleteTree(home);
        }
    }

    private static void rampPromoteAndRollBack(VigilPlatform platform, ModelName model, int version) throws Exception {
        CanaryService canaries = platform.canaries();
        canaries.start(model, new CanaryService.StartCommand(version, List.of(2_500, 5_000, 10_000),
                Duration.ofSeconds(1), PASSING), Principal.SYSTEM);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (canaries.status(model).canary().status().live()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the canary of version " + version + " did not end within 2 min");
            }
            Thread.sleep(100);
            canaries.tick(model);
        }
        platform.deployments().rollback(model, OptionalInt.empty(), Principal.SYSTEM);
    }

    /** p50 and p99 in milliseconds (nearest rank). */
    private static double[] percentiles(List<Long> nanos) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return new double[] {rank(sorted, 0.50) / 1e6, rank(sorted, 0.99) / 1e6};
    }

    private static long rank(long[] sorted, double q) {
        return sorted[(int) Math.max(0, Math.ceil(q * sorted.length) - 1)];
    }
}

package health.vigil.bench.scoring;

import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig;
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
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The time from a rollback call to the first request served by the version rolled back to, on the local platform
 * with the 200-tree benchmark model, side by side with a deploy of a version never loaded before in this process
 * (the baseline: the same switch plus a cold load and warm-up). Each round registers and approves a new version,
 * deploys it (baseline), rolls back to the one it replaced (retired, still loaded), and deploys the new one again
 * for the next round; medians over {@code rounds} rounds (default 10).
 */
public final class RollbackToFirstScore {
    private RollbackToFirstScore() {}

    public static void main(String[] args) throws Exception {
        int rounds = new BenchArguments("RollbackToFirstScore [rounds]", args).atLeast(0, "rounds", 10, 1);
        Path home = Files.createTempDirectory("vigil-bench-rollback-");
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { }).build()) {
            SamplePackage first = SampleModels.benchmarkPackage();
            ModelName model = DeployToFirstScore.register(platform, first.zip(), "v1.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            float[] row = SampleModels.benchmarkRows(1, 7);
            ScoreRequest request = new ScoreRequest(model, null, List.of(ScoringPathBenchmark.patient(0, row)));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            platform.scoring().score(request);
            long[] rollback = new long[rounds];
            long[] freshDeploy = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                int fresh = r + 2;
                DeployToFirstScore.register(platform, DeployToFirstScore.secondPackage(first, fresh), "v" + fresh + ".zip");
                SetUpApproval.approve(platform, new ModelVersion(model, fresh));
                freshDeploy[r] = untilServedBy(platform, request, fresh,
                        () -> platform.deployments().deploy(model, fresh, Principal.SYSTEM));
                rollback[r] = untilServedBy(platform, request, fresh - 1,
                        () -> platform.deployments().rollback(model, OptionalInt.empty(), Principal.SYSTEM));
                // Leave the fresh version on traffic for the next round's rollback target.
                platform.deployments().deploy(model, fresh, Principal.SYSTEM);
            }
            System.out.printf(Locale.ROOT, "%d rounds, medians: rollback call to first request served by the previous"
                    + " stable %.1f ms; deploy of a new version to its first request %.1f ms; ratio %.3f%n", rounds,
                    median(rollback) / 1e6, median(freshDeploy) / 1e6, median(rollback) / median(freshDeploy));
        } finally {
            BenchmarkPlatform.deleteTree(home);
        }
    }

    private static double median(long[] values) {
        return DeployToFirstScore.median(values);
    }

    /** Nanoseconds from the start of {@code change} until a request is answered by {@code version}. */
    private static long untilServedBy(VigilPlatform platform, ScoreRequest request, int version, Runnable change) {
        long t0 = System.nanoTime();
        change.run();
        while (platform.scoring().score(request).row(0).version() != version) {
            if (System.nanoTime() - t0 > 60_000_000_000L) {
                throw new IllegalStateException("version " + version + " never served a request");
            }
        }
        return System.nanoTime() - t0;
    }
}

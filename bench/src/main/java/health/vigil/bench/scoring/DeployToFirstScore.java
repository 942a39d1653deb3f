package health.vigil.bench.scoring;

import health.vigil.bench.BenchArguments;
import health.vigil.model.ModelVersion;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How long a deploy takes and what the first request to the new version then costs, on the local platform with
 * the 200-tree benchmark model: the deploy loads and warms the version before it switches traffic, so the first
 * score should cost what any other does. For comparison the same first score is timed once more after the
 * loaded versions were dropped (the cold load every first request paid when versions loaded lazily), and the
 * load and warm-up alone. Alternates deploys of two versions for {@code rounds} rounds (default 10).
 */
public final class DeployToFirstScore {
    private DeployToFirstScore() {}

    public static void main(String[] args) throws Exception {
        int rounds = new BenchArguments("DeployToFirstScore [rounds]", args).atLeast(0, "rounds", 10, 1);
        Path home = Files.createTempDirectory("vigil-bench-deploy-");
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { }).build()) {
            SamplePackage first = SampleModels.benchmarkPackage();
            ModelName model = register(platform, first, "v1.zip");
            byte[] zip2 = secondPackage(first);
            register(platform, zip2, "v2.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            SetUpApproval.approve(platform, new ModelVersion(model, 2));
            float[] row = SampleModels.benchmarkRows(1, 7);
            ScoreRequest request = new ScoreRequest(model, null, List.of(ScoringPathBenchmark.patient(0, row)));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            platform.scoring().score(request);
            long[] deploy = new long[rounds];
            long[] firstScore = new long[rounds];
            long[] warmScore = new long[rounds];
            long[] coldScore = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                int version = r % 2 == 0 ? 2 : 1;
                long t0 = System.nanoTime();
                platform.deployments().deploy(model, version, Principal.SYSTEM);
                long t1 = System.nanoTime();
                platform.scoring().score(request);
                long t2 = System.nanoTime();
                platform.scoring().score(request);
                long t3 = System.nanoTime();
                platform.scoring().models().close(); // what a lazily loading version cost its first request
                long t4 = System.nanoTime();
                platform.scoring().score(request);
                long t5 = System.nanoTime();
                deploy[r] = t1 - t0;
                firstScore[r] = t2 - t1;
                warmScore[r] = t3 - t2;
                coldScore[r] = t5 - t4;
                if (platform.scoring().score(request).row(0).version() != version) {
                    throw new IllegalStateException("the deploy of version " + version + " was not applied");
                }
            }
            System.out.printf(Locale.ROOT, "%d deploys, medians: deploy (load + warm-up + switch) %.1f ms; first score"
                    + " after it %.3f ms; the next score %.3f ms; a first score that loads the version (cold) %.1f ms%n",
                    rounds, median(deploy) / 1e6, median(firstScore) / 1e6, median(warmScore) / 1e6,
                    median(coldScore) / 1e6);
        } finally {
            BenchmarkPlatform.deleteTree(home);
        }
    }

    private static byte[] secondPackage(SamplePackage first) {
        return secondPackage(first, 2L);
    }

    /** Another version of the same model: the same kind of trees from another seed. */
    static byte[] secondPackage(SamplePackage first, long seed) {
        return new SamplePackage(first.manifest(), health.vigil.adapter.onnx.OnnxModelWriter.treeEnsemble(
                SampleModels.benchmarkEnsemble(seed)), first.reference()).zip();
    }

    private static ModelName register(VigilPlatform platform, SamplePackage sample, String blob) {
        return register(platform, sample.zip(), blob);
    }

    static ModelName register(VigilPlatform platform, byte[] zip, String blob) {
        ArtifactStore.StoredArtifact stored = platform.artifacts()
                .put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false);
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated("upload-" + blob,
                ArtifactStore.MODELS, blob, null, zip.length, stored.etag()));
        if (outcome.kind() != RegistrationOutcome.Kind.REGISTERED) {
            throw new IllegalStateException(blob + " was not registered: " + outcome.message());
        }
        return outcome.version().modelName();
    }

    static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}

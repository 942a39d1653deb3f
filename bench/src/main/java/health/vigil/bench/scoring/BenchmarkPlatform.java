package health.vigil.bench.scoring;

import health.vigil.testing.governance.SetUpApproval;
import health.vigil.config.VigilConfig;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.events.BlobCreated;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.security.Principal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The local platform in a fresh temporary home, with {@link SampleModels#benchmarkPackage()} uploaded,
 * registered and deployed through the platform's own services and its live version loaded, so a benchmark
 * scores through exactly the adapters {@code vigil up} uses (files, SQLite, ONNX Runtime), with the prediction
 * log at the durability asked for. Closing it closes the platform and deletes the home.
 */
final class BenchmarkPlatform implements AutoCloseable {
    private static final String BLOB = SampleModels.BENCHMARK_NAME + "/benchmark.zip";

    private final Path home;
    private final VigilPlatform platform;
    private final SamplePackage sample;

    private BenchmarkPlatform(Path home, VigilPlatform platform, SamplePackage sample) {
        this.home = home;
        this.platform = platform;
        this.sample = sample;
    }

    static BenchmarkPlatform start() {
        return start(PredictionLogDurability.DEFAULT);
    }

    static BenchmarkPlatform start(PredictionLogDurability durability) {
        return start(durability, builder -> builder);
    }

    /** As {@link #start(PredictionLogDurability)}, with further platform options (a work queue, batch settings). */
    static BenchmarkPlatform start(PredictionLogDurability durability,
            java.util.function.UnaryOperator<VigilPlatform.Builder> options) {
        Path home;
        try {
            home = Files.createTempDirectory("vigil-bench-scoring-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the benchmark's temporary Vigil home", e);
        }
        VigilPlatform platform = null;
        try {
            // Events are not what is measured; nothing subscribes to them here.
            VigilConfig config = VigilConfig.local(home).withPredictionLogDurability(durability);
            platform = options.apply(VigilPlatform.builder(config).eventPublisher(event -> { })).build();
            SamplePackage sample = SampleModels.benchmarkPackage();
            byte[] zip = sample.zip();
            ArtifactStore.StoredArtifact stored = platform.artifacts()
                    .put(ArtifactStore.MODELS, BLOB, new ByteArrayInputStream(zip), false);
            RegistrationOutcome outcome = platform.registration().register(new BlobCreated("bench-upload-1",
                    ArtifactStore.MODELS, BLOB, null, zip.length, stored.etag()));
            if (outcome.kind() != RegistrationOutcome.Kind.REGISTERED) {
                throw new IllegalStateException("the benchmark package was not registered: " + outcome.message());
            }
            SetUpApproval.approve(platform, outcome.version().id());
            platform.deployments().deploy(sample.manifest().name(), outcome.version().version(), Principal.SYSTEM);
            platform.scoring().warm(sample.manifest().name());
            return new BenchmarkPlatform(home, platform, sample);
        } catch (RuntimeException e) {
            if (platform != null) {
                platform.close();
            }
            deleteTree(home);
            throw e;
        }
    }

    VigilPlatform platform() {
        return platform;
    }

    SamplePackage sample() {
        return sample;
    }

    Path home() {
        return home;
    }

    @Override
    public void close() {
        try {
            platform.close();
        } finally {
            deleteTree(home);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the benchmark's temporary Vigil home", e);
        }
    }
}

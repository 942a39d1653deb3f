package health.vigil.bench.stores;

import health.vigil.adapter.azure.AzureAdapters;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.RegistryStore;
import health.vigil.testing.emulators.EmulatorLauncher;
import health.vigil.testing.emulators.Emulators;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Registry and audit operations on the two back ends side by side: the embedded SQLite stores of {@code vigil up}
 * and the Cosmos DB adapters on the npm Cosmos DB server (HTTPS on loopback, gateway mode). Throughput and sampled
 * latency (p99) per operation, one thread. The Cosmos figures measure the adapters' request pattern (how many round
 * trips an operation costs) plus a loopback server, not Azure's latency: in Azure a point read adds a few
 * milliseconds of network per round trip.
 *
 * <p>Run: {@code java -cp "bench/target/classes:bench/target/lib/*" org.openjdk.jmh.Main RegistryAndAuditBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Xss8m"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class RegistryAndAuditBenchmark {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @Param({"sqlite", "cosmos"})
    public String backend;

    private Path home;
    private Emulators emulators;
    private AzureAdapters azure;
    private LocalAdapters local;
    private RegistryStore registry;
    private AuditStore audit;
    private ModelName model;
    private VersionRecord current;
    private int versions;
    private String partition;

    @Setup(Level.Trial)
    public void open() throws IOException {
        home = Files.createTempDirectory("vigil-bench-stores");
        if (backend.equals("sqlite")) {
            local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT);
            registry = local.registryStore();
            audit = local.auditStore();
        } else {
            emulators = EmulatorLauncher.builder().workDir(home.resolve("emulators")).build().startAll();
            Map<String, String> env = new HashMap<>(emulators.settings());
            env.put("VIGIL_MODE", "azure");
            env.put("VIGIL_HOME", home.toString());
            azure = AzureAdapters.create(VigilConfig.fromEnvironment(env));
            registry = azure.registryStore();
            audit = azure.auditStore();
        }
        model = new ModelName("bench-" + UUID.randomUUID().toString().substring(0, 8));
        for (int i = 0; i < 20; i++) {
            current = registry.createNextVersion(model, n -> version(model, n));
        }
        versions = 20;
        partition = "2026-03-01-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 50; i++) {
            appendNext();
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        if (local != null) {
            local.close();
        }
        if (azure != null) {
            azure.close();
        }
        if (emulators != null) {
            emulators.close();
        }
    }

    /** Point read of one version document: the scoring path's registry lookup. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Optional<VersionRecord> findVersion() {
        return registry.findVersion(model, 1 + (versions++ % 20));
    }

    /** An approval: conditional replace of a version with the etag it was read with. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    public VersionRecord updateVersion() {
        Stage next = current.stage() == Stage.APPROVED ? Stage.GATES_PASSED : Stage.APPROVED;
        current = registry.updateVersion(current.withStage(new StageChange(null, next, "benchmark", "a registry write under measurement", T0)));
        return current;
    }

    /** A registration: the next version number, claimed atomically. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    public VersionRecord createNextVersion() {
        return registry.createNextVersion(model, n -> version(model, n));
    }

    /** One audit entry: read the partition's last record, chain to it, append. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    public boolean auditAppend() {
        return appendNext();
    }

    /** Where the next audit entry goes: the last record of a day. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Optional<AuditRecord> auditLast() {
        return audit.last(partition);
    }

    private boolean appendNext() {
        Optional<AuditRecord> previous = audit.last(partition);
        long sequence = previous.map(r -> r.sequence() + 1).orElse(1L);
        String previousHash = previous.map(AuditRecord::hash).orElse(null);
        AuditRecord record = new AuditRecord(UUID.randomUUID().toString(), partition, sequence, T0.plusMillis(sequence),
                "bench", "model.approve", "/models/" + model + "/versions/1", "succeeded", Map.of("n", "1"),
                previousHash, Sha256.hex(previousHash + "|" + sequence));
        boolean appended = audit.tryAppend(record);
        if (!appended) {
            throw new IllegalStateException("a single writer lost an append race");
        }
        return appended;
    }

    private static VersionRecord version(ModelName model, int n) {
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, model, Manifest.BINARY_CLASSIFICATION, "benchmark",
                new FeatureSchema(List.of(Feature.integer("age", "years", 18, 110), Feature.bool("prior_admission"))),
                Manifest.IDENTITY_PIPELINE, new OutputSpec("probabilities", 1, "readmitted", 0.3),
                "benchmarking the registry", List.of(), "bench",
                new Provenance("a".repeat(64), 100, null, "0123abcd", false, "gbt", 1L, Map.of(), Map.of(), "17", "linux", T0));
        return new VersionRecord(model, n, manifest, Sha256.hex("package-" + n + "-" + UUID.randomUUID()),
                Sha256.hex("onnx-" + n), "models/" + model + "/" + n + ".zip", 4096, Stage.REGISTERED, "bench", T0,
                "event-" + n, T0, null);
    }
}

package health.vigil.bench.gates;

import health.vigil.bench.BenchArguments;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.features.FeaturePipelines;
import health.vigil.gates.EvaluationDataset;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.modelpackage.RegisteredModelLoader;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.security.Principal;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A gate evaluation of {@code rows} evaluation rows (default 100,000) on the local platform, against the floor any
 * evaluation pays, measured side by side: the candidate and the production version (the benchmark package, 200
 * trees of depth 6 on 30 features) each scoring every row through its feature pipeline and ONNX Runtime. The gate
 * evaluation adds reading and checking the CSV, SHAP for every row, 1,000 single-row latency probes, DeLong,
 * calibration and three segment columns, and storing the report. Prints seconds per run and the ratio.
 *
 * <pre>java -Xss8m -cp 'bench/target/vigil-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*' \
 *     health.vigil.bench.gates.GateEvaluationRatio 100000 3</pre>
 */
public final class GateEvaluationRatio {
    private static final Principal STEWARD = new Principal("data-steward", Set.of());

    private GateEvaluationRatio() {}

    public static void main(String[] args) throws IOException {
        BenchArguments arguments = new BenchArguments("GateEvaluationRatio [rows] [repeats]", args);
        int rows = arguments.atLeast(0, "rows", 100_000, 1);
        int repeats = arguments.atLeast(1, "repeats", 3, 1);
        Path home = Files.createTempDirectory("vigil-bench-gates-");
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build()) {
            SamplePackage sample = SampleModels.benchmarkPackage();
            VersionRecord production = register(platform, variant(sample, "production"), "production");
            SetUpApproval.approve(platform, production.id());
            platform.deployments().deploy(production.modelName(), production.version(), Principal.SYSTEM);
            EvaluationDataset dataset = platform.datasets().register(new EvaluationDataset.Declaration(
                    sample.manifest().name().value(), "bench.csv", "outcome", "age", "sex", List.of("site")),
                    csv(rows), STEWARD);
            System.out.printf(Locale.ROOT, "%d rows, %d positive; %d runs each%n", dataset.rows(), dataset.positives(),
                    repeats);
            RegisteredModelLoader loader = new RegisteredModelLoader(platform.artifacts(),
                    new health.vigil.adapter.onnx.OrtModelRuntime(), FeaturePipelines.standard()::forManifest,
                    VigilConfig.Limits.DEFAULTS.maxUncompressedBytes());
            float[] matrix = SampleModels.benchmarkRows(rows, 11);
            for (int run = -1; run < repeats; run++) {
                VersionRecord candidate = register(platform, variant(sample, "candidate " + run), "candidate-" + run);
                long started = System.nanoTime();
                GateReport report = platform.gates().onRegistered(candidate.id(), "bench-" + run).orElseThrow();
                double gates = (System.nanoTime() - started) / 1e9;
                started = System.nanoTime();
                double checksum = 0;
                for (VersionRecord version : List.of(candidate, production)) {
                    RegisteredModelLoader.Loaded loaded = loader.load(version);
                    checksum += loaded.model().predict(matrix, rows)[rows - 1];
                    loaded.model().close();
                }
                double floor = (System.nanoTime() - started) / 1e9;
                if (run >= 0) {
                    System.out.printf(Locale.ROOT, "run %d: gate evaluation %.2f s (passed %s, %d checks), scoring both"
                            + " versions %.2f s, ratio %.1f (checksum %.3f)%n", run, gates, report.passed(),
                            report.checks().size(), floor, gates / floor, checksum);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(home)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The benchmark package under another description: the same model, a package of its own. */
    private static SamplePackage variant(SamplePackage sample, String description) {
        Manifest m = sample.manifest();
        return new SamplePackage(new Manifest(m.formatVersion(), m.name(), m.task(), m.description() + " (" + description
                + ")", m.features(), m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(),
                m.provenance()), sample.onnx(), sample.reference());
    }

    private static VersionRecord register(VigilPlatform platform, SamplePackage sample, String name) {
        byte[] zip = sample.zip();
        String blob = SampleModels.BENCHMARK_NAME + "/" + name + ".zip";
        ArtifactStore.StoredArtifact stored = platform.artifacts().put(ArtifactStore.MODELS, blob,
                new ByteArrayInputStream(zip), false);
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated("bench-upload-" + name,
                ArtifactStore.MODELS, blob, null, zip.length, stored.etag()));
        if (outcome.kind() != RegistrationOutcome.Kind.REGISTERED) {
            throw new IllegalStateException("not registered: " + outcome.message());
        }
        return outcome.version();
    }

    /** Benchmark rows with an outcome drawn from the benchmark ensemble's risk, an age, a sex and a site. */
    /** Rows of the benchmark package with outcomes drawn from its own probabilities, age, sex and site. */
    public static byte[] csv(int rows) {
        float[] inputs = SampleModels.benchmarkRows(rows, 11);
        var ensemble = SampleModels.benchmarkEnsemble(SampleModels.SEED);
        SplittableRandom random = new SplittableRandom(5);
        int width = SampleModels.BENCHMARK_FEATURES;
        StringBuilder out = new StringBuilder(rows * 200);
        for (int c = 0; c < width; c++) {
            out.append(String.format(Locale.ROOT, "x%02d,", c));
        }
        out.append("outcome,age,sex,site\n");
        double[] row = new double[width];
        String[] sites = {"north", "south", "east", "west", "central"};
        Map<Float, String> text = new HashMap<>();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                float v = inputs[r * width + c];
                row[c] = v;
                out.append(Float.isNaN(v) ? "" : text.computeIfAbsent(v, x -> Float.toString(x))).append(',');
            }
            boolean outcome = random.nextDouble() < ensemble.probability(row);
            out.append(outcome ? '1' : '0').append(',').append(18 + random.nextInt(72)).append(',')
                    .append(random.nextBoolean() ? "Female" : "Male").append(',').append(sites[random.nextInt(5)])
                    .append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}

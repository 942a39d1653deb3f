package health.vigil.bench.monitoring;

import static health.vigil.bench.PeakHeap.measure;

import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.security.Principal;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import health.vigil.bench.PeakHeap.Measured;
import health.vigil.model.ModelVersion;
import health.vigil.testing.governance.SetUpApproval;
import java.util.stream.Stream;

/**
 * The monitoring check over a large window of the local prediction log (SQLite), as {@code DriftCheck} runs it:
 * {@link health.vigil.monitoring.MonitoringService#check} streams the window, bins every input and score, joins the
 * outcomes a thousand predictions at a time, computes the report and stores it. Beside it, in alternation, the
 * baseline: the same window read from the same log with nothing done per record (the least any check must do).
 * Time is wall clock (median of the rounds); memory is the peak heap in use during the step (the heap pools' peak,
 * reset after a full GC before each step). Between rounds the stored report is removed so the check computes again.
 *
 * <p>Run: {@code java -Xmx1g -cp "bench/target/vigil-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*"
 * health.vigil.bench.monitoring.MonitoringCheckBenchmark [rows] [labelled share] [rounds]} (defaults 10000000 0.1 3).
 */
public final class MonitoringCheckBenchmark {
    private static final Instant FROM = Instant.parse("2026-06-01T10:00:00Z");
    private static final Instant TO = FROM.plus(Duration.ofHours(1));

    private MonitoringCheckBenchmark() {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("MonitoringCheckBenchmark [rows] [labelled share] [rounds]",
                args);
        int rows = arguments.atLeast(0, "rows", 10_000_000, 1);
        double labelledShare = arguments.between(1, "labelled share", 0.1, 0, 1);
        int rounds = arguments.atLeast(2, "rounds", 3, 1);
        Path home = Files.createTempDirectory("vigil-monitoring-bench-");
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                .clock(Clock.fixed(TO.plusSeconds(300), ZoneOffset.UTC)).build()) {
            ModelName model = deploy(platform);
            long loadStart = System.nanoTime();
            load(platform, model, rows, labelledShare, FROM, Duration.ofHours(1));
            System.out.printf("loaded %,d predictions (%.0f %% labelled) in %.0f s; log %,d MB%n", rows,
                    100 * labelledShare, (System.nanoTime() - loadStart) / 1e9, size(home) >> 20);

            List<Measured> baseline = new ArrayList<>();
            List<Measured> check = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                baseline.add(measure(() -> {
                    long[] n = new long[1];
                    platform.predictionLog().scan(model, FROM, TO, record -> n[0]++);
                    return n[0];
                }));
                deleteReports(home);
                check.add(measure(() -> {
                    List<MonitoringReport> reports = platform.monitoring().check(model, FROM, TO).reports();
                    return reports.get(0).predictions();
                }));
                System.out.printf("round %d: scan %.1f s (%,d MB peak heap), check %.1f s (%,d MB peak heap)%n", r + 1,
                        baseline.get(r).seconds(), baseline.get(r).peakHeapBytes() >> 20, check.get(r).seconds(),
                        check.get(r).peakHeapBytes() >> 20);
            }
            MonitoringReport report = platform.monitoring().reports().list(model.value(), FROM, TO).get(0);
            double scan = median(baseline);
            double checked = median(check);
            System.out.printf("%n%,d predictions, %s: scan median %.1f s, check median %.1f s, ratio %.2fx;"
                    + " peak heap scan %,d MB, check %,d MB; severity %s%n", report.predictions(),
                    labelled(report.performance()), scan, checked, checked / scan,
                    baseline.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0) >> 20,
                    check.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0) >> 20, report.severity());
        } finally {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Registers, approves and deploys the readmission sample model (logistic) as version 1. */
    static ModelName deploy(VigilPlatform platform) {
        byte[] zip = SampleModels.readmissionLogistic().zip();
        platform.artifacts().put(ArtifactStore.MODELS, "readmission.zip", new ByteArrayInputStream(zip), false);
        ModelName model = platform.registration().register(new BlobCreated("bench", ArtifactStore.MODELS,
                "readmission.zip", null, zip.length, null)).version().modelName();
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        return model;
    }

    /** Predictions spread over the window, from a cohort like the training one, and outcomes for a share of them. */
    static void load(VigilPlatform platform, ModelName model, int rows, double labelledShare, Instant from,
            Duration length) {
        SyntheticCohort cohort = SampleModels.readmissionCohort(100_000, 99);
        List<PredictionRecord> batch = new ArrayList<>(10_000);
        List<Map<String, Object>> outcomes = new ArrayList<>(10_000);
        long step = length.toNanos() / rows;
        for (int i = 0; i < rows; i++) {
            int c = i % cohort.rows();
            Instant time = from.plusNanos(step * i);
            float[] row = cohort.row(c);
            String id = PredictionIds.next(time);
            batch.add(new PredictionRecord(id, model, 1, Slot.STABLE, "p-" + (i % 500_000), time, row,
                    SampleModels.readmissionLogisticProbability(row), false, null));
            if ((i * 7919L) % 1000 < labelledShare * 1000) {
                outcomes.add(Map.of("predictionId", id, "outcome", cohort.outcomes()[c] ? 1 : 0));
            }
            if (batch.size() == 10_000) {
                platform.predictionLog().append(batch);
                batch.clear();
            }
            if (outcomes.size() == 10_000) {
                send(platform, model, outcomes);
                outcomes.clear();
            }
        }
        if (!batch.isEmpty()) {
            platform.predictionLog().append(batch);
        }
        if (!outcomes.isEmpty()) {
            send(platform, model, outcomes);
        }
    }

    private static void send(VigilPlatform platform, ModelName model, List<Map<String, Object>> outcomes) {
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("bench", body, Json.readTree("outcomes", body.getBytes(StandardCharsets.UTF_8)));
    }

    static void deleteReports(Path home) throws Exception {
        Path reports = home.resolve("blobs").resolve(ArtifactStore.MONITORING);
        if (Files.exists(reports)) {
            try (Stream<Path> files = Files.walk(reports)) {
                files.filter(Files::isRegularFile).forEach(p -> p.toFile().delete());
            }
        }
    }

    static long size(Path home) throws Exception {
        try (Stream<Path> files = Files.walk(home)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }



    /** How many predictions were labelled, or why the policy's cell-size rule withholds the count. */
    static String labelled(LabelledPerformance performance) {
        return performance.labelled() == null ? "labelled count withheld (" + performance.suppressed() + ")"
                : String.format("%,d labelled", performance.labelled());
    }

    static double median(List<Measured> runs) {
        double[] s = runs.stream().mapToDouble(Measured::seconds).toArray();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}

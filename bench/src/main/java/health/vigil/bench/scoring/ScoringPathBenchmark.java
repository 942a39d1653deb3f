package health.vigil.bench.scoring;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.testing.samples.SampleModels;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoringService;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3's scoring-path benchmark: one patient scored by {@link ScoringService} (pseudonymise, route,
 * validate the JSON features, feature pipeline, ONNX Runtime, prediction record, durable group-committed
 * append to the SQLite prediction log) next to a bare {@link OrtSession#run} of the same rows on the same
 * model, {@link SampleModels#benchmarkPackage()} (200 trees of depth 6 on 30 features).
 *
 * <p>Both sides walk the same {@value #ROWS} rows in the same order, one row per call, so neither profits from
 * a branch predictor trained on one row. The bare call does what any caller of ONNX Runtime must: wrap the
 * row in a tensor, run, read the positive class's probability, free the tensor and the result. Its session
 * has the same options as Vigil's runtime (all graph optimisations, one intra-op thread, no spinning), so
 * the difference is Vigil's own work and the durable log, not a differently tuned ONNX Runtime.
 *
 * <p>The {@code *Concurrent} variants run {@value #THREADS} threads at once (more than the cores of a small
 * host). At the end of each trial the fixture prints how many records the prediction log committed per
 * transaction, which is what group commit does when several requests wait for the log together.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Xss8m",
        "--add-modules=jdk.incubator.vector"})
public class ScoringPathBenchmark {
    static final int ROWS = 1024;
    static final int THREADS = 4;
    private static final long ROW_SEED = 7L;

    /** The platform with the benchmark model deployed, a bare session on the same model, and the rows. */
    @State(Scope.Benchmark)
    public static class Fixture {
        BenchmarkPlatform platform;
        ScoringService scoring;
        ModelName model;
        float[][] rows;
        ScoreRequest[] requests;
        /** The same requests asking for explanations. */
        ScoreRequest[] explained;
        OrtEnvironment environment;
        OrtSession.SessionOptions options;
        OrtSession session;
        String inputName;
        Set<String> probabilities;

        @Setup(Level.Trial)
        public void start() throws OrtException {
            start(PredictionLogDurability.DEFAULT);
        }

        void start(PredictionLogDurability durability) throws OrtException {
            platform = BenchmarkPlatform.start(durability);
            scoring = platform.platform().scoring();
            model = platform.sample().manifest().name();
            float[] flat = SampleModels.benchmarkRows(ROWS, ROW_SEED);
            rows = new float[ROWS][];
            requests = new ScoreRequest[ROWS];
            explained = new ScoreRequest[ROWS];
            for (int r = 0; r < ROWS; r++) {
                rows[r] = Arrays.copyOfRange(flat, r * SampleModels.BENCHMARK_FEATURES,
                        (r + 1) * SampleModels.BENCHMARK_FEATURES);
                requests[r] = new ScoreRequest(model, null, List.of(patient(r, rows[r])));
                explained[r] = new ScoreRequest(model, null, requests[r].rows(), true);
            }
            environment = OrtEnvironment.getEnvironment();
            options = new OrtSession.SessionOptions();
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            session = environment.createSession(platform.sample().onnx(), options);
            inputName = session.getInputNames().iterator().next();
            probabilities = Set.of(OnnxModelWriter.PROBABILITIES);
            checkBothSidesAgree();
        }

        /** The comparison only means something if both sides compute the same score from the same row. */
        private void checkBothSidesAgree() throws OrtException {
            for (int r = 0; r < 16; r++) {
                double bare = bare(this, r);
                double service = scoring.score(requests[r]).row(0).score();
                if (bare != service) {
                    throw new IllegalStateException("row " + r + ": the bare session scores " + bare
                            + " but the scoring service " + service + "; the benchmark would compare different work");
                }
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws OrtException {
            var counts = LocalAdapters.groupCommitCounts(platform.platform().predictionLog());
            if (counts.isPresent() && counts.get().groupCommits() > 0) {
                // How well group commit batched this trial's appends (printed into the JMH output).
                long records = counts.get().records();
                long writes = counts.get().groupCommits();
                System.out.printf("%nprediction log: %d records in %d journal writes (%.2f per write), drained in"
                        + " %d transactions%n", records, writes, (double) records / writes,
                        counts.get().drainTransactions());
            }
            try {
                session.close();
                options.close();
            } finally {
                platform.close();
            }
        }
    }

    /** Each thread's position in the shared rows. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int take() {
            int row = next;
            next = (next + 1) & (ROWS - 1);
            return row;
        }
    }

    /**
     * One patient as the plain JSON route receives it: the row's values as JSON numbers; a missing value
     * (NaN in the row) is left out, which the optional feature turns back into NaN. Each float is written as
     * its exact double, so the service's model input is bit for bit the bare call's.
     */
    static PatientRow patient(int index, float[] row) {
        Map<String, Object> features = new LinkedHashMap<>();
        for (int c = 0; c < row.length; c++) {
            if (!Float.isNaN(row[c])) {
                features.put(String.format("x%02d", c), (double) row[c]);
            }
        }
        byte[] body = Json.writeBytes(Map.of("patientId", String.format("MRN-%07d", index), "features", features));
        JsonNode parsed = Json.readTree("the benchmark's request body", body);
        Map<String, JsonNode> values = new LinkedHashMap<>();
        parsed.get("features").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue()));
        return new PatientRow(parsed.get("patientId").textValue(), values);
    }

    static double bare(Fixture f, int row) throws OrtException {
        try (OnnxTensor input = OnnxTensor.createTensor(f.environment, FloatBuffer.wrap(f.rows[row]),
                new long[] {1, SampleModels.BENCHMARK_FEATURES});
                OrtSession.Result result = f.session.run(Map.of(f.inputName, input), f.probabilities)) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            return out.get(OnnxModelWriter.POSITIVE_CLASS_INDEX);
        }
    }

    @Benchmark
    public double bareSessionRun(Fixture f, Cursor c) throws OrtException {
        return bare(f, c.take());
    }

    @Benchmark
    public ScoreResult scoringService(Fixture f, Cursor c) {
        return f.scoring.score(f.requests[c.take()]);
    }

    @Benchmark
    @Threads(THREADS)
    public double bareSessionRunConcurrent(Fixture f, Cursor c) throws OrtException {
        return bare(f, c.take());
    }

    @Benchmark
    @Threads(THREADS)
    public ScoreResult scoringServiceConcurrent(Fixture f, Cursor c) {
        return f.scoring.score(f.requests[c.take()]);
    }
}

package health.vigil.bench.scoring;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.port.PredictionLog;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.ModelRuntime;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.testing.samples.SampleModels;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.RecordValidator;
import health.vigil.scoring.ScorableModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps of {@link ScoringPathBenchmark}'s service call one at a time, on the same platform and rows, to
 * show where its time goes: pseudonymising the patient id, reading the deployment, validating the features,
 * the model call through Vigil's runtime, and the durable append of one prediction record (at the default
 * durability, and with an fsync per commit). Each part runs alone here, with the caches to itself; inside the
 * service they share the caches and each takes a little longer.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Xss8m",
        "--add-modules=jdk.incubator.vector"})
public class ScoringPartsBenchmark {

    @State(Scope.Benchmark)
    public static class Parts {
        BenchmarkPlatform platform;
        ModelName model;
        Pseudonymizer pseudonymizer;
        ScorableModel scorable;
        RecordValidator validator;
        Set<String> accepted;
        float[][] rows;
        PatientRow[] patients;
        long appended;

        @Setup(Level.Trial)
        public void start() {
            platform = BenchmarkPlatform.start();
            model = platform.sample().manifest().name();
            pseudonymizer = new Pseudonymizer(
                    "the parts benchmark's own 32+ byte key".getBytes(StandardCharsets.UTF_8));
            scorable = platform.platform().scoring().models().get(new ModelVersion(model, 1));
            validator = scorable.validator();
            accepted = validator.names();
            float[] flat = SampleModels.benchmarkRows(ScoringPathBenchmark.ROWS, 7L);
            rows = new float[ScoringPathBenchmark.ROWS][];
            patients = new PatientRow[ScoringPathBenchmark.ROWS];
            for (int r = 0; r < rows.length; r++) {
                rows[r] = Arrays.copyOfRange(flat, r * SampleModels.BENCHMARK_FEATURES,
                        (r + 1) * SampleModels.BENCHMARK_FEATURES);
                patients[r] = ScoringPathBenchmark.patient(r, rows[r]);
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            platform.close();
        }
    }

    /** A prediction log of its own that fsyncs every commit, to show what power-loss durability costs. */
    @State(Scope.Benchmark)
    public static class PowerLossLog {
        Path home;
        LocalAdapters adapters;
        PredictionLog log;

        @Setup(Level.Trial)
        public void open() throws IOException {
            home = Files.createTempDirectory("vigil-bench-power-loss-");
            adapters = LocalAdapters.at(home, PredictionLogDurability.POWER_LOSS);
            log = adapters.predictionLog();
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                adapters.close();
            } finally {
                BenchmarkPlatform.deleteTree(home);
            }
        }
    }

    @Benchmark
    public String pseudonym(Parts p, ScoringPathBenchmark.Cursor c) {
        return p.pseudonymizer.pseudonym(p.patients[c.take()].patientId());
    }

    @Benchmark
    public Optional<Deployment> readDeployment(Parts p) {
        return p.platform.platform().registry().deployment(p.model);
    }

    @Benchmark
    public Map<String, Object> validate(Parts p, ScoringPathBenchmark.Cursor c) {
        return p.validator.check(1, p.patients[c.take()].features(), p.accepted).values();
    }

    @Benchmark
    public double[] runtimePredict(Parts p, ScoringPathBenchmark.Cursor c) {
        ModelRuntime.LoadedModel loaded = p.scorable.model();
        return loaded.predict(p.rows[c.take()], 1);
    }

    @Benchmark
    public String predictionId() {
        return UUID.randomUUID().toString();
    }

    @Benchmark
    public void logAppend(Parts p, ScoringPathBenchmark.Cursor c) {
        p.platform.platform().predictionLog().append(List.of(record(p, c.take())));
    }

    @Benchmark
    public void logAppendPowerLoss(Parts p, PowerLossLog log, ScoringPathBenchmark.Cursor c) {
        log.log.append(List.of(record(p, c.take())));
    }

    /** A record like the service's: a fresh id, a 64-hex-digit pseudonym, the row's 30 features. */
    private static PredictionRecord record(Parts p, int row) {
        return new PredictionRecord(UUID.randomUUID().toString(), p.model, 1, Slot.STABLE,
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Instant.now(), p.rows[row], 0.5,
                true, null);
    }
}

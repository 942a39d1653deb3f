package health.vigil.bench.training;

import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.hash.Sha256;
import health.vigil.model.TreeEnsemble;
import health.vigil.port.ModelRuntime;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.gbt.XgboostTrainer;
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
 * Scoring throughput of each exported model.onnx (trained on 100,000 synthetic rows with the default
 * settings) in ONNX Runtime, in batches of 1,000 rows and one row at a time, side by side with the
 * baseline of evaluating the same trees in plain Java ({@link TreeEnsemble#probability}). Scores are
 * batches (or rows) per second; multiply the batch figure by 1,000 for rows per second.
 *
 * <p>Run: {@code java -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main OnnxScoringBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xss8m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class OnnxScoringBenchmark {
    static final int BATCH = 1_000;

    @Param({"readmission", "adherence", "complications"})
    String model;

    ModelRuntime runtime;
    ModelRuntime.LoadedModel loaded;
    TreeEnsemble ensemble;
    float[] batch;
    float[] single;
    double[][] rows;

    @Setup(Level.Trial)
    public void setUp() {
        ClinicalModel clinical = ClinicalModel.of(model);
        Dataset data = clinical.synthetic(100_000, 1).dataset();
        FeatureMatrix x = FeatureMatrix.of(clinical.pipeline(), data.records());
        TrainingSettings settings = TrainingSettings.defaults();
        ensemble = XgboostTrainer.train(x, data.labels(), settings.gbt(), settings.seed(), round -> { }).ensemble();
        byte[] onnx = OnnxModelWriter.treeEnsemble(ensemble);
        runtime = new OrtModelRuntime();
        loaded = runtime.load(onnx, Sha256.hex(onnx), OnnxModelWriter.PROBABILITIES, OnnxModelWriter.POSITIVE_CLASS_INDEX);
        int[] first = java.util.stream.IntStream.range(0, BATCH).toArray();
        FeatureMatrix sample = x.select(first);
        batch = sample.values();
        single = sample.select(new int[] {0}).values();
        rows = new double[BATCH][];
        for (int i = 0; i < BATCH; i++) {
            rows[i] = sample.row(i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loaded.close();
        runtime.close();
    }

    @Benchmark
    public double[] onnxRuntimeBatchOf1000() {
        return loaded.predict(batch, BATCH);
    }

    @Benchmark
    public double[] onnxRuntimeSingleRow() {
        return loaded.predict(single, 1);
    }

    @Benchmark
    public double javaTreesBatchOf1000Baseline() {
        double sum = 0;
        for (double[] row : rows) {
            sum += ensemble.probability(row);
        }
        return sum;
    }
}

package health.vigil.bench.training;

import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.model.TreeEnsemble;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.gbt.XgboostTrainer;
import health.vigil.training.linear.LogisticModel;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training and ONNX export time of each clinical model at 100,000 synthetic rows, with the default settings
 * (XGBoost: 300 rounds, depth 4, hist, 2 threads). The logistic regression on the same matrix is the
 * baseline the tree training time is read against. Single-shot: one training is one measurement.
 *
 * <p>Run: {@code java -cp 'bench/target/classes:bench/target/lib/*' org.openjdk.jmh.Main TrainingBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xss8m"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class TrainingBenchmark {
    static final int ROWS = 100_000;

    @Param({"readmission", "adherence", "complications"})
    String model;

    FeatureMatrix x;
    boolean[] y;
    TreeEnsemble ensemble;
    LogisticModel logistic;

    @Setup(Level.Trial)
    public void setUp() {
        ClinicalModel clinical = ClinicalModel.of(model);
        Dataset data = clinical.synthetic(ROWS, 1).dataset();
        x = FeatureMatrix.of(clinical.pipeline(), data.records());
        y = data.labels();
        TrainingSettings settings = TrainingSettings.defaults();
        ensemble = XgboostTrainer.train(x, y, settings.gbt(), settings.seed(), round -> { }).ensemble();
        logistic = settings.logistic().fit(x, y, i -> { });
    }

    @Benchmark
    public TreeEnsemble trainGradientBoostedTrees() {
        TrainingSettings settings = TrainingSettings.defaults();
        return XgboostTrainer.train(x, y, settings.gbt(), settings.seed(), round -> { }).ensemble();
    }

    @Benchmark
    public LogisticModel trainLogisticRegressionBaseline() {
        return TrainingSettings.defaults().logistic().fit(x, y, i -> { });
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public byte[] exportTreesToOnnx() {
        return OnnxModelWriter.treeEnsemble(ensemble);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public byte[] exportLogisticToOnnx() {
        return OnnxModelWriter.logisticRegression(logistic.coefficients(), logistic.intercept());
    }
}

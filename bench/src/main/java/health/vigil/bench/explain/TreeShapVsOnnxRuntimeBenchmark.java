package health.vigil.bench.explain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.ExtendUnwindTreeShap;
import health.vigil.explain.FeatureMapping;
import health.vigil.explain.TreeShap;
import health.vigil.model.Explanation;
import health.vigil.model.TreeEnsemble;
import java.util.ArrayList;
import java.util.List;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Explaining one row with TreeSHAP against predicting one row with ONNX Runtime, on the same 200-tree, depth-6,
 * 30-feature model (ONNX Runtime single-threaded, as TreeSHAP is), and with {@code -p model=300x4x80} on one the
 * size of the readmission model (300 trees of depth 4 over 80 inputs). The set-up fails unless ONNX Runtime's
 * probability equals {@link TreeEnsemble#probability} for every benchmark row, so both sides run one model.
 * Also timed: Lundberg's Algorithm 2 on the same rows (the classic cost), the whole clinical explanation
 * (TreeSHAP, grouping, probability view and summary sentence), and the ensemble's margin in plain Java.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Xss8m",
        "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TreeShapVsOnnxRuntimeBenchmark {

    /** The most inputs of any {@link #model}, which the per-thread buffers hold. */
    static final int FEATURES = 80;

    /** Trees x depth x inputs. */
    @Param({"200x6x30"})
    public String model;

    private TreeEnsemble ensemble;
    private TreeShap shap;
    private ExtendUnwindTreeShap algorithm2;
    private ClinicalExplainer clinical;
    private double[][] rows;
    private OrtEnvironment env;
    private OrtSession session;
    private long[] shape;

    /** Per-thread cursor over the rows and output buffers, so no benchmark method allocates its own. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final double[] phi = new double[FEATURES];
        final FloatBuffer input = ByteBuffer.allocateDirect(4 * FEATURES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Setup(Level.Trial)
    public void setUp() throws OrtException {
        String[] size = model.split("x");
        int features = Integer.parseInt(size[2]);
        ensemble = BenchmarkModels.ensemble(features, Integer.parseInt(size[1]), Integer.parseInt(size[0]),
                20261124L);
        shape = new long[] {1, features};
        shap = new TreeShap(ensemble);
        algorithm2 = new ExtendUnwindTreeShap(ensemble);
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < features; i++) {
            columns.add("x" + i);
        }
        clinical = new ClinicalExplainer(shap, FeatureMapping.of(columns), 5);
        rows = BenchmarkModels.rows(features, 20261125L);
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = env.createSession(TreeEnsembleOnnx.write(ensemble), options);
        Cursor check = new Cursor();
        for (double[] row : rows) {
            double onnx = predict(row, check.input);
            double java = ensemble.probability(row);
            if (Math.abs(onnx - java) > 1e-5) {
                throw new IllegalStateException("ONNX Runtime gives " + onnx + " but the ensemble " + java
                        + "; the benchmark would compare different models");
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        session.close();
    }

    private double predict(double[] row, FloatBuffer input) throws OrtException {
        input.clear();
        for (double v : row) {
            input.put((float) v);
        }
        input.flip();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
                OrtSession.Result result = session.run(Map.of(TreeEnsembleOnnx.INPUT, tensor),
                        Set.of(TreeEnsembleOnnx.PROBABILITIES))) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer().get(1);
        }
    }

    @Benchmark
    public double onnxRuntimePredictRow(Cursor cursor) throws OrtException {
        return predict(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)], cursor.input);
    }

    @Benchmark
    public double treeShapExplainRow(Cursor cursor) {
        return shap.explain(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)], cursor.phi);
    }

    @Benchmark
    public double algorithm2ExplainRow(Cursor cursor) {
        return algorithm2.explain(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)], cursor.phi);
    }

    @Benchmark
    public Explanation clinicalExplanationRow(Cursor cursor) {
        return clinical.explain(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)]);
    }

    @Benchmark
    public double javaMarginRow(Cursor cursor) {
        return ensemble.margin(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)]);
    }
}

package health.vigil.bench.explain;

import health.vigil.explain.BruteForceShapley;
import health.vigil.explain.TreeShap;
import health.vigil.model.TreeEnsemble;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * TreeSHAP against brute-force Shapley enumeration (all 4,096 coalitions of 12 features, each valued with the
 * same cover-weighted conditional expectation) on a 200-tree, depth-6, 12-feature model. The set-up fails
 * unless both give the same values to 1e-9 on the rows it checks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Xss8m",
        "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 2)
public class TreeShapVsBruteForceBenchmark {

    static final int FEATURES = 12;

    private TreeEnsemble ensemble;
    private TreeShap shap;
    private double[][] rows;

    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final double[] phi = new double[FEATURES];
    }

    @Setup(Level.Trial)
    public void setUp() {
        ensemble = BenchmarkModels.ensemble(FEATURES, 20261126L);
        shap = new TreeShap(ensemble);
        rows = BenchmarkModels.rows(FEATURES, 20261127L);
        for (int r = 0; r < 4; r++) {
            double[] fast = shap.contributions(rows[r]);
            double[] slow = BruteForceShapley.explain(ensemble, rows[r]);
            for (int i = 0; i < FEATURES; i++) {
                if (Math.abs(fast[i] - slow[i]) > 1e-9) {
                    throw new IllegalStateException("TreeSHAP and brute force disagree on row " + r + ", feature " + i);
                }
            }
        }
    }

    @Benchmark
    public double treeShapExplainRow(Cursor cursor) {
        return shap.explain(rows[cursor.next++ & (BenchmarkModels.ROWS - 1)], cursor.phi);
    }

    @Benchmark
    public double[] bruteForceExplainRow(Cursor cursor) {
        return BruteForceShapley.explain(ensemble, rows[cursor.next++ & (BenchmarkModels.ROWS - 1)]);
    }
}

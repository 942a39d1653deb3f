package health.vigil.bench.explain;

import health.vigil.explain.RandomTrees;
import health.vigil.explain.RandomTrees.Shape;
import health.vigil.model.TreeEnsemble;
import java.util.Random;

/** The seeded models and rows the explanation benchmarks share, so every run times the same work. */
final class BenchmarkModels {

    static final int TREES = 200;
    static final int DEPTH = 6;
    static final int ROWS = 256;
    static final double MISSING = 0.05;

    private BenchmarkModels() {}

    /** 200 full trees of depth 6 over {@code features} inputs, {@code x < threshold} splits, as XGBoost grows. */
    static TreeEnsemble ensemble(int features, long seed) {
        return ensemble(features, DEPTH, TREES, seed);
    }

    /**
     * {@code trees} full trees of depth {@code depth} over {@code features} inputs, as {@link #ensemble(int, long)}:
     * 300 of depth 4 over 80 is the size of the readmission model.
     */
    static TreeEnsemble ensemble(int features, int depth, int trees, long seed) {
        return RandomTrees.ensemble(new Random(seed), Shape.xgboostLike(features, depth), trees);
    }

    /** {@link #ROWS} rows with 5 % missing values; every value is exact as a float. */
    static double[][] rows(int features, long seed) {
        Random rng = new Random(seed);
        double[][] rows = new double[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            rows[r] = RandomTrees.row(rng, features, MISSING);
        }
        return rows;
    }
}

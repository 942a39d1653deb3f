package health.vigil.testing.samples;

import health.vigil.model.FeatureType;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient boosting on the logistic loss with randomly chosen splits: cheap, deterministic, and close enough
 * to a trained model for samples (its predictions track the simulated risk). Leaf values are one damped
 * Newton step, {@code -rate * sum(g) / (sum(h) + 1)}; a node's cover is the sum of the hessians
 * {@code p(1 - p)} of the rows that reach it, as XGBoost reports cover.
 */
final class RandomSplitBooster {
    private static final int MIN_LEAF_ROWS = 40;
    private static final int SPLIT_ATTEMPTS = 8;
    private static final double L2 = 1.0;

    private final float[] x;
    private final int width;
    private final boolean[] categorical;
    private final SplittableRandom random;
    private final int maxDepth;
    private final double rate;
    private double[] g;
    private double[] h;

    private RandomSplitBooster(SyntheticCohort cohort, int maxDepth, double rate, long seed) {
        this.x = cohort.inputs();
        this.width = cohort.width();
        this.categorical = new boolean[width];
        for (int f = 0; f < width; f++) {
            FeatureType type = cohort.schema().get(f).type();
            categorical[f] = type == FeatureType.BOOLEAN || type == FeatureType.CATEGORICAL;
        }
        this.random = new SplittableRandom(seed);
        this.maxDepth = maxDepth;
        this.rate = rate;
    }

    static TreeEnsemble train(SyntheticCohort cohort, int trees, int maxDepth, double rate, long seed) {
        return new RandomSplitBooster(cohort, maxDepth, rate, seed).boost(cohort, trees);
    }

    private TreeEnsemble boost(SyntheticCohort cohort, int treeCount) {
        int n = cohort.rows();
        boolean[] y = cohort.outcomes();
        int positives = 0;
        for (boolean outcome : y) {
            positives += outcome ? 1 : 0;
        }
        double share = (positives + 0.5) / (n + 1.0);
        double base = StrictMath.log(share / (1 - share));
        double[] margin = new double[n];
        Arrays.fill(margin, base);
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        List<TreeEnsemble.Tree> trees = new ArrayList<>();
        for (int t = 0; t < treeCount; t++) {
            g = new double[n];
            h = new double[n];
            for (int i = 0; i < n; i++) {
                double p = SampleModels.logistic(margin[i]);
                g[i] = p - (y[i] ? 1 : 0);
                h[i] = p * (1 - p);
            }
            SampleModels.TreeArrays arrays = new SampleModels.TreeArrays((1 << (maxDepth + 1)) - 1);
            int size = grow(arrays, 0, all, 0);
            TreeEnsemble.Tree tree = arrays.toTree(size);
            trees.add(tree);
            double[] row = new double[width];
            for (int i = 0; i < n; i++) {
                for (int f = 0; f < width; f++) {
                    row[f] = x[i * width + f];
                }
                margin[i] += tree.evaluate(row);
            }
        }
        return new TreeEnsemble(width, base, trees);
    }

    /** Grows the subtree at {@code node} over {@code rows}; returns the next free node index. */
    private int grow(SampleModels.TreeArrays tree, int node, int[] rows, int depth) {
        double sumG = 0;
        double sumH = 0;
        for (int r : rows) {
            sumG += g[r];
            sumH += h[r];
        }
        tree.cover[node] = sumH;
        if (depth < maxDepth && rows.length >= 2 * MIN_LEAF_ROWS) {
            for (int attempt = 0; attempt < SPLIT_ATTEMPTS; attempt++) {
                int feature = random.nextInt(width);
                float at = x[rows[random.nextInt(rows.length)] * width + feature];
                if (Float.isNaN(at)) {
                    continue;
                }
                NodeMode mode = categorical[feature] ? NodeMode.BRANCH_EQ : NodeMode.BRANCH_LT;
                boolean nanTrue = random.nextBoolean();
                int[] whenTrue = Arrays.stream(rows).filter(r -> goesTrue(x[r * width + feature], mode, at, nanTrue)).toArray();
                if (whenTrue.length < MIN_LEAF_ROWS || rows.length - whenTrue.length < MIN_LEAF_ROWS) {
                    continue;
                }
                int[] whenFalse = Arrays.stream(rows).filter(r -> !goesTrue(x[r * width + feature], mode, at, nanTrue)).toArray();
                int trueChild = node + 1;
                int falseChild = grow(tree, trueChild, whenTrue, depth + 1);
                int next = grow(tree, falseChild, whenFalse, depth + 1);
                tree.split(node, mode, feature, at, trueChild, falseChild, nanTrue);
                return next;
            }
        }
        tree.leaf(node, -rate * sumG / (sumH + L2));
        return node + 1;
    }

    private static boolean goesTrue(float value, NodeMode mode, float at, boolean nanTrue) {
        if (Float.isNaN(value)) {
            return nanTrue;
        }
        return mode == NodeMode.BRANCH_EQ ? value == at : value < at;
    }
}

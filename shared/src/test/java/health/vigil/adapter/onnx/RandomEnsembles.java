package health.vigil.adapter.onnx;

import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded random tree ensembles that use every node mode and both missing-value sides, and random inputs that
 * hit thresholds exactly (so EQ, NEQ, LEQ and GTE are tested on ties) and carry missing values.
 */
final class RandomEnsembles {
    /** Thresholds and many inputs come from this grid, so equality comparisons are exercised. */
    static final double[] GRID = {0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0};
    private static final NodeMode[] BRANCHES = {NodeMode.BRANCH_LEQ, NodeMode.BRANCH_LT, NodeMode.BRANCH_GTE,
            NodeMode.BRANCH_GT, NodeMode.BRANCH_EQ, NodeMode.BRANCH_NEQ};

    private RandomEnsembles() {}

    static TreeEnsemble ensemble(long seed, int features, int trees, int maxDepth) {
        return ensemble(seed, features, trees, maxDepth, false);
    }

    /** With {@code nonNegativeLeaves}, every leaf value is at least 0. */
    static TreeEnsemble ensemble(long seed, int features, int trees, int maxDepth, boolean nonNegativeLeaves) {
        SplittableRandom random = new SplittableRandom(seed);
        List<TreeEnsemble.Tree> result = new ArrayList<>();
        for (int t = 0; t < trees; t++) {
            Builder b = new Builder((1 << (maxDepth + 1)) - 1);
            b.grow(random, 0, 0, maxDepth, features, 1000 * (1 + random.nextDouble()), nonNegativeLeaves);
            result.add(b.build());
        }
        return new TreeEnsemble(features, random.nextDouble() * 2 - 1, result);
    }

    /** Row-major inputs: 10% NaN, 40% grid values, the rest uniform floats in [0, 2). */
    static float[] rows(long seed, int rows, int features) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[rows * features];
        for (int i = 0; i < out.length; i++) {
            double u = random.nextDouble();
            out[i] = u < 0.1 ? Float.NaN : u < 0.5 ? (float) GRID[random.nextInt(GRID.length)] : (float) (2 * random.nextDouble());
        }
        return out;
    }

    static double[] row(float[] rows, int index, int features) {
        double[] row = new double[features];
        for (int f = 0; f < features; f++) {
            row[f] = rows[index * features + f];
        }
        return row;
    }

    private static final class Builder {
        final NodeMode[] mode;
        final int[] feature;
        final double[] threshold;
        final int[] trueChild;
        final int[] falseChild;
        final boolean[] missingTrue;
        final double[] value;
        final double[] cover;
        int size;

        Builder(int capacity) {
            mode = new NodeMode[capacity];
            feature = new int[capacity];
            threshold = new double[capacity];
            trueChild = new int[capacity];
            falseChild = new int[capacity];
            missingTrue = new boolean[capacity];
            value = new double[capacity];
            cover = new double[capacity];
        }

        void grow(SplittableRandom random, int node, int depth, int maxDepth, int features, double nodeCover,
                boolean nonNegative) {
            size = Math.max(size, node + 1);
            cover[node] = nodeCover;
            if (depth == maxDepth || (depth > 0 && random.nextDouble() < 0.2)) {
                mode[node] = NodeMode.LEAF;
                feature[node] = -1;
                trueChild[node] = -1;
                falseChild[node] = -1;
                double v = random.nextDouble() - 0.5;
                value[node] = nonNegative ? Math.abs(v) : v;
                return;
            }
            mode[node] = BRANCHES[random.nextInt(BRANCHES.length)];
            feature[node] = random.nextInt(features);
            // Mostly grid thresholds; some that no float equals, to check that the double comparison is kept.
            threshold[node] = random.nextDouble() < 0.7 ? GRID[random.nextInt(GRID.length)] : 0.1 + 1.8 * random.nextDouble();
            missingTrue[node] = random.nextBoolean();
            double share = 0.1 + 0.8 * random.nextDouble();
            trueChild[node] = size;
            grow(random, size, depth + 1, maxDepth, features, nodeCover * share, nonNegative);
            falseChild[node] = size;
            grow(random, size, depth + 1, maxDepth, features, nodeCover * (1 - share), nonNegative);
        }

        TreeEnsemble.Tree build() {
            return new TreeEnsemble.Tree(Arrays.copyOf(mode, size), Arrays.copyOf(feature, size),
                    Arrays.copyOf(threshold, size), Arrays.copyOf(trueChild, size), Arrays.copyOf(falseChild, size),
                    Arrays.copyOf(missingTrue, size), Arrays.copyOf(value, size), Arrays.copyOf(cover, size));
        }
    }
}

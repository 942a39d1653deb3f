package health.vigil.explain;

import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random tree ensembles and rows for testing and benchmarking explanations. Shapes vary on purpose:
 * balanced, chain-like and deep trees, features split on again along a path, every node mode including
 * equality tests, both missing-value directions and children without training cover. Thresholds, leaf values
 * and rows are representable as {@code float}, so the same model can run in ONNX Runtime unchanged.
 */
public final class RandomTrees {

    /** Node modes a branch may use. */
    private static final NodeMode[] BRANCH_MODES = {
        NodeMode.BRANCH_LEQ, NodeMode.BRANCH_LT, NodeMode.BRANCH_GTE,
        NodeMode.BRANCH_GT, NodeMode.BRANCH_EQ, NodeMode.BRANCH_NEQ
    };

    /**
     * How to grow a tree. {@code leafProbability} is the chance that a node above {@code maxDepth} stops;
     * {@code chainProbability} the chance that one child of a branch is a leaf (long unbalanced paths);
     * {@code repeatProbability} the chance that a split reuses a feature already split on along its path;
     * {@code zeroCoverProbability} the chance that a node has no training cover.
     */
    public record Shape(
            int features,
            int maxDepth,
            double leafProbability,
            double chainProbability,
            double repeatProbability,
            boolean allModes,
            double zeroCoverProbability) {

        public static Shape balanced(int features, int depth) {
            return new Shape(features, depth, 0, 0, 0, true, 0);
        }

        public static Shape unbalanced(int features, int depth) {
            return new Shape(features, depth, 0.05, 0.8, 0.1, true, 0);
        }

        public static Shape repeated(int features, int depth) {
            return new Shape(features, depth, 0.15, 0.2, 0.6, true, 0);
        }

        public static Shape mixed(int features, int depth) {
            return new Shape(features, depth, 0.2, 0.3, 0.3, true, 0.05);
        }

        /** What XGBoost grows: full trees of the given depth, {@code x < threshold} splits. */
        public static Shape xgboostLike(int features, int depth) {
            return new Shape(features, depth, 0, 0, 0, false, 0);
        }
    }

    private RandomTrees() {}

    public static TreeEnsemble ensemble(Random rng, Shape shape, int trees) {
        List<TreeEnsemble.Tree> list = new ArrayList<>();
        for (int t = 0; t < trees; t++) {
            list.add(tree(rng, shape));
        }
        return new TreeEnsemble(shape.features(), (float) (rng.nextGaussian() * 0.5), list);
    }

    public static TreeEnsemble.Tree tree(Random rng, Shape shape) {
        Builder builder = new Builder(rng, shape);
        builder.grow(0, new int[shape.maxDepth()], false);
        return builder.build();
    }

    /**
     * A row whose values often equal the thresholds (so equality splits go both ways), sometimes fall between
     * them, and are missing (NaN) with probability {@code missingProbability}.
     */
    public static double[] row(Random rng, int features, double missingProbability) {
        double[] row = new double[features];
        for (int i = 0; i < features; i++) {
            double u = rng.nextDouble();
            if (u < missingProbability) {
                row[i] = Double.NaN;
            } else if (rng.nextBoolean()) {
                row[i] = rng.nextInt(5);
            } else {
                row[i] = (float) (rng.nextDouble() * 6 - 1);
            }
        }
        return row;
    }

    private static final class Builder {
        private final Random rng;
        private final Shape shape;
        private final List<NodeMode> mode = new ArrayList<>();
        private final List<Integer> feature = new ArrayList<>();
        private final List<Double> threshold = new ArrayList<>();
        private final List<Integer> yes = new ArrayList<>();
        private final List<Integer> no = new ArrayList<>();
        private final List<Boolean> missingTrue = new ArrayList<>();
        private final List<Double> value = new ArrayList<>();
        private final List<Double> cover = new ArrayList<>();

        Builder(Random rng, Shape shape) {
            this.rng = rng;
            this.shape = shape;
        }

        /** Adds a subtree in pre-order, so children always come after their parent; returns its root. */
        int grow(int depth, int[] pathFeatures, boolean forceLeaf) {
            int id = mode.size();
            mode.add(NodeMode.LEAF);
            feature.add(0);
            threshold.add(0.0);
            yes.add(0);
            no.add(0);
            missingTrue.add(false);
            value.add(0.0);
            cover.add(0.0);
            boolean leaf = forceLeaf || depth >= shape.maxDepth() || (depth > 0 && rng.nextDouble() < shape.leafProbability());
            if (leaf) {
                value.set(id, (double) (float) (rng.nextGaussian() * 0.3));
                double c = rng.nextDouble() < shape.zeroCoverProbability() ? 0 : 1 + rng.nextInt(200);
                cover.set(id, c);
                return id;
            }
            int f = depth > 0 && rng.nextDouble() < shape.repeatProbability()
                    ? pathFeatures[rng.nextInt(depth)]
                    : rng.nextInt(shape.features());
            pathFeatures[depth] = f;
            NodeMode m = shape.allModes() ? BRANCH_MODES[rng.nextInt(BRANCH_MODES.length)] : NodeMode.BRANCH_LT;
            double t = m == NodeMode.BRANCH_EQ || m == NodeMode.BRANCH_NEQ || rng.nextBoolean()
                    ? rng.nextInt(5)
                    : (float) (rng.nextDouble() * 5 - 0.5);
            mode.set(id, m);
            feature.set(id, f);
            threshold.set(id, t);
            missingTrue.set(id, rng.nextBoolean());
            boolean chain = rng.nextDouble() < shape.chainProbability();
            boolean leafFirst = chain && rng.nextBoolean();
            int left = grow(depth + 1, pathFeatures, leafFirst);
            int right = grow(depth + 1, pathFeatures, chain && !leafFirst);
            yes.set(id, left);
            no.set(id, right);
            double c = cover.get(left) + cover.get(right);
            if (c == 0) {
                // A branch whose children both lack cover is not something training produces.
                cover.set(left, 1.0);
                c = cover.get(right) + 1.0;
            }
            if (depth > 0 && rng.nextDouble() < shape.zeroCoverProbability()) {
                // An exporter that rounded covers separately can leave a branch at 0 above covered children.
                c = 0;
            }
            cover.set(id, c);
            return id;
        }

        TreeEnsemble.Tree build() {
            int n = mode.size();
            int[] f = new int[n];
            double[] t = new double[n];
            int[] y = new int[n];
            int[] o = new int[n];
            boolean[] m = new boolean[n];
            double[] v = new double[n];
            double[] c = new double[n];
            for (int i = 0; i < n; i++) {
                f[i] = feature.get(i);
                t[i] = threshold.get(i);
                y[i] = yes.get(i);
                o[i] = no.get(i);
                m[i] = missingTrue.get(i);
                v[i] = value.get(i);
                c[i] = cover.get(i);
            }
            return new TreeEnsemble.Tree(mode.toArray(NodeMode[]::new), f, t, y, o, m, v, c);
        }
    }
}

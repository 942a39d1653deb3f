package health.vigil.model;

import health.vigil.error.ValidationException;
import java.util.List;

/**
 * A binary-classification ensemble of decision trees in margin space: {@code margin = baseMargin + sum of
 * the leaf values reached in each tree}, probability = logistic(margin). This is what XGBoost trains, what
 * an ONNX {@code TreeEnsembleClassifier} with {@code post_transform=LOGISTIC} computes, and what TreeSHAP
 * explains.
 */
public record TreeEnsemble(int featureCount, double baseMargin, List<Tree> trees) implements ModelStructure {

    public TreeEnsemble {
        if (featureCount < 1) {
            throw new ValidationException("a tree ensemble needs at least one feature");
        }
        trees = List.copyOf(trees);
        for (Tree tree : trees) {
            for (int i = 0; i < tree.size(); i++) {
                if (!tree.isLeaf(i) && (tree.feature()[i] < 0 || tree.feature()[i] >= featureCount)) {
                    throw new ValidationException("a tree node splits on feature " + tree.feature()[i]
                            + " but the ensemble has " + featureCount + " features");
                }
            }
        }
    }

    /** How a branch node compares {@code x[feature]} with its threshold; the true branch is taken when it holds. */
    public enum NodeMode {
        BRANCH_LEQ,
        BRANCH_LT,
        BRANCH_GTE,
        BRANCH_GT,
        BRANCH_EQ,
        BRANCH_NEQ,
        LEAF
    }

    /**
     * One tree as parallel arrays indexed by node id; node 0 is the root. For a branch node,
     * {@code trueChild}/{@code falseChild} are the next nodes and {@code missingTracksTrue} says where a
     * missing (NaN) value goes. For a leaf, {@code leafValue} is its margin contribution. {@code cover} is
     * the (hessian-weighted) number of training rows that reached each node, which path-dependent TreeSHAP
     * needs.
     */
    public record Tree(
            NodeMode[] mode,
            int[] feature,
            double[] threshold,
            int[] trueChild,
            int[] falseChild,
            boolean[] missingTracksTrue,
            double[] leafValue,
            double[] cover) {

        public Tree {
            int n = mode.length;
            if (n == 0 || feature.length != n || threshold.length != n || trueChild.length != n
                    || falseChild.length != n || missingTracksTrue.length != n || leafValue.length != n
                    || cover.length != n) {
                throw new ValidationException("a tree's node arrays must be non-empty and of equal length");
            }
            for (int i = 0; i < n; i++) {
                if (mode[i] != NodeMode.LEAF && (trueChild[i] <= i || falseChild[i] <= i
                        || trueChild[i] >= n || falseChild[i] >= n)) {
                    throw new ValidationException("tree node " + i + " has a child outside (" + i + ", " + n
                            + "); children must come after their parent");
                }
            }
            mode = mode.clone();
            feature = feature.clone();
            threshold = threshold.clone();
            trueChild = trueChild.clone();
            falseChild = falseChild.clone();
            missingTracksTrue = missingTracksTrue.clone();
            leafValue = leafValue.clone();
            cover = cover.clone();
        }

        public int size() {
            return mode.length;
        }

        public boolean isLeaf(int node) {
            return mode[node] == NodeMode.LEAF;
        }

        /** Whether row value {@code x} takes the true branch of {@code node}. */
        public boolean goesTrue(int node, double x) {
            if (Double.isNaN(x)) {
                return missingTracksTrue[node];
            }
            double t = threshold[node];
            return switch (mode[node]) {
                case BRANCH_LEQ -> x <= t;
                case BRANCH_LT -> x < t;
                case BRANCH_GTE -> x >= t;
                case BRANCH_GT -> x > t;
                case BRANCH_EQ -> x == t;
                case BRANCH_NEQ -> x != t;
                case LEAF -> throw new IllegalStateException("node " + node + " is a leaf");
            };
        }

        /** The leaf value this tree gives a row. */
        public double evaluate(double[] row) {
            int node = 0;
            while (!isLeaf(node)) {
                node = goesTrue(node, row[feature[node]]) ? trueChild[node] : falseChild[node];
            }
            return leafValue[node];
        }
    }

    /** The margin for one row. */
    public double margin(double[] row) {
        double sum = baseMargin;
        for (Tree tree : trees) {
            sum += tree.evaluate(row);
        }
        return sum;
    }

    public double probability(double[] row) {
        return 1.0 / (1.0 + Math.exp(-margin(row)));
    }
}

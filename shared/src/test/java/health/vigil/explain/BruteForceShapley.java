package health.vigil.explain;

import health.vigil.model.TreeEnsemble;
import java.util.function.IntToDoubleFunction;

/**
 * Shapley values by their definition: every coalition of the model's features is enumerated and its value
 * computed, then each feature's weighted marginal contributions are summed. Exponential in the number of
 * features, so it is the reference that TreeSHAP and LinearShap are checked against (up to about 16 features),
 * never something scoring runs.
 */
public final class BruteForceShapley {

    private BruteForceShapley() {}

    /**
     * Shapley values of the game with {@code players} players whose coalition value is {@code value} applied
     * to the coalition's bit mask (bit i set means player i is in the coalition).
     */
    public static double[] shapley(int players, IntToDoubleFunction value) {
        if (players < 1 || players > 20) {
            throw new IllegalArgumentException("brute force supports 1 to 20 players, not " + players);
        }
        int coalitions = 1 << players;
        double[] v = new double[coalitions];
        for (int mask = 0; mask < coalitions; mask++) {
            v[mask] = value.applyAsDouble(mask);
        }
        // weight[s] = s! (n - s - 1)! / n!, the share of orderings in which exactly s others come first.
        double[] weight = new double[players];
        for (int s = 0; s < players; s++) {
            weight[s] = 1.0 / (players * binomial(players - 1, s));
        }
        double[] phi = new double[players];
        for (int i = 0; i < players; i++) {
            int bit = 1 << i;
            double sum = 0;
            for (int mask = 0; mask < coalitions; mask++) {
                if ((mask & bit) == 0) {
                    sum += weight[Integer.bitCount(mask)] * (v[mask | bit] - v[mask]);
                }
            }
            phi[i] = sum;
        }
        return phi;
    }

    /** Path-dependent Shapley values of a tree ensemble's margin for one row. */
    public static double[] explain(TreeEnsemble ensemble, double[] row) {
        return shapley(ensemble.featureCount(), mask -> conditionalMargin(ensemble, row, mask));
    }

    /**
     * The value of coalition {@code mask}: the base margin plus, for every tree, the expectation of its leaf
     * value when the features in the coalition take the row's values and the others are unknown, the unknown
     * ones averaged over both branches in proportion to the training cover of each child.
     */
    public static double conditionalMargin(TreeEnsemble ensemble, double[] row, int mask) {
        double sum = ensemble.baseMargin();
        for (TreeEnsemble.Tree tree : ensemble.trees()) {
            sum += conditionalValue(tree, 0, row, mask);
        }
        return sum;
    }

    private static double conditionalValue(TreeEnsemble.Tree tree, int node, double[] row, int mask) {
        if (tree.isLeaf(node)) {
            return tree.leafValue()[node];
        }
        int feature = tree.feature()[node];
        int yes = tree.trueChild()[node];
        int no = tree.falseChild()[node];
        if ((mask & (1 << feature)) != 0) {
            return conditionalValue(tree, tree.goesTrue(node, row[feature]) ? yes : no, row, mask);
        }
        double coverYes = tree.cover()[yes];
        double coverNo = tree.cover()[no];
        return (coverYes * conditionalValue(tree, yes, row, mask) + coverNo * conditionalValue(tree, no, row, mask))
                / (coverYes + coverNo);
    }

    private static double binomial(int n, int k) {
        double result = 1;
        for (int i = 1; i <= k; i++) {
            result = result * (n - k + i) / i;
        }
        return result;
    }
}

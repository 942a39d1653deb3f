package health.vigil.explain;

import health.vigil.model.TreeEnsemble;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One tree as {@link TreeShap} flattens it: reachable nodes only, in pre-order (every parent before its
 * children, true child first), shared sub-trees copied so that each node has one path from the root, and per
 * node the path facts TreeSHAP needs: the earlier split on the same feature and the merged zero fraction.
 */
final class PreorderTree {

    final int size;
    final byte[] mode;
    final int[] feature;
    final double[] threshold;
    final boolean[] missingTracksTrue;
    final double[] leafValue;
    final int[] trueChild;
    final int[] falseChild;
    final int[] parent;
    final boolean[] isTrueChild;
    /**
     * The nearest node above on the path that was entered through a split on the same feature as this node's
     * parent, or -1.
     */
    final int[] previous;
    /** The product of the cover fractions of every split on the parent's feature down to this node. */
    final double[] zero;
    /** The cover-weighted mean leaf value. */
    double mean;
    /** The most distinct features on one root-to-leaf path. */
    int distinctFeatures;

    private record Frame(int node, int parent, boolean isTrueChild, double fraction) {}

    private PreorderTree(int size) {
        this.size = size;
        mode = new byte[size];
        feature = new int[size];
        threshold = new double[size];
        missingTracksTrue = new boolean[size];
        leafValue = new double[size];
        trueChild = new int[size];
        falseChild = new int[size];
        parent = new int[size];
        isTrueChild = new boolean[size];
        previous = new int[size];
        zero = new double[size];
    }

    /**
     * Lays out tree {@code index} of an ensemble, validating covers and leaf values on the way.
     *
     * @param budget the most nodes the layout may have
     */
    static PreorderTree of(int index, TreeEnsemble.Tree tree, int featureCount, int budget) {
        PreorderTree nodes = new PreorderTree(countPreorder(index, tree, budget));
        double[] fraction = new double[nodes.size];

        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(0, -1, false, 1));
        int next = 0;
        while (!stack.isEmpty()) {
            Frame frame = stack.pop();
            int i = frame.node();
            int c = next++;
            nodes.parent[c] = frame.parent();
            nodes.isTrueChild[c] = frame.isTrueChild();
            fraction[c] = frame.fraction();
            if (frame.parent() >= 0) {
                if (frame.isTrueChild()) {
                    nodes.trueChild[frame.parent()] = c;
                } else {
                    nodes.falseChild[frame.parent()] = c;
                }
            }
            if (tree.isLeaf(i)) {
                nodes.mode[c] = TreeShap.code(TreeEnsemble.NodeMode.LEAF);
                nodes.feature[c] = -1;
                nodes.leafValue[c] = tree.leafValue()[i];
                if (!Double.isFinite(nodes.leafValue[c])) {
                    throw TreeShap.invalid("tree " + index + ", leaf " + i + " has a value that is not a finite number");
                }
                continue;
            }
            int yes = tree.trueChild()[i];
            int no = tree.falseChild()[i];
            double coverYes = tree.cover()[yes];
            double coverNo = tree.cover()[no];
            if (!(coverYes >= 0 && coverNo >= 0) || !Double.isFinite(coverYes) || !Double.isFinite(coverNo)) {
                throw TreeShap.invalid("tree " + index + ", node " + i + " has a child whose cover is negative or"
                        + " not a finite number; covers are training-row weights and must be finite and at least 0");
            }
            if (coverYes + coverNo == 0) {
                throw TreeShap.invalid("tree " + index + ", node " + i + " has children with no training cover;"
                        + " path-dependent TreeSHAP needs each node's cover (the training-row weight that reached"
                        + " it, as XGBoost exports it)");
            }
            nodes.mode[c] = TreeShap.code(tree.mode()[i]);
            nodes.feature[c] = tree.feature()[i];
            nodes.threshold[c] = tree.threshold()[i];
            nodes.missingTracksTrue[c] = tree.missingTracksTrue()[i];
            // Normalising by the children's sum rather than the node's own cover keeps the two fractions a
            // proper distribution even when exported covers were rounded separately.
            stack.push(new Frame(no, c, false, coverNo / (coverYes + coverNo)));
            stack.push(new Frame(yes, c, true, coverYes / (coverYes + coverNo)));
        }
        nodes.linkRepeatedFeatures(fraction, featureCount);
        nodes.summarise(fraction);
        return nodes;
    }

    /**
     * Sets {@link #previous} and {@link #zero}: walking the pre-order with the current root path on a stack,
     * {@code last[f]} is the deepest node on the path entered through a split on feature f.
     */
    private void linkRepeatedFeatures(double[] fraction, int featureCount) {
        int[] last = new int[featureCount];
        Arrays.fill(last, -1);
        int[] path = new int[size];
        int top = 0;
        path[top++] = 0;
        previous[0] = -1;
        zero[0] = 1;
        for (int c = 1; c < size; c++) {
            while (path[top - 1] != parent[c]) {
                int leaving = path[--top];
                last[feature[parent[leaving]]] = previous[leaving];
            }
            int f = feature[parent[c]];
            previous[c] = last[f];
            zero[c] = (previous[c] < 0 ? 1 : zero[previous[c]]) * fraction[c];
            last[f] = c;
            path[top++] = c;
        }
    }

    /** Sets {@link #mean} and {@link #distinctFeatures}. */
    private void summarise(double[] fraction) {
        int[] distinct = new int[size];
        for (int c = 1; c < size; c++) {
            distinct[c] = distinct[parent[c]] + (previous[c] < 0 ? 1 : 0);
            distinctFeatures = Math.max(distinctFeatures, distinct[c]);
        }
        double[] expectation = new double[size];
        for (int c = size - 1; c >= 0; c--) {
            if (feature[c] < 0) {
                expectation[c] = leafValue[c];
            }
            if (c > 0) {
                expectation[parent[c]] += fraction[c] * expectation[c];
            }
        }
        mean = expectation[0];
    }

    /** The number of nodes the pre-order layout will have, copying shared sub-trees; fails past the budget. */
    private static int countPreorder(int index, TreeEnsemble.Tree tree, int budget) {
        int count = 0;
        Deque<Integer> stack = new ArrayDeque<>();
        stack.push(0);
        while (!stack.isEmpty()) {
            int i = stack.pop();
            if (++count > budget) {
                throw TreeShap.invalid("tree " + index + " takes the model past " + TreeShap.MAX_NODES
                        + " nodes once its shared sub-trees are copied; export the trees without shared nodes");
            }
            if (!tree.isLeaf(i)) {
                stack.push(tree.falseChild()[i]);
                stack.push(tree.trueChild()[i]);
            }
        }
        return count;
    }
}

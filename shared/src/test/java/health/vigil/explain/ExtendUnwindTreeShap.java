package health.vigil.explain;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import java.util.List;
import java.util.Objects;

/**
 * Path-dependent TreeSHAP exactly as Lundberg, Erion and Lee (2018) give it in Algorithm 2: a recursion over
 * each tree that keeps the subset-size weights of the path (EXTEND), removes a feature split on twice
 * (UNWIND) and, at each leaf, sums the unwound weights of every path element. {@link TreeShap} computes the
 * same values by a different route (quadrature over the Shapley integral); this class is the second,
 * independently derived reference that checks it on models too wide for brute-force enumeration, and the
 * benchmarks' measure of what the classic algorithm costs.
 *
 * <p>Two exact shortcuts: every one fraction is 0 or 1 in this path-dependent form, so the unwound sum of a
 * cold element (one fraction 0) is a quantity shared by all cold elements divided by its zero fraction, and
 * the zero fraction cancels; and a child reached with zero and one fractions both 0 contributes nothing, so it
 * is not visited.
 */
public final class ExtendUnwindTreeShap implements MarginExplainer {

    private static final byte LEQ = 0;
    private static final byte LT = 1;
    private static final byte GTE = 2;
    private static final byte GT = 3;
    private static final byte EQ = 4;
    private static final byte NEQ = 5;
    private static final byte LEAF = 6;

    private final int featureCount;
    private final double baseMargin;
    private final double expectedMargin;
    private final int maxDepth;
    private final int[] roots;

    // All trees' nodes in one set of arrays; children are global indices.
    private final byte[] mode;
    private final int[] splitFeature;
    private final double[] threshold;
    private final int[] trueChild;
    private final int[] falseChild;
    private final boolean[] missingTracksTrue;
    private final double[] leafValue;
    private final double[] trueFraction;
    private final double[] falseFraction;

    // Rational factors of EXTEND and UNWIND, indexed [u * stride + i] for unique depth u and path slot i.
    private final int stride;
    private final double[] upFactor;       // (i + 1) / (u + 1)
    private final double[] downFactor;     // (u - i) / (u + 1)
    private final double[] invUpFactor;    // (u + 1) / (i + 1)
    private final double[] invDownFactor;  // (u + 1) / (u - i)
    private final double[] unwindRatio;    // (u - i) / (i + 1)

    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    /**
     * Flattens the ensemble and checks that every reachable node can be explained.
     *
     * @throws ValidationException (INVALID_PACKAGE) when a reachable branch has no training cover, a cover is
     *     negative or not finite, or a reachable leaf value or the base margin is not finite
     */
    public ExtendUnwindTreeShap(TreeEnsemble ensemble) {
        Objects.requireNonNull(ensemble, "ensemble");
        if (!Double.isFinite(ensemble.baseMargin())) {
            throw invalid("the ensemble's base margin is not a finite number");
        }
        List<TreeEnsemble.Tree> trees = ensemble.trees();
        int total = 0;
        for (TreeEnsemble.Tree tree : trees) {
            total += tree.size();
        }
        featureCount = ensemble.featureCount();
        baseMargin = ensemble.baseMargin();
        roots = new int[trees.size()];
        mode = new byte[total];
        splitFeature = new int[total];
        threshold = new double[total];
        trueChild = new int[total];
        falseChild = new int[total];
        missingTracksTrue = new boolean[total];
        leafValue = new double[total];
        trueFraction = new double[total];
        falseFraction = new double[total];

        double expected = baseMargin;
        int deepest = 0;
        int offset = 0;
        for (int t = 0; t < trees.size(); t++) {
            TreeEnsemble.Tree tree = trees.get(t);
            roots[t] = offset;
            int[] depth = new int[tree.size()];
            double[] mean = new double[tree.size()];
            boolean[] reachable = reachable(tree);
            // Children come after their parent, so a backwards pass sees both children before the parent.
            for (int i = tree.size() - 1; i >= 0; i--) {
                int g = offset + i;
                if (tree.isLeaf(i)) {
                    mode[g] = LEAF;
                    splitFeature[g] = -1;
                    leafValue[g] = tree.leafValue()[i];
                    if (reachable[i] && !Double.isFinite(leafValue[g])) {
                        throw invalid("tree " + t + ", leaf " + i + " has a value that is not a finite number");
                    }
                    mean[i] = leafValue[g];
                    continue;
                }
                int yes = tree.trueChild()[i];
                int no = tree.falseChild()[i];
                mode[g] = code(tree.mode()[i]);
                splitFeature[g] = tree.feature()[i];
                threshold[g] = tree.threshold()[i];
                trueChild[g] = offset + yes;
                falseChild[g] = offset + no;
                missingTracksTrue[g] = tree.missingTracksTrue()[i];
                depth[i] = 1 + Math.max(depth[yes], depth[no]);
                if (!reachable[i]) {
                    continue;
                }
                double coverYes = tree.cover()[yes];
                double coverNo = tree.cover()[no];
                if (!(coverYes >= 0 && coverNo >= 0) || !Double.isFinite(coverYes) || !Double.isFinite(coverNo)) {
                    throw invalid("tree " + t + ", node " + i + " has a child whose cover is negative or not a"
                            + " finite number; covers are training-row weights and must be finite and at least 0");
                }
                if (coverYes + coverNo == 0) {
                    throw invalid("tree " + t + ", node " + i + " has children with no training cover; path-dependent"
                            + " TreeSHAP needs each node's cover (the training-row weight that reached it, as XGBoost"
                            + " exports it)");
                }
                // Normalising by the children's sum rather than the node's own cover keeps the two fractions a
                // proper distribution even when exported covers were rounded separately.
                trueFraction[g] = coverYes / (coverYes + coverNo);
                falseFraction[g] = coverNo / (coverYes + coverNo);
                mean[i] = trueFraction[g] * mean[yes] + falseFraction[g] * mean[no];
            }
            expected += mean[0];
            deepest = Math.max(deepest, depth[0]);
            offset += tree.size();
        }
        expectedMargin = expected;
        maxDepth = deepest;

        stride = maxDepth + 2;
        upFactor = new double[stride * stride];
        downFactor = new double[stride * stride];
        invUpFactor = new double[stride * stride];
        invDownFactor = new double[stride * stride];
        unwindRatio = new double[stride * stride];
        for (int u = 0; u < stride; u++) {
            for (int i = 0; i < u; i++) {
                upFactor[u * stride + i] = (i + 1) / (double) (u + 1);
                downFactor[u * stride + i] = (u - i) / (double) (u + 1);
                invUpFactor[u * stride + i] = (u + 1) / (double) (i + 1);
                invDownFactor[u * stride + i] = (u + 1) / (double) (u - i);
                unwindRatio[u * stride + i] = (u - i) / (double) (i + 1);
            }
        }
    }

    private static byte code(TreeEnsemble.NodeMode nodeMode) {
        return switch (nodeMode) {
            case BRANCH_LEQ -> LEQ;
            case BRANCH_LT -> LT;
            case BRANCH_GTE -> GTE;
            case BRANCH_GT -> GT;
            case BRANCH_EQ -> EQ;
            case BRANCH_NEQ -> NEQ;
            case LEAF -> LEAF;
        };
    }

    private static boolean[] reachable(TreeEnsemble.Tree tree) {
        boolean[] reachable = new boolean[tree.size()];
        reachable[0] = true;
        for (int i = 0; i < tree.size(); i++) {
            if (reachable[i] && !tree.isLeaf(i)) {
                reachable[tree.trueChild()[i]] = true;
                reachable[tree.falseChild()[i]] = true;
            }
        }
        return reachable;
    }

    private static ValidationException invalid(String message) {
        return new ValidationException(ErrorCode.INVALID_PACKAGE, "cannot explain this model: " + message);
    }

    @Override
    public int featureCount() {
        return featureCount;
    }

    /** The base margin plus, for each tree, the mean of its leaf values weighted by their training cover. */
    @Override
    public double expectedMargin() {
        return expectedMargin;
    }

    /** The largest number of splits on one root-to-leaf path of any tree. */
    public int maxDepth() {
        return maxDepth;
    }

    @Override
    public double explain(double[] row, double[] out) {
        checkRow(row.length, out);
        Workspace ws = workspaces.get();
        return ws.run(row, out);
    }

    /**
     * Explains the row stored in {@code rows[offset .. offset + featureCount())}, as a scoring batch holds it,
     * without allocating.
     */
    public double explain(float[] rows, int offset, double[] out) {
        if (offset < 0 || offset > rows.length - featureCount) {
            throw new ValidationException(ErrorCode.INVALID_FEATURE, "the batch has no complete row at offset "
                    + offset + "; the model takes " + featureCount + " inputs per row");
        }
        checkRow(featureCount, out);
        Workspace ws = workspaces.get();
        double[] x = ws.floatRow;
        for (int i = 0; i < featureCount; i++) {
            x[i] = rows[offset + i];
        }
        return ws.run(x, out);
    }

    private void checkRow(int width, double[] out) {
        if (width != featureCount) {
            throw new ValidationException(ErrorCode.INVALID_FEATURE, "the row has " + width
                    + " values but the model takes " + featureCount + " inputs");
        }
        if (out.length < featureCount) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "the contribution array holds "
                    + out.length + " values but the model has " + featureCount + " inputs");
        }
    }

    private boolean goesTrue(int node, double x) {
        if (Double.isNaN(x)) {
            return missingTracksTrue[node];
        }
        double t = threshold[node];
        return switch (mode[node]) {
            case LEQ -> x <= t;
            case LT -> x < t;
            case GTE -> x >= t;
            case GT -> x > t;
            case EQ -> x == t;
            case NEQ -> x != t;
            default -> throw new IllegalStateException("node " + node + " is a leaf");
        };
    }

    /**
     * One thread's path stack. The algorithm's path at recursion level r lives in a segment of these arrays;
     * a child's segment starts right after its parent's, so the arrays need (depth + 2)(depth + 3) / 2 slots.
     */
    private final class Workspace {
        final int[] feature;
        final double[] zero;
        final double[] one;
        final double[] weight;
        final double[] floatRow = new double[featureCount];
        double[] row;
        double[] phi;

        Workspace() {
            int slots = (maxDepth + 2) * (maxDepth + 3) / 2;
            feature = new int[slots];
            zero = new double[slots];
            one = new double[slots];
            weight = new double[slots];
        }

        double run(double[] x, double[] out) {
            row = x;
            phi = out;
            for (int i = 0; i < featureCount; i++) {
                out[i] = 0;
            }
            double margin = baseMargin;
            try {
                for (int root : roots) {
                    recurse(root, 0, 0, 1, 1, -1);
                    margin += leafValue[leafOf(root)];
                }
            } finally {
                row = null;
                phi = null;
            }
            return margin;
        }

        private int leafOf(int node) {
            while (mode[node] != LEAF) {
                node = goesTrue(node, row[splitFeature[node]]) ? trueChild[node] : falseChild[node];
            }
            return node;
        }

        /**
         * RECURSE of Algorithm 2: the path in segment {@code start} holds {@code len} elements; the edge into
         * {@code node} adds one with zero fraction {@code pz}, one fraction {@code po} and feature {@code pf}.
         */
        private void recurse(int node, int start, int len, double pz, double po, int pf) {
            extend(start, len, pz, po, pf);
            int unique = len;
            if (mode[node] == LEAF) {
                if (unique > 0) {
                    leaf(start, unique, leafValue[node]);
                }
                return;
            }
            int f = splitFeature[node];
            boolean yes = goesTrue(node, row[f]);
            int hot = yes ? trueChild[node] : falseChild[node];
            int cold = yes ? falseChild[node] : trueChild[node];
            double hotFraction = yes ? trueFraction[node] : falseFraction[node];
            double coldFraction = yes ? falseFraction[node] : trueFraction[node];

            // A feature split on again further down the path is one element whose fractions multiply.
            double incomingZero = 1;
            double incomingOne = 1;
            for (int k = 1; k <= unique; k++) {
                if (feature[start + k] == f) {
                    incomingZero = zero[start + k];
                    incomingOne = one[start + k];
                    unwind(start, unique, k);
                    unique--;
                    break;
                }
            }
            double hotZero = incomingZero * hotFraction;
            double coldZero = incomingZero * coldFraction;
            int count = unique + 1;
            if (hotZero != 0 || incomingOne != 0) {
                if (coldZero != 0) {
                    int next = start + count;
                    // Paths are a few elements long: a plain loop beats four System.arraycopy calls.
                    for (int i = 0; i < count; i++) {
                        feature[next + i] = feature[start + i];
                        zero[next + i] = zero[start + i];
                        one[next + i] = one[start + i];
                        weight[next + i] = weight[start + i];
                    }
                    recurse(hot, next, count, hotZero, incomingOne, f);
                } else {
                    recurse(hot, start, count, hotZero, incomingOne, f);
                }
            }
            if (coldZero != 0) {
                // The last child may extend this node's own segment: nothing here reads it afterwards.
                recurse(cold, start, count, coldZero, 0, f);
            }
        }

        /** EXTEND: adds element {@code u} and updates the weights of the subset sizes. */
        private void extend(int start, int u, double pz, double po, int pf) {
            int s = start;
            feature[s + u] = pf;
            zero[s + u] = pz;
            one[s + u] = po;
            weight[s + u] = u == 0 ? 1 : 0;
            int r = u * stride;
            if (po != 0) {
                for (int i = u - 1; i >= 0; i--) {
                    double w = weight[s + i];
                    weight[s + i + 1] += po * w * upFactor[r + i];
                    weight[s + i] = pz * w * downFactor[r + i];
                }
            } else {
                for (int i = u - 1; i >= 0; i--) {
                    weight[s + i] = pz * weight[s + i] * downFactor[r + i];
                }
            }
        }

        /** UNWIND: removes element {@code k} from a path of unique depth {@code u}, undoing its EXTEND. */
        private void unwind(int start, int u, int k) {
            int s = start;
            double o = one[s + k];
            double z = zero[s + k];
            int r = u * stride;
            if (o != 0) {
                double next = weight[s + u];
                for (int j = u - 1; j >= 0; j--) {
                    double w = weight[s + j];
                    weight[s + j] = next * invUpFactor[r + j] / o;
                    next = w - weight[s + j] * z * downFactor[r + j];
                }
            } else {
                // z > 0 here: a child reached with both fractions 0 is never visited.
                for (int j = u - 1; j >= 0; j--) {
                    weight[s + j] = weight[s + j] * invDownFactor[r + j] / z;
                }
            }
            for (int j = k; j < u; j++) {
                feature[s + j] = feature[s + j + 1];
                zero[s + j] = zero[s + j + 1];
                one[s + j] = one[s + j + 1];
            }
        }

        /** The leaf step: each path element's unwound path sum times (one - zero) times the leaf value. */
        private void leaf(int start, int u, double value) {
            int s = start;
            int r = u * stride;
            double coldSum = 0;
            boolean coldSumKnown = false;
            for (int i = 1; i <= u; i++) {
                double z = zero[s + i];
                if (one[s + i] != 0) {
                    // UNWOUND_PATH_SUM with one fraction 1. The factor (u+1)/(j+1) * (u-j)/(u+1) is folded into
                    // one table so the loop-carried chain through `next` is a single multiply and subtract.
                    double next = weight[s + u];
                    double total = 0;
                    for (int j = u - 1; j >= 0; j--) {
                        total += next * invUpFactor[r + j];
                        next = weight[s + j] - next * (z * unwindRatio[r + j]);
                    }
                    phi[feature[s + i]] += total * (1 - z) * value;
                } else {
                    // For a cold element the unwound sum is coldSum / z and its weight (0 - z), so z cancels.
                    if (!coldSumKnown) {
                        coldSumKnown = true;
                        for (int j = u - 1; j >= 0; j--) {
                            coldSum += weight[s + j] * invDownFactor[r + j];
                        }
                    }
                    phi[feature[s + i]] -= coldSum * value;
                }
            }
        }
    }
}

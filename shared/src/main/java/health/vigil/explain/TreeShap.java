package health.vigil.explain;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Exact path-dependent TreeSHAP for a {@link TreeEnsemble} in margin space: the Shapley values that Lundberg,
 * Erion and Lee's TreeSHAP (2018, Algorithm 2) computes, where a coalition S is valued by the conditional
 * expectation the trees themselves define: at a split on a feature in S the row's branch is followed (a NaN
 * value follows the node's missing-value direction); at a split on any other feature both branches are
 * averaged, weighted by the training cover of each child. The contributions sum to
 * {@code margin(row) - expectedMargin()}, the expected margin being the base margin plus each tree's
 * cover-weighted mean leaf value.
 *
 * <p>How it computes them. For one leaf, write each feature on its path as (z, o): z the product of the cover
 * fractions of the path's splits on that feature, o = 1 when the row takes all of them and 0 otherwise. The
 * leaf's Shapley value for feature i is {@code v (o_i - z_i) ∫_0^1 Π_{j≠i} (o_j t + z_j (1 - t)) dt}, a
 * polynomial integral of degree below the number of distinct features on the path (the Beta-integral form of
 * the Shapley weights, as in Yu et al., "Linear TreeShap", 2022, and Quadrature-TreeSHAP, 2026). Gauss–Legendre
 * quadrature with ceil(distinct features / 2) points integrates it exactly, and sharing the products between
 * leaves turns a tree into one pass down (products from the root) and one pass up (sums from the leaves) over
 * its branch nodes, linear in the size of the tree. A feature split on again further down is handled by
 * telescoping: each occurrence adds the change it makes to the final element. Algorithm 2 itself spends most
 * of its time in serial extend/unwind recurrences and measured about five times slower on the benchmark model
 * (docs/benchmarks.md); the test suite keeps it as an independent reference.
 *
 * <p>Shallow trees skip the passes: for a leaf, the values above depend only on the tree and on which of its
 * path's distinct features the row follows (each o_j 0 or 1), so {@link LeafTables} computes them once per model
 * for every combination, and a row costs one comparison per split and a table read and add per leaf and path
 * feature, leaves read in groups (ADR 0039). The tables are bounded: trees are tabulated in order while they fit
 * 4 MiB per model and no leaf has more than eight distinct features (all 300 depth-4 trees of the readmission
 * model, about 3 MiB; about 21 of the benchmark model's 200 of depth 6); the passes explain the others.
 *
 * <p>The four quadrature points of a block are computed either as scalars written out lane by lane, or, when the
 * JVM runs with the incubating Vector API ({@code --add-modules=jdk.incubator.vector}), as one 256-bit vector
 * ({@link VectorPasses}, about 1.6 times faster on the benchmark model; docs/adr/0020). {@link Arithmetic#best()}
 * picks; a JVM without the module uses the scalar passes and never loads a vector class.
 *
 * <p>Written here rather than taken from a library: no maintained Java library explains ONNX tree ensembles,
 * and scoring needs it allocation-free. The trees are flattened once into parallel arrays over their branch
 * nodes in level order (leaves live on as their parents' edges); each thread keeps one workspace sized for the
 * largest tree, so explaining a row allocates nothing.
 */
public final class TreeShap implements MarginExplainer {

    /** Guards against trees whose shared sub-trees (allowed by TreeEnsemble) would explode when unshared. */
    static final int MAX_NODES = 1 << 24;

    private static final byte LEQ = 0;
    private static final byte LT = 1;
    private static final byte GTE = 2;
    private static final byte GT = 3;
    private static final byte EQ = 4;
    private static final byte NEQ = 5;
    private static final byte LEAF = 6;

    /**
     * Quadrature points are processed in blocks of this many: written out one by one so that they stay in
     * registers, or as one 256-bit vector (see {@link Arithmetic}).
     */
    static final int LANES = 4;

    /**
     * How the four quadrature points of a block are computed. Both give the same contributions up to the last
     * bits of rounding (the vector passes add each point's share per feature and sum the four at the end of the
     * row, the scalar ones sum them at each split); both are tested against brute force.
     */
    public enum Arithmetic {
        /** The four points written out as scalar operations; runs on every JVM. */
        SCALAR,
        /**
         * The four points as one {@code DoubleVector} of the incubating Vector API ({@code jdk.incubator.vector});
         * needs the module in the boot layer ({@code --add-modules=jdk.incubator.vector}) and 256-bit vectors.
         */
        VECTOR;

        /**
         * {@link #VECTOR} when the JVM was started with the Vector API module, the processor has 256-bit vectors
         * and C2 compiles (not {@code -XX:TieredStopAtLevel=1} or {@code -Xint}), unless the system property
         * {@code vigil.explain.vectors} is {@code false}; otherwise {@link #SCALAR}.
         */
        public static Arithmetic best() {
            return VectorLanes.USABLE ? VECTOR : SCALAR;
        }

        /** Whether this JVM can run it. */
        public boolean available() {
            return this == SCALAR || VectorLanes.AVAILABLE;
        }
    }

    private final int featureCount;
    private final double baseMargin;
    private final double expectedMargin;
    private final int mostBranches;
    private final int mostPoints;

    /**
     * Tree t's branch nodes are global indices [branchStart[t], branchStart[t + 1]), in level order, its root
     * first. Its edges are 2 k (true side) and 2 k + 1 (false side) of each branch k. A tree that is a single
     * leaf has no branches and contributes {@code rootValue[t]}.
     */
    private final int[] branchStart;
    private final double[] rootValue;
    /**
     * Quadrature points tree t uses: ceil(most distinct features on one of its paths / 2), rounded up to a
     * multiple of {@link #LANES}.
     */
    private final int[] treePoints;
    private final GaussLegendre[] rules;

    // Per branch node (global index); child, parentEdge and previousEdge hold indices local to the tree.
    final int[] splitFeature;
    final double[] threshold;
    /** Bit i is the branch taken (1 = true) when x is below, at, above the threshold or missing (i = 0..3). */
    final byte[] outcomes;
    /** The edge into this branch, or -1 at the root. */
    final int[] parentEdge;
    /** The nearest edge above on the path that splits on this node's feature, or -1 if there is none. */
    final int[] previousEdge;
    /**
     * Vector arithmetic only: {@code outcomes} as four arrays of 1 and 0, whether the row takes the true branch
     * when x is below, at, above the threshold or missing (padded like {@code threshold}).
     */
    final double[][] goesTrue;

    // Per edge (global index 2 k + side).
    /** The branch node the edge leads to, or -1 when it leads to a leaf. */
    final int[] child;
    /** The value of the leaf the edge leads to (0 when it leads to a branch). */
    final double[] leafValue;
    /** z of the feature split on, once this edge is taken: the product of its splits' cover fractions. */
    final double[] zero;

    private final LeafTables tables;
    private final Arithmetic arithmetic;
    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    /** Flattens the ensemble for the best arithmetic this JVM offers ({@link Arithmetic#best()}). */
    public TreeShap(TreeEnsemble ensemble) {
        this(ensemble, Arithmetic.best());
    }

    /**
     * Flattens the ensemble and checks that every reachable node can be explained.
     *
     * @throws ValidationException (INVALID_PACKAGE) when a reachable branch has no training cover, a cover is
     *     negative or not finite, a reachable leaf value or the base margin is not finite, or the trees are too
     *     large to explain
     * @throws IllegalArgumentException when this JVM cannot run {@code arithmetic}
     */
    public TreeShap(TreeEnsemble ensemble, Arithmetic arithmetic) {
        this(ensemble, arithmetic, LeafTables.BUDGET_BYTES);
    }

    /** As {@link #TreeShap(TreeEnsemble, Arithmetic)}, with at most {@code tableBytes} of per-leaf tables. */
    TreeShap(TreeEnsemble ensemble, Arithmetic arithmetic, long tableBytes) {
        Objects.requireNonNull(ensemble, "ensemble");
        if (!arithmetic.available()) {
            throw new IllegalArgumentException("vector arithmetic needs the JVM option "
                    + "--add-modules=jdk.incubator.vector and a processor with 256-bit vectors");
        }
        this.arithmetic = arithmetic;
        if (!Double.isFinite(ensemble.baseMargin())) {
            throw invalid("the ensemble's base margin is not a finite number");
        }
        List<TreeEnsemble.Tree> trees = ensemble.trees();
        featureCount = ensemble.featureCount();
        baseMargin = ensemble.baseMargin();
        branchStart = new int[trees.size() + 1];
        rootValue = new double[trees.size()];
        treePoints = new int[trees.size()];

        PreorderTree[] laid = new PreorderTree[trees.size()];
        int nodes = 0;
        int branches = 0;
        int most = 1;
        for (int t = 0; t < trees.size(); t++) {
            laid[t] = PreorderTree.of(t, trees.get(t), featureCount, MAX_NODES - nodes);
            nodes += laid[t].size;
            branchStart[t] = branches;
            // Every node is a leaf or has two children, so a tree of n nodes has (n - 1) / 2 branches.
            branches += laid[t].size / 2;
            most = Math.max(most, laid[t].size / 2);
        }
        branchStart[trees.size()] = branches;
        mostBranches = most;
        // Padded so that the vector passes can read a whole block of splits past a tree's last one.
        splitFeature = new int[branches + LANES - 1];
        threshold = new double[branches + LANES - 1];
        outcomes = new byte[branches];
        goesTrue = new double[4][arithmetic == Arithmetic.VECTOR ? branches + LANES - 1 : 0];
        parentEdge = new int[branches];
        previousEdge = new int[branches];
        child = new int[2 * branches];
        leafValue = new double[2 * branches];
        zero = new double[2 * branches];

        double expected = baseMargin;
        int points = 1;
        for (int t = 0; t < trees.size(); t++) {
            PreorderTree tree = laid[t];
            rootValue[t] = tree.leafValue[0];
            flatten(tree, branchStart[t]);
            expected += tree.mean;
            // ceil(distinct / 2) points are exact; rounding up to whole blocks of LANES costs nothing in accuracy.
            int exact = Math.max(1, (tree.distinctFeatures + 1) / 2);
            treePoints[t] = LANES * ((exact + LANES - 1) / LANES);
            points = Math.max(points, treePoints[t]);
        }
        expectedMargin = expected;
        mostPoints = points;
        tables = LeafTables.of(this, branchStart, tableBytes);
        rules = new GaussLegendre[mostPoints + 1];
        for (int n : treePoints) {
            if (rules[n] == null) {
                rules[n] = GaussLegendre.of(n);
            }
        }
    }

    /**
     * Copies one tree's branch nodes, numbered from {@code start} level by level (breadth first), and their
     * edges. Level order keeps every parent before its children, as the passes need, and puts nodes that do
     * not depend on each other next to each other, so consecutive steps of a pass do not wait on the
     * previous one's result.
     */
    private void flatten(PreorderTree tree, int start) {
        int[] branchOf = new int[tree.size];
        Arrays.fill(branchOf, -1);
        int[] queue = new int[tree.size];
        int head = 0;
        int tail = 0;
        int b = 0;
        queue[tail++] = 0;
        while (head < tail) {
            int c = queue[head++];
            if (tree.mode[c] != LEAF) {
                branchOf[c] = b++;
                queue[tail++] = tree.trueChild[c];
                queue[tail++] = tree.falseChild[c];
            }
        }
        for (int c = 0; c < tree.size; c++) {
            if (tree.mode[c] == LEAF) {
                continue;
            }
            int k = start + branchOf[c];
            splitFeature[k] = tree.feature[c];
            threshold[k] = tree.threshold[c];
            outcomes[k] = outcomes(tree.mode[c], tree.threshold[c], tree.missingTracksTrue[c]);
            if (arithmetic == Arithmetic.VECTOR) {
                for (int i = 0; i < 4; i++) {
                    goesTrue[i][k] = (outcomes[k] >>> i) & 1;
                }
            }
            parentEdge[k] = c == 0 ? -1 : edgeInto(tree, branchOf, c);
            // Both children were entered through this node's feature, so they share the earlier split.
            int earlier = tree.previous[tree.trueChild[c]];
            previousEdge[k] = earlier < 0 ? -1 : edgeInto(tree, branchOf, earlier);
            int[] sides = {tree.trueChild[c], tree.falseChild[c]};
            for (int side = 0; side < 2; side++) {
                int to = sides[side];
                int edge = 2 * k + side;
                child[edge] = branchOf[to];
                leafValue[edge] = tree.mode[to] == LEAF ? tree.leafValue[to] : 0;
                zero[edge] = tree.zero[to];
            }
        }
    }

    /** The local edge id of the edge from node c's parent into c. */
    private static int edgeInto(PreorderTree tree, int[] branchOf, int c) {
        return 2 * branchOf[tree.parent[c]] + (tree.isTrueChild[c] ? 0 : 1);
    }

    static ValidationException invalid(String message) {
        return new ValidationException(ErrorCode.INVALID_PACKAGE, "cannot explain this model: " + message);
    }

    static byte code(TreeEnsemble.NodeMode nodeMode) {
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

    private static byte outcomes(byte mode, double threshold, boolean missingTracksTrue) {
        int below = mode == LEQ || mode == LT || mode == NEQ ? 1 : 0;
        int at = mode == LEQ || mode == GTE || mode == EQ ? 1 : 0;
        int above = mode == GTE || mode == GT || mode == NEQ ? 1 : 0;
        if (Double.isNaN(threshold)) {
            // Every comparison with NaN is false, so only "not equal" holds, whatever the value.
            below = at = above = mode == NEQ ? 1 : 0;
        }
        int missing = missingTracksTrue ? 1 : 0;
        return (byte) (below | at << 1 | above << 2 | missing << 3);
    }

    /** How many trees are explained from per-leaf tables rather than by the passes. */
    int tabulatedTrees() {
        return tables.trees();
    }

    /** The arithmetic this instance computes with. */
    public Arithmetic arithmetic() {
        return arithmetic;
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

    @Override
    public double explain(double[] row, double[] out) {
        checkRow(row.length, out);
        return workspaces.get().run(row, out);
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

    /**
     * One thread's scratch space, sized for the largest tree. Per branch: the row's direction (1 = true
     * branch); per edge: the row's one fraction o once the edge is taken. Per branch and quadrature point t of
     * the current block: the product of the edge factors g = z + (o - z) t from the root down to it
     * ({@code down}), the sum of the leaf values below it, each times the factors between ({@code up}), and,
     * when its feature was split on above, 1 / g of that earlier edge ({@code inverse}).
     *
     * <p>An edge with o = z = 0 (a cold child without training cover) has g = 0, so every product through it
     * is 0 and its subtree adds nothing; its inverse is taken as 0 rather than dividing by that 0 when the same
     * feature is split on again below.
     */
    final class Workspace {
        final double[] floatRow = new double[featureCount];
        final double[] direction = new double[mostBranches + LANES - 1];
        final double[] one = new double[2 * mostBranches];
        final double[] down = new double[mostBranches * LANES];
        final double[] up = new double[mostBranches * LANES];
        final double[] inverse = new double[mostBranches * LANES];
        /** Tabulated trees only: per branch, the row's mask on entering it (see {@link LeafTables#explain}). */
        final int[] masks = new int[mostBranches];
        /** Tabulated trees only: the table rows chosen and not yet added to the contributions. */
        final LeafTables.Chosen chosen = new LeafTables.Chosen(tables);
        /** Vector arithmetic only: each feature's contribution per point, summed over the row's trees. */
        final double[] pointShares = new double[arithmetic == Arithmetic.VECTOR ? featureCount * LANES : 0];

        double run(double[] row, double[] phi) {
            for (int i = 0; i < featureCount; i++) {
                phi[i] = 0;
            }
            chosen.size = 0; // nothing left from a run an exception ended: this workspace is the thread's next too
            if (arithmetic == Arithmetic.VECTOR) {
                Arrays.fill(pointShares, 0);
            }
            double margin = baseMargin;
            for (int t = 0; t < treePoints.length; t++) {
                margin += tree(t, row, phi);
            }
            tables.add(chosen, phi);
            if (arithmetic == Arithmetic.VECTOR) {
                for (int i = 0; i < featureCount; i++) {
                    int iq = i * LANES;
                    phi[i] += pointShares[iq] + pointShares[iq + 1] + pointShares[iq + 2] + pointShares[iq + 3];
                }
            }
            return margin;
        }

        /** Adds tree t's contributions to {@code phi} and returns its leaf value for the row. */
        private double tree(int t, double[] row, double[] phi) {
            int start = branchStart[t];
            int count = branchStart[t + 1] - start;
            if (count == 0) {
                return rootValue[t];
            }
            if (tables.tabulated(t)) {
                if (arithmetic == Arithmetic.VECTOR) {
                    VectorPasses.directions(TreeShap.this, this, start, count, row);
                } else {
                    for (int b = 0; b < count; b++) {
                        direction[b] = direction(start + b, row);
                    }
                }
                return tables.explain(TreeShap.this, start, count, direction, chosen, masks);
            }
            // The tabulated trees before this one first: each feature's contribution is summed in tree order.
            tables.add(chosen, phi);
            GaussLegendre rule = rules[treePoints[t]];
            for (int block = 0; block < rule.size(); block += LANES) {
                if (arithmetic == Arithmetic.VECTOR) {
                    VectorPasses.points(TreeShap.this, this, start, count, rule, block, row);
                } else {
                    points(start, count, rule, block, row, phi);
                }
            }
            // The row's own path: follow the directions to its leaf.
            int edges = 2 * start;
            int b = 0;
            while (true) {
                int edge = 2 * b + (direction[b] != 0 ? 0 : 1);
                int next = child[edges + edge];
                if (next < 0) {
                    return leafValue[edges + edge];
                }
                b = next;
            }
        }

        /**
         * Which way the row goes at branch b, once per row: 1 or 0 computed without a branch on the data (below
         * 0, at 1, above 2, missing 3 index the outcome bits), and the one fractions of the two edges as
         * arithmetic on it, so the row's path costs no mispredicted branches. Level order puts every parent
         * first, so an earlier split's o is known when a feature recurs.
         */
        void follow(int start, int b, double[] row) {
            direction[b] = direction(start + b, row);
            fractions(start, b);
        }

        /** 1 when the row takes branch k's true side, else 0 (see {@link #follow}). */
        private double direction(int k, double[] row) {
            double x = row[splitFeature[k]];
            double th = threshold[k];
            int index = (x >= th ? 1 : 0) + (x > th ? 1 : 0) + (x != x ? 3 : 0);
            return (outcomes[k] >>> index) & 1;
        }

        /** The one fractions of branch b's two edges, once its direction is known. */
        void fractions(int start, int b) {
            double d = direction[b];
            int earlierSplit = previousEdge[start + b];
            double incoming = earlierSplit < 0 ? 1 : one[earlierSplit];
            one[2 * b] = incoming * d;
            one[2 * b + 1] = incoming - incoming * d;
        }

        /**
         * The two passes for quadrature points [block, block + LANES): down (products from the root, parents
         * first; with the first block, also the row's directions) and up (sums from the leaves, children
         * first), adding each branch's contribution to its feature. The lanes are written out one by one: as loops, C2 spends more on loop control than on the
         * arithmetic.
         */
        private void points(int start, int count, GaussLegendre rule, int block, double[] row, double[] phi) {
            final double t0 = rule.nodes[block];
            final double t1 = rule.nodes[block + 1];
            final double t2 = rule.nodes[block + 2];
            final double t3 = rule.nodes[block + 3];
            final double w0 = rule.weights[block];
            final double w1 = rule.weights[block + 1];
            final double w2 = rule.weights[block + 2];
            final double w3 = rule.weights[block + 3];
            int edges = 2 * start;
            double[] down = this.down;
            double[] up = this.up;
            double[] inverse = this.inverse;
            double[] one = this.one;
            double[] zero = TreeShap.this.zero;
            double[] leafValue = TreeShap.this.leafValue;
            int[] child = TreeShap.this.child;
            int[] previousEdge = TreeShap.this.previousEdge;
            int[] parentEdge = TreeShap.this.parentEdge;
            int[] splitFeature = TreeShap.this.splitFeature;
            double[] threshold = TreeShap.this.threshold;
            byte[] outcomes = TreeShap.this.outcomes;
            double[] direction = this.direction;

            down[0] = 1;
            down[1] = 1;
            down[2] = 1;
            down[3] = 1;
            for (int b = 0; b < count; b++) {
                int bq = b * LANES;
                if (block == 0) {
                    follow(start, b, row);
                }
                if (b > 0) {
                    int in = parentEdge[start + b];
                    int pq = (in >> 1) * LANES;
                    double z = zero[edges + in];
                    double a = one[in] - z;
                    double d0 = down[pq] * (z + a * t0);
                    double d1 = down[pq + 1] * (z + a * t1);
                    double d2 = down[pq + 2] * (z + a * t2);
                    double d3 = down[pq + 3] * (z + a * t3);
                    if (previousEdge[start + (in >> 1)] >= 0) {
                        // The edge replaces the earlier split's factor on the same feature.
                        d0 *= inverse[pq];
                        d1 *= inverse[pq + 1];
                        d2 *= inverse[pq + 2];
                        d3 *= inverse[pq + 3];
                    }
                    down[bq] = d0;
                    down[bq + 1] = d1;
                    down[bq + 2] = d2;
                    down[bq + 3] = d3;
                }
                int earlier = previousEdge[start + b];
                if (earlier >= 0) {
                    // The feature was split on above: both passes divide by that earlier edge's factor. A
                    // factor of 0 (an edge with o = z = 0) gets inverse 0, as everything below it is 0.
                    double zEarlier = zero[edges + earlier];
                    double aEarlier = one[earlier] - zEarlier;
                    boolean vanished = zEarlier == 0 && aEarlier == 0;
                    inverse[bq] = vanished ? 0 : 1 / (zEarlier + aEarlier * t0);
                    inverse[bq + 1] = vanished ? 0 : 1 / (zEarlier + aEarlier * t1);
                    inverse[bq + 2] = vanished ? 0 : 1 / (zEarlier + aEarlier * t2);
                    inverse[bq + 3] = vanished ? 0 : 1 / (zEarlier + aEarlier * t3);
                }
            }

            for (int b = count - 1; b >= 0; b--) {
                int yes = 2 * b;
                int no = yes + 1;
                double zYes = zero[edges + yes];
                double zNo = zero[edges + no];
                double aYes = one[yes] - zYes;
                double aNo = one[no] - zNo;
                int yesChild = child[edges + yes];
                int noChild = child[edges + no];
                int bq = b * LANES;
                int earlier = previousEdge[start + b];
                if (yesChild < 0 && noChild < 0 && earlier < 0) {
                    // Two leaves below (half the branches of a full tree): the sums are one linear function
                    // of t, and the contribution is its slope times the weighted product from the root.
                    double vYes = leafValue[edges + yes];
                    double vNo = leafValue[edges + no];
                    double slope = aYes * vYes + aNo * vNo;
                    double intercept = zYes * vYes + zNo * vNo;
                    phi[splitFeature[start + b]] += slope
                            * (w0 * down[bq] + w1 * down[bq + 1] + w2 * down[bq + 2] + w3 * down[bq + 3]);
                    up[bq] = intercept + slope * t0;
                    up[bq + 1] = intercept + slope * t1;
                    up[bq + 2] = intercept + slope * t2;
                    up[bq + 3] = intercept + slope * t3;
                    continue;
                }
                // Below a leaf is its value at every point; below a branch, that branch's sums.
                double y0;
                double y1;
                double y2;
                double y3;
                if (yesChild < 0) {
                    y0 = y1 = y2 = y3 = leafValue[edges + yes];
                } else {
                    int yq = yesChild * LANES;
                    y0 = up[yq];
                    y1 = up[yq + 1];
                    y2 = up[yq + 2];
                    y3 = up[yq + 3];
                }
                double n0;
                double n1;
                double n2;
                double n3;
                if (noChild < 0) {
                    n0 = n1 = n2 = n3 = leafValue[edges + no];
                } else {
                    int nq = noChild * LANES;
                    n0 = up[nq];
                    n1 = up[nq + 1];
                    n2 = up[nq + 2];
                    n3 = up[nq + 3];
                }
                double sum;
                if (earlier < 0) {
                    sum = w0 * down[bq] * (aYes * y0 + aNo * n0)
                            + w1 * down[bq + 1] * (aYes * y1 + aNo * n1)
                            + w2 * down[bq + 2] * (aYes * y2 + aNo * n2)
                            + w3 * down[bq + 3] * (aYes * y3 + aNo * n3);
                    up[bq] = (zYes + aYes * t0) * y0 + (zNo + aNo * t0) * n0;
                    up[bq + 1] = (zYes + aYes * t1) * y1 + (zNo + aNo * t1) * n1;
                    up[bq + 2] = (zYes + aYes * t2) * y2 + (zNo + aNo * t2) * n2;
                    up[bq + 3] = (zYes + aYes * t3) * y3 + (zNo + aNo * t3) * n3;
                } else {
                    // Telescope from the earlier element (o', z') to this one. With g / g' each child's factor
                    // relative to the earlier one, the sums up are g / g' times those below, and each point
                    // adds down / g' * (a_yes * below_yes + a_no * below_no - a' * sums up).
                    double aEarlier = one[earlier] - zero[edges + earlier];
                    double i0 = inverse[bq];
                    double i1 = inverse[bq + 1];
                    double i2 = inverse[bq + 2];
                    double i3 = inverse[bq + 3];
                    double u0 = ((zYes + aYes * t0) * y0 + (zNo + aNo * t0) * n0) * i0;
                    double u1 = ((zYes + aYes * t1) * y1 + (zNo + aNo * t1) * n1) * i1;
                    double u2 = ((zYes + aYes * t2) * y2 + (zNo + aNo * t2) * n2) * i2;
                    double u3 = ((zYes + aYes * t3) * y3 + (zNo + aNo * t3) * n3) * i3;
                    sum = w0 * down[bq] * i0 * (aYes * y0 + aNo * n0 - aEarlier * u0)
                            + w1 * down[bq + 1] * i1 * (aYes * y1 + aNo * n1 - aEarlier * u1)
                            + w2 * down[bq + 2] * i2 * (aYes * y2 + aNo * n2 - aEarlier * u2)
                            + w3 * down[bq + 3] * i3 * (aYes * y3 + aNo * n3 - aEarlier * u3);
                    up[bq] = u0;
                    up[bq + 1] = u1;
                    up[bq + 2] = u2;
                    up[bq + 3] = u3;
                }
                phi[splitFeature[start + b]] += sum;
            }
        }
    }
}

package health.vigil.explain;

/**
 * {@link TreeShap}'s second way to explain a tree, for shallow trees: per leaf, the exact contributions it makes to
 * the distinct features on its path, computed once per model for every way a row can follow or leave those
 * features (o_j in {0, 1}), so that explaining a row is one comparison per split and a few table reads and adds
 * (the per-leaf tables of Yang's "Fast TreeSHAP", 2021, v2). The values are those of the passes' formula,
 * integrated with the same Gauss-Legendre rule, so the two agree up to rounding.
 *
 * <p>A row's mask says which of a path's features it follows: bit j set when it takes every split on the path's
 * j-th distinct feature. Leaves are tabulated in groups that share a table row, to read and add less per row: the
 * two leaves of a branch whose children are both leaves (a pair, indexed by the mask on entering the branch and
 * the row's direction there), and the four leaves of a branch whose children are both such branches (a quad,
 * indexed by the mask and the three directions); other leaves alone.
 *
 * <p>A leaf with d distinct path features takes 2^d x d doubles (a quad a little more: its row also holds its two
 * lower features): about 10 KiB for a full tree of depth 4, 200 KiB for one of depth 6. Trees are tabulated in
 * order while their tables fit the model's budget ({@link #BUDGET_BYTES}, 4 MiB: the 300 trees of depth 4 of the
 * readmission model take 3 MiB) and no leaf has more than {@link #MOST_FEATURES} distinct features; the passes
 * explain the other trees.
 */
final class LeafTables {

    /** The most a model's tables may hold, in bytes of doubles. */
    static final long BUDGET_BYTES = 4L << 20;

    /** The most distinct features a leaf's path may have for its tree to be tabulated. */
    static final int MOST_FEATURES = 8;

    private static final byte ALONE = 0;
    private static final byte PAIR = 1;
    private static final byte QUAD = 2;
    /** A pair read with the quad above it. */
    private static final byte IN_QUAD = 3;

    private final boolean[] tabulated;
    /** Per branch of a tabulated tree (global index): the bit of its feature in its path's masks. */
    private final byte[] bit;
    /** Per branch: ALONE (its leaves, if any, have tables of their own), PAIR, QUAD or IN_QUAD. */
    private final byte[] group;
    /** Per branch heading a pair or quad: the distinct features on its path, down to and including its own. */
    private final byte[] pathWidth;
    /**
     * Per branch heading a pair or quad, and per leaf edge alone (global indices; the two never meet, as a
     * branch heading a group has no leaf alone): where its table and its features start, and its row width.
     */
    private final int[] tableStart;
    private final int[] featuresStart;
    private final byte[] width;
    /** Per table, the features its rows add to, in row order. */
    private final int[] pathFeatures;
    /** Per table, row after row of contributions, one per feature of {@link #pathFeatures}. */
    private final double[] table;
    /** The most table rows one explanation reads: a leaf each of every tabulated tree, at most. */
    private int mostRows;

    private LeafTables(int trees, int branches, int features, int entries) {
        tabulated = new boolean[trees];
        bit = new byte[branches];
        group = new byte[branches];
        pathWidth = new byte[branches];
        tableStart = new int[2 * branches];
        featuresStart = new int[2 * branches];
        width = new byte[2 * branches];
        pathFeatures = new int[features];
        table = new double[entries];
    }

    /**
     * Tabulates the trees of {@code model} that fit {@code budgetBytes}, in order: a tree is skipped, not the
     * rest, when its tables would pass what is left.
     */
    static LeafTables of(TreeShap model, int[] branchStart, long budgetBytes) {
        int trees = branchStart.length - 1;
        int branches = branchStart[trees];
        int[] distinct = new int[branches];
        byte[] group = new byte[branches];
        boolean[] chosen = new boolean[trees];
        long entries = 0;
        int features = 0;
        for (int t = 0; t < trees; t++) {
            int start = branchStart[t];
            int count = branchStart[t + 1] - start;
            long treeEntries = 0;
            int treeFeatures = 0;
            int deepest = 0;
            for (int b = 0; b < count; b++) {
                int k = start + b;
                // distinct[k]: the distinct features on the path down to and including branch k.
                int above = b == 0 ? 0 : distinct[start + (model.parentEdge[k] >> 1)];
                distinct[k] = above + (model.previousEdge[k] < 0 ? 1 : 0);
                deepest = Math.max(deepest, distinct[k]);
            }
            // Children come after their parent in level order, so groups are found from the last branch up.
            for (int b = count - 1; b >= 0; b--) {
                int k = start + b;
                int yes = model.child[2 * k];
                int no = model.child[2 * k + 1];
                group[k] = yes < 0 && no < 0 ? PAIR
                        : yes >= 0 && no >= 0 && group[start + yes] == PAIR && group[start + no] == PAIR ? QUAD
                        : ALONE;
            }
            for (int b = 0; b < count; b++) {
                int k = start + b;
                int d = distinct[k];
                if (group[k] == QUAD) {
                    group[start + model.child[2 * k]] = IN_QUAD;
                    group[start + model.child[2 * k + 1]] = IN_QUAD;
                    int w = quadWidth(model, start, k, d);
                    treeEntries += (8L << d) * w;
                    treeFeatures += w;
                } else if (group[k] == PAIR) {
                    treeEntries += 2L * (d << d);
                    treeFeatures += d;
                } else if (group[k] == ALONE) {
                    for (int side = 0; side < 2; side++) {
                        if (model.child[2 * k + side] < 0) {
                            treeEntries += (long) d << d;
                            treeFeatures += d;
                        }
                    }
                }
            }
            if (deepest <= MOST_FEATURES && 8 * (entries + treeEntries) <= budgetBytes) {
                chosen[t] = true;
                entries += treeEntries;
                features += treeFeatures;
            }
        }
        LeafTables tables = new LeafTables(trees, branches, features, (int) entries);
        int[] next = {0, 0};
        for (int t = 0; t < trees; t++) {
            if (chosen[t]) {
                tables.tabulate(model, t, branchStart, distinct, group, next);
                tables.mostRows += branchStart[t + 1] - branchStart[t] + 1;
            }
        }
        return tables;
    }

    /** The width of a quad's rows: its path's features down to branch k, and its children's if new. */
    private static int quadWidth(TreeShap model, int start, int k, int d) {
        int yes = start + model.child[2 * k];
        int no = start + model.child[2 * k + 1];
        return d + (model.previousEdge[yes] < 0 ? 1 : 0) + (model.previousEdge[no] < 0 ? 1 : 0);
    }

    /** Writes tree t's tables from {@code next} = {entry, feature} on, and moves it past them. */
    private void tabulate(TreeShap model, int t, int[] branchStart, int[] distinct, byte[] groups, int[] next) {
        tabulated[t] = true;
        int start = branchStart[t];
        int count = branchStart[t + 1] - start;
        for (int b = 0; b < count; b++) {
            int k = start + b;
            int earlier = model.previousEdge[k];
            bit[k] = earlier < 0 ? (byte) (distinct[k] - 1) : bit[start + (earlier >> 1)];
            group[k] = groups[k];
        }
        for (int b = 0; b < count; b++) {
            int k = start + b;
            int d = distinct[k];
            if (group[k] == QUAD || group[k] == PAIR) {
                int w = group[k] == QUAD ? quadWidth(model, start, k, d) : d;
                tableStart[2 * k] = next[0];
                featuresStart[2 * k] = next[1];
                width[2 * k] = (byte) w;
                pathWidth[k] = (byte) d;
                if (group[k] == QUAD) {
                    quad(model, start, b, d, next[0], next[1]);
                    next[0] += (8 << d) * w;
                } else {
                    pair(model, start, b, d, table, next[0], pathFeatures, next[1]);
                    next[0] += 2 * (d << d);
                }
                next[1] += w;
            } else if (group[k] == ALONE) {
                for (int side = 0; side < 2; side++) {
                    int edge = 2 * k + side;
                    if (model.child[edge] < 0) {
                        tableStart[edge] = next[0];
                        featuresStart[edge] = next[1];
                        width[edge] = (byte) d;
                        leaf(model, start, 2 * b + side, d, table, next[0], pathFeatures, next[1]);
                        next[0] += d << d;
                        next[1] += d;
                    }
                }
            }
        }
    }

    /**
     * Writes the table of the quad headed by local branch b, whose path to b has d distinct features: at
     * (8 m + 4 direction at b + 2 direction at its true child + direction at its false child) w + j, the sum of
     * the two pairs' rows for the masks the row has on entering them, their features placed after the path's.
     */
    private void quad(TreeShap model, int start, int b, int d, int entry, int feature) {
        int k = start + b;
        int[] children = {model.child[2 * k], model.child[2 * k + 1]};
        int w = quadWidth(model, start, k, d);
        int[][] slots = new int[2][];
        double[][] pairs = new double[2][];
        int lower = d;
        for (int side = 0; side < 2; side++) {
            int c = children[side];
            int cd = d + (model.previousEdge[start + c] < 0 ? 1 : 0);
            pairs[side] = new double[2 * (cd << cd)];
            int[] own = new int[cd];
            pair(model, start, c, cd, pairs[side], 0, own, 0);
            // The pair's first d features are the path's; a new feature of its own goes to the next free slot.
            slots[side] = new int[cd];
            for (int j = 0; j < cd; j++) {
                slots[side][j] = j < d ? j : lower++;
                pathFeatures[feature + slots[side][j]] = own[j];
            }
        }
        int own = 1 << bit[k];
        for (int mask = 0; mask < 1 << d; mask++) {
            for (int directions = 0; directions < 8; directions++) {
                int row = entry + (8 * mask + directions) * w;
                for (int side = 0; side < 2; side++) {
                    // Entering child `side`: the quad's own feature is left when the row goes the other way.
                    int atTop = directions >>> 2;
                    int entering = atTop == (side == 0 ? 1 : 0) ? mask : mask & ~own;
                    int cd = slots[side].length;
                    // A new feature of the child is followed so far: its bit is set on entering it.
                    int childMask = (entering | ~((1 << d) - 1)) & ((1 << cd) - 1);
                    int direction = (directions >>> (1 - side)) & 1;
                    int from = (2 * childMask + direction) * cd;
                    for (int j = 0; j < cd; j++) {
                        table[row + slots[side][j]] += pairs[side][from + j];
                    }
                }
            }
        }
    }

    /**
     * Writes into {@code into} the table of the two leaves below local branch b, with d distinct path features: at
     * (2 m + direction) d + j, the true leaf's row for the mask the row has there plus the false leaf's for its own.
     */
    private void pair(TreeShap model, int start, int b, int d, double[] into, int entry, int[] features,
            int feature) {
        double[] yes = new double[d << d];
        double[] no = new double[d << d];
        leaf(model, start, 2 * b, d, yes, 0, features, feature);
        leaf(model, start, 2 * b + 1, d, no, 0, features, feature);
        int own = 1 << bit[start + b];
        for (int mask = 0; mask < 1 << d; mask++) {
            for (int direction = 0; direction < 2; direction++) {
                int yesMask = direction == 1 ? mask : mask & ~own;
                int noMask = direction == 1 ? mask & ~own : mask;
                for (int j = 0; j < d; j++) {
                    into[entry + (2 * mask + direction) * d + j] = yes[yesMask * d + j] + no[noMask * d + j];
                }
            }
        }
    }

    /**
     * Writes into {@code into} the table of the leaf at local edge {@code leafEdge} of the tree starting at branch
     * {@code start}: per mask m and feature j, v (o_j - z_j) ∫_0^1 Π_{k≠j} (z_k + (o_k - z_k) t) dt with o_k bit k
     * of m; and its path's features, in bit order, into {@code features}.
     */
    private void leaf(TreeShap model, int start, int leafEdge, int d, double[] into, int entry, int[] features,
            int feature) {
        double[] z = new double[d];
        boolean[] seen = new boolean[d];
        // Up from the leaf, the first edge met on a feature is its deepest: its z covers all the path's splits on it.
        for (int edge = leafEdge; edge >= 0; edge = model.parentEdge[start + (edge >> 1)]) {
            int k = start + (edge >> 1);
            int j = bit[k];
            if (!seen[j]) {
                seen[j] = true;
                z[j] = model.zero[2 * start + edge];
                features[feature + j] = model.splitFeature[k];
            }
        }
        double value = model.leafValue[2 * start + leafEdge];
        GaussLegendre rule = GaussLegendre.of(Math.max(1, (d + 1) / 2));
        for (int mask = 0; mask < 1 << d; mask++) {
            for (int j = 0; j < d; j++) {
                double integral = 0;
                for (int q = 0; q < rule.size(); q++) {
                    double product = rule.weight(q);
                    for (int k = 0; k < d; k++) {
                        if (k != j) {
                            product *= z[k] + (((mask >>> k) & 1) - z[k]) * rule.node(q);
                        }
                    }
                    integral += product;
                }
                into[entry + mask * d + j] = value * (((mask >>> j) & 1) - z[j]) * integral;
            }
        }
    }

    boolean tabulated(int tree) {
        return tabulated[tree];
    }

    /** How many trees are tabulated. */
    int trees() {
        int n = 0;
        for (boolean t : tabulated) {
            n += t ? 1 : 0;
        }
        return n;
    }

    /**
     * The table rows one explanation has chosen and not yet added ({@link #add}). Choosing a row costs the walk
     * down the tree; adding it reads a table of megabytes, often from beyond the core's caches. Gathered first, the
     * adds are one short loop whose reads do not wait on a tree walk between them (measured 0-7 % more explained
     * requests a second over HTTP, docs/benchmarks.md); the order of the adds, and so every sum, is unchanged.
     */
    static final class Chosen {
        final int[] rows;
        final int[] edges;
        int size;

        Chosen(LeafTables tables) {
            rows = new int[tables.mostRows];
            edges = new int[tables.mostRows];
        }
    }

    /**
     * Chooses the table rows of the tabulated tree over branches [start, start + count) into {@code chosen} and
     * returns its leaf value for the row, given the row's direction at each branch (1 = true side). {@code masks}
     * holds, per branch, the row's mask on entering it: all ones at the root, a feature's bit cleared below any
     * split on it the row does not follow. The contributions reach {@code phi} at {@link #add}, in the order chosen.
     */
    double explain(TreeShap model, int start, int count, double[] direction, Chosen chosen, int[] masks) {
        int[] child = model.child;
        double[] leafValue = model.leafValue;
        int edges = 2 * start;
        double value = 0;
        masks[0] = -1;
        for (int b = 0; b < count; b++) {
            int k = start + b;
            int g = group[k];
            if (g == IN_QUAD) {
                continue;
            }
            int d = (int) direction[b];
            int mask = masks[b];
            int edge = edges + 2 * b;
            if (g != ALONE) {
                int w = width[edge];
                int all = (1 << pathWidth[k]) - 1;
                int m = mask & all;
                int index;
                int leafEdge;
                if (g == QUAD) {
                    int yes = child[edge];
                    int no = child[edge + 1];
                    int dYes = (int) direction[yes];
                    int dNo = (int) direction[no];
                    index = 8 * m + 4 * d + 2 * dYes + dNo;
                    int below = d == 1 ? yes : no;
                    leafEdge = edges + 2 * below + 1 - (d == 1 ? dYes : dNo);
                } else {
                    index = 2 * m + d;
                    leafEdge = edge + 1 - d;
                }
                chosen.rows[chosen.size] = tableStart[edge] + index * w;
                chosen.edges[chosen.size++] = edge;
                if (m == all) {
                    value = leafValue[leafEdge];
                }
                continue;
            }
            int yes = mask & ~((d ^ 1) << bit[k]);
            int no = mask & ~(d << bit[k]);
            int yesChild = child[edge];
            int noChild = child[edge + 1];
            if (yesChild >= 0) {
                masks[yesChild] = yes;
            } else {
                value += leaf(model, edge, yes, chosen);
            }
            if (noChild >= 0) {
                masks[noChild] = no;
            } else {
                value += leaf(model, edge + 1, no, chosen);
            }
        }
        return value;
    }

    /** Chooses one leaf's table row; returns the leaf's value if the row reaches it, else 0. */
    private double leaf(TreeShap model, int edge, int mask, Chosen chosen) {
        int d = width[edge];
        int all = (1 << d) - 1;
        chosen.rows[chosen.size] = tableStart[edge] + (mask & all) * d;
        chosen.edges[chosen.size++] = edge;
        return (mask & all) == all ? model.leafValue[edge] : 0;
    }

    /** Adds the chosen rows to {@code phi}, in the order they were chosen, and empties {@code chosen}. */
    void add(Chosen chosen, double[] phi) {
        int[] rows = chosen.rows;
        int[] edges = chosen.edges;
        for (int i = 0; i < chosen.size; i++) {
            int row = rows[i];
            int edge = edges[i];
            int features = featuresStart[edge];
            int w = width[edge];
            for (int j = 0; j < w; j++) {
                phi[pathFeatures[features + j]] += table[row + j];
            }
        }
        chosen.size = 0;
    }
}

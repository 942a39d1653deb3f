package health.vigil.explain;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link TreeShap}'s two passes over a tree with the four quadrature points of a block as one 256-bit
 * {@link DoubleVector}: the same arithmetic as the scalar passes, one vector operation where they write out four.
 * A split's contribution is not summed over its points here; each point's share is added to the feature's
 * {@code pointShares} and the four are summed once per row, which saves a horizontal sum at every split; and the
 * products down from the root start from the quadrature weights instead of 1, which saves multiplying by them
 * at every split. The row's directions are computed four splits at a time (see {@link #directions}).
 *
 * <p>Only loaded when {@link VectorLanes} found the module. Every vector stays in a local variable of this one
 * method and no operation needs a mask or a shuffle: C2 keeps them all in registers. (In the interpreter and C1
 * each operation allocates, so a JVM runs these passes slowly until C2 has compiled them.)
 */
final class VectorPasses {

    private static final VectorSpecies<Double> FOUR = DoubleVector.SPECIES_256;

    private VectorPasses() {}

    /** Whether the processor has 256-bit vectors of doubles (otherwise the API would emulate them, slowly). */
    static boolean supported() {
        return FOUR.length() == TreeShap.LANES && DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    /**
     * The row's direction at each of the tree's splits, four splits at a time: the row's values gathered, compared
     * with the thresholds, and the outcome for below, at, above or missing blended in. Split by split, as the
     * scalar passes compute it, this step took about 60 of their 160 us a row on the benchmark model (measured by
     * leaving parts out; this VM shows no hardware counters, but mispredicted comparisons are the likely cause).
     */
    static void directions(TreeShap model, TreeShap.Workspace ws, int start, int count, double[] row) {
        int[] splitFeature = model.splitFeature;
        double[] threshold = model.threshold;
        double[] below = model.goesTrue[0];
        double[] at = model.goesTrue[1];
        double[] above = model.goesTrue[2];
        double[] missing = model.goesTrue[3];
        double[] direction = ws.direction;
        for (int b = 0; b < count; b += TreeShap.LANES) {
            int k = start + b;
            DoubleVector x = DoubleVector.fromArray(FOUR, row, 0, splitFeature, k);
            DoubleVector th = DoubleVector.fromArray(FOUR, threshold, k);
            DoubleVector d = DoubleVector.fromArray(FOUR, above, k)
                    .blend(DoubleVector.fromArray(FOUR, at, k), x.compare(VectorOperators.EQ, th))
                    .blend(DoubleVector.fromArray(FOUR, below, k), x.compare(VectorOperators.LT, th))
                    .blend(DoubleVector.fromArray(FOUR, missing, k), x.compare(VectorOperators.NE, x));
            d.intoArray(direction, b);
        }
    }

    /** The passes over tree branches [start, start + count) for points [block, block + 4); see TreeShap. */
    static void points(TreeShap model, TreeShap.Workspace ws, int start, int count, GaussLegendre rule, int block,
            double[] row) {
        final DoubleVector t = DoubleVector.fromArray(FOUR, rule.nodes, block);
        final DoubleVector w = DoubleVector.fromArray(FOUR, rule.weights, block);
        final DoubleVector unit = DoubleVector.broadcast(FOUR, 1);
        int edges = 2 * start;
        double[] down = ws.down;
        double[] up = ws.up;
        double[] inverse = ws.inverse;
        double[] one = ws.one;
        double[] shares = ws.pointShares;
        double[] zero = model.zero;
        double[] leafValue = model.leafValue;
        int[] child = model.child;
        int[] previousEdge = model.previousEdge;
        int[] parentEdge = model.parentEdge;
        int[] splitFeature = model.splitFeature;

        if (block == 0) {
            directions(model, ws, start, count, row);
            for (int b = 0; b < count; b++) {
                ws.fractions(start, b);
            }
        }
        // The weights ride along from the root, so that the sums need not multiply by them at every split.
        w.intoArray(down, 0);
        for (int b = 0; b < count; b++) {
            int bq = b * TreeShap.LANES;
            if (b > 0) {
                int in = parentEdge[start + b];
                int pq = (in >> 1) * TreeShap.LANES;
                double z = zero[edges + in];
                DoubleVector d = DoubleVector.fromArray(FOUR, down, pq).mul(t.mul(one[in] - z).add(z));
                if (previousEdge[start + (in >> 1)] >= 0) {
                    d = d.mul(DoubleVector.fromArray(FOUR, inverse, pq));
                }
                d.intoArray(down, bq);
            }
            int earlier = previousEdge[start + b];
            if (earlier >= 0) {
                double zEarlier = zero[edges + earlier];
                double aEarlier = one[earlier] - zEarlier;
                if (zEarlier == 0 && aEarlier == 0) {
                    DoubleVector.zero(FOUR).intoArray(inverse, bq);
                } else {
                    unit.div(t.mul(aEarlier).add(zEarlier)).intoArray(inverse, bq);
                }
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
            int bq = b * TreeShap.LANES;
            int fq = splitFeature[start + b] * TreeShap.LANES;
            int earlier = previousEdge[start + b];
            DoubleVector weightedDown = DoubleVector.fromArray(FOUR, down, bq);
            DoubleVector share;
            DoubleVector sums;
            if (yesChild < 0 && noChild < 0 && earlier < 0) {
                double vYes = leafValue[edges + yes];
                double vNo = leafValue[edges + no];
                double slope = aYes * vYes + aNo * vNo;
                double intercept = zYes * vYes + zNo * vNo;
                share = weightedDown.mul(slope);
                sums = t.mul(slope).add(intercept);
            } else {
                DoubleVector y = yesChild < 0
                        ? DoubleVector.broadcast(FOUR, leafValue[edges + yes])
                        : DoubleVector.fromArray(FOUR, up, yesChild * TreeShap.LANES);
                DoubleVector n = noChild < 0
                        ? DoubleVector.broadcast(FOUR, leafValue[edges + no])
                        : DoubleVector.fromArray(FOUR, up, noChild * TreeShap.LANES);
                DoubleVector below = y.mul(aYes).add(n.mul(aNo));
                sums = t.mul(aYes).add(zYes).mul(y).add(t.mul(aNo).add(zNo).mul(n));
                if (earlier < 0) {
                    share = weightedDown.mul(below);
                } else {
                    double aEarlier = one[earlier] - zero[edges + earlier];
                    DoubleVector i = DoubleVector.fromArray(FOUR, inverse, bq);
                    sums = sums.mul(i);
                    share = weightedDown.mul(i).mul(below.sub(sums.mul(aEarlier)));
                }
            }
            sums.intoArray(up, bq);
            DoubleVector.fromArray(FOUR, shares, fq).add(share).intoArray(shares, fq);
        }
    }
}

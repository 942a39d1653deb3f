package health.vigil.monitoring;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DriftAccumulator}'s binning of a block of rows eight columns at a time, as one 256-bit {@link FloatVector}
 * per {@link LaneGroups group}. For each of the group's nine threshold rows a vector counts, lane by lane, the
 * block's values at or above that threshold (one comparison and one masked add per row and threshold; a NaN
 * threshold compares false), and one more counts the missing values; at the end of the block the differences of
 * consecutive counts are the bins' counts: bin b holds the values at or above threshold b - 1 and below threshold
 * b. The same float thresholds and the same comparison as the scalar grid, so the counts are the same. A
 * categorical lane's value is first replaced by its number of categories k unless it is a code 0..k-1, which
 * makes its thresholds 1..k count the codes and the extra bin.
 *
 * <p>Only loaded when {@link DriftVectors} found the module. Every vector stays in a local variable of this one
 * method and the counts are floats (exact up to 2^24, far above a block's rows): C2 keeps them in registers, and
 * JDK 17 intrinsifies every operation used here (its conversions between floats and ints it does not always).
 * In the interpreter and C1 each operation allocates.
 */
final class VectorBinning {

    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
    /** 2^23: below it, {@code (x + 2^23) - 2^23} is x rounded to a whole number. */
    private static final float ROUNDING = 8388608f;
    private static final int LANES = LaneGroups.LANES;

    private VectorBinning() {}

    /** Whether the processor has 256-bit vectors of floats (otherwise the API would emulate them, slowly). */
    static boolean supported() {
        return EIGHT.length() == LANES && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    /**
     * Counts the grouped columns of rows [start, end) of {@code data} (row-major, {@code width} columns), at most
     * 2^24 rows, into {@code counts} and {@code missing} (by monitored feature); {@code scratch} holds
     * {@code (ROWS + 1) * 8} floats.
     */
    static void binRows(LaneGroups groups, float[] data, int start, int end, int width, long[] counts,
            long[] missing, float[] scratch) {
        final FloatVector zero = FloatVector.zero(EIGHT);
        final FloatVector one = FloatVector.broadcast(EIGHT, 1f);
        final float[] thresholds = groups.thresholds;
        for (int g = 0; g < groups.count; g++) {
            final int t = g * LaneGroups.ROWS * LANES;
            final FloatVector t0 = FloatVector.fromArray(EIGHT, thresholds, t);
            final FloatVector t1 = FloatVector.fromArray(EIGHT, thresholds, t + LANES);
            final FloatVector t2 = FloatVector.fromArray(EIGHT, thresholds, t + 2 * LANES);
            final FloatVector t3 = FloatVector.fromArray(EIGHT, thresholds, t + 3 * LANES);
            final FloatVector t4 = FloatVector.fromArray(EIGHT, thresholds, t + 4 * LANES);
            final FloatVector t5 = FloatVector.fromArray(EIGHT, thresholds, t + 5 * LANES);
            final FloatVector t6 = FloatVector.fromArray(EIGHT, thresholds, t + 6 * LANES);
            final FloatVector t7 = FloatVector.fromArray(EIGHT, thresholds, t + 7 * LANES);
            final FloatVector t8 = FloatVector.fromArray(EIGHT, thresholds, t + 8 * LANES);
            final FloatVector k = FloatVector.fromArray(EIGHT, groups.categories, g * LANES);
            final VectorMask<Float> categoricalLane = k.compare(VectorOperators.GT, zero);
            final boolean categorical = groups.categorical[g];
            FloatVector c0 = zero;
            FloatVector c1 = zero;
            FloatVector c2 = zero;
            FloatVector c3 = zero;
            FloatVector c4 = zero;
            FloatVector c5 = zero;
            FloatVector c6 = zero;
            FloatVector c7 = zero;
            FloatVector c8 = zero;
            FloatVector nan = zero;
            for (int p = start * width + groups.column[g], last = end * width; p < last; p += width) {
                FloatVector x = FloatVector.fromArray(EIGHT, data, p);
                VectorMask<Float> absent = x.compare(VectorOperators.NE, x);
                if (categorical) {
                    // A code 0..k-1 stays, NaN stays, anything else becomes k (the extra bin); numeric lanes stay.
                    VectorMask<Float> code = x.compare(VectorOperators.EQ, x.add(ROUNDING).sub(ROUNDING))
                            .and(x.compare(VectorOperators.GE, zero))
                            .and(x.compare(VectorOperators.LT, k))
                            .or(absent)
                            .or(categoricalLane.not());
                    x = k.blend(x, code);
                }
                nan = nan.add(one, absent);
                c0 = c0.add(one, x.compare(VectorOperators.GE, t0));
                c1 = c1.add(one, x.compare(VectorOperators.GE, t1));
                c2 = c2.add(one, x.compare(VectorOperators.GE, t2));
                c3 = c3.add(one, x.compare(VectorOperators.GE, t3));
                c4 = c4.add(one, x.compare(VectorOperators.GE, t4));
                c5 = c5.add(one, x.compare(VectorOperators.GE, t5));
                c6 = c6.add(one, x.compare(VectorOperators.GE, t6));
                c7 = c7.add(one, x.compare(VectorOperators.GE, t7));
                c8 = c8.add(one, x.compare(VectorOperators.GE, t8));
            }
            c0.intoArray(scratch, 0);
            c1.intoArray(scratch, LANES);
            c2.intoArray(scratch, 2 * LANES);
            c3.intoArray(scratch, 3 * LANES);
            c4.intoArray(scratch, 4 * LANES);
            c5.intoArray(scratch, 5 * LANES);
            c6.intoArray(scratch, 6 * LANES);
            c7.intoArray(scratch, 7 * LANES);
            c8.intoArray(scratch, 8 * LANES);
            nan.intoArray(scratch, LaneGroups.ROWS * LANES);
            addBins(groups, g, end - start, counts, missing, scratch);
        }
    }

    /** Adds one group's block to the counts: {@code atOrAbove} holds the per-threshold counts, then the missing. */
    private static void addBins(LaneGroups groups, int g, int rows, long[] counts, long[] missing, float[] atOrAbove) {
        for (int j = 0; j < LANES; j++) {
            int lane = g * LANES + j;
            int n = groups.laneThresholds[lane];
            if (n < 0) {
                continue;
            }
            int base = groups.laneBase[lane];
            long absent = (long) atOrAbove[LaneGroups.ROWS * LANES + j];
            long below = rows - absent; // present values at or above the (absent) threshold before the first
            for (int b = 0; b < n; b++) {
                long above = (long) atOrAbove[b * LANES + j];
                counts[base + b] += below - above;
                below = above;
            }
            counts[base + n] += below;
            missing[groups.laneFeature[lane]] += absent;
        }
    }
}

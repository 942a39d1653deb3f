package health.vigil.monitoring;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DriftAccumulator}'s binning of a row's features eight columns at a time, as one 256-bit
 * {@link FloatVector} per {@link LaneGroups group}: a lane's bin is the number of its thresholds at or below the
 * value (one comparison and one masked add per threshold row; a NaN threshold compares false), a categorical
 * lane's bin is its code when the value is a whole number within its categories and the extra last bin otherwise,
 * and a missing value (NaN) goes to the feature's missing slot. The eight count indices are stored to a scratch
 * array (as floats, exact below 2^24) and the eight counts incremented one by one: the lanes are different features, so they never collide.
 * The same thresholds and the same comparison as the scalar grid, so the counts are the same.
 *
 * <p>Only loaded when {@link DriftVectors} found the module. Every vector stays in a local variable of this one
 * method: C2 keeps them in registers. (In the interpreter and C1 each operation allocates.)
 */
final class VectorBinning {

    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;

    /** 2^23: below it, {@code (x + 2^23) - 2^23} is x rounded to a whole number. */
    private static final float ROUNDING = 8388608f;

    private VectorBinning() {}

    /** Whether the processor has 256-bit vectors of floats (otherwise the API would emulate them, slowly). */
    static boolean supported() {
        return EIGHT.length() == LaneGroups.LANES && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    /**
     * Counts the grouped columns of rows [start, end) of {@code data} (row-major, {@code width} columns) into
     * {@code counts} at the indices the groups name; {@code scratch} holds eight floats.
     */
    static void binRows(LaneGroups groups, float[] data, int start, int end, int width, long[] counts, float[] scratch) {
        final int[] column = groups.column;
        final int[] edgeRows = groups.edgeRows;
        final int[] thresholdOffset = groups.thresholdOffset;
        final float[] thresholds = groups.thresholds;
        final float[] base = groups.base;
        final float[] missingSlot = groups.missingSlot;
        final float[] categories = groups.categories;
        final boolean[] categorical = groups.categorical;
        final int count = groups.count;
        final FloatVector one = FloatVector.broadcast(EIGHT, 1f);
        final FloatVector zero = FloatVector.zero(EIGHT);
        for (int r = start, row = start * width; r < end; r++, row += width) {
            for (int g = 0, lane = 0; g < count; g++, lane += LaneGroups.LANES) {
                FloatVector x = FloatVector.fromArray(EIGHT, data, row + column[g]);
                FloatVector index = FloatVector.fromArray(EIGHT, base, lane);
                for (int k = 0, t = thresholdOffset[g], rows = edgeRows[g]; k < rows; k++, t += LaneGroups.LANES) {
                    index = index.add(one, x.compare(VectorOperators.GE, FloatVector.fromArray(EIGHT, thresholds, t)));
                }
                if (categorical[g]) {
                    // A whole number in [0, k) is its own bin, anything else the extra bin k. A numeric lane has
                    // k = 0, so no value is a code there and the lane adds 0.
                    FloatVector k = FloatVector.fromArray(EIGHT, categories, lane);
                    // x rounded to a whole number, exact for 0 <= x < 2^23 (JDK 17's conversions are not all
                    // intrinsified: each would allocate).
                    FloatVector whole = x.add(ROUNDING).sub(ROUNDING);
                    VectorMask<Float> code = x.compare(VectorOperators.EQ, whole)
                            .and(x.compare(VectorOperators.GE, zero))
                            .and(x.compare(VectorOperators.LT, k));
                    index = index.add(k.blend(x, code));
                }
                index = index.blend(FloatVector.fromArray(EIGHT, missingSlot, lane),
                        x.compare(VectorOperators.NE, x));
                index.intoArray(scratch, 0);
                counts[(int) scratch[0]]++;
                counts[(int) scratch[1]]++;
                counts[(int) scratch[2]]++;
                counts[(int) scratch[3]]++;
                counts[(int) scratch[4]]++;
                counts[(int) scratch[5]]++;
                counts[(int) scratch[6]]++;
                counts[(int) scratch[7]]++;
            }
        }
    }
}

package health.vigil.monitoring;

import java.util.Arrays;
import java.util.List;

/**
 * The tables {@link VectorBinning} bins a row's features with, eight columns at a time: which runs of eight
 * contiguous columns are binned as one vector, and per lane its thresholds (transposed: threshold k of the eight
 * lanes contiguous), its number of categories (0 for a numeric lane), and where its counts go. Plain arrays only,
 * so that building them loads no vector class.
 *
 * <p>Groups start at columns 0, 8, 16, ... and, when the width is not a multiple of eight, at width - 8; a column
 * belongs to one group at most (a lane whose column an earlier group took is idle). A numeric column joins a group
 * when it has at most {@link #ROWS} interior edges, a categorical one when it has at most {@link #ROWS} categories
 * (every lane compares with all {@link #ROWS} threshold rows, so one with more stays on the scalar code); the
 * default ten reference bins give nine interior edges. A group is kept when at least {@link #MIN_LANES} of its
 * lanes bin something. Thresholds a lane does not have, and every threshold of an idle lane, are NaN: every
 * comparison with them is false. A categorical lane's thresholds are 1, 2, ..., k: a value that is a category's
 * code is its own bin once the vector code has replaced every other value by k.
 */
final class LaneGroups {
    /** Lanes per group: eight floats fill a 256-bit vector. */
    static final int LANES = 8;
    /** Threshold rows per group: the most interior edges, or categories, a lane may have. */
    static final int ROWS = 9;
    /** A group with fewer binning lanes than this costs more as a vector than its lanes do as scalar code. */
    static final int MIN_LANES = 2;

    /** Number of groups. */
    final int count;
    /** Per group: its first column. */
    final int[] column;
    /** Per group, {@link #ROWS} threshold rows of eight lanes each. */
    final float[] thresholds;
    /** Per group and lane: the number of categories of a categorical lane, 0 otherwise. */
    final float[] categories;
    /** Per group: whether any lane is categorical (the group must run the category step). */
    final boolean[] categorical;
    /** Per group and lane: the number of thresholds (bins - 1), or -1 for an idle lane. */
    final int[] laneThresholds;
    /** Per group and lane: the count index of bin 0. */
    final int[] laneBase;
    /** Per group and lane: the monitored feature. */
    final int[] laneFeature;
    /** Per monitored feature: whether a group bins it. */
    final boolean[] covered;

    private LaneGroups(int count, int monitored) {
        this.count = count;
        column = new int[count];
        thresholds = new float[count * ROWS * LANES];
        categories = new float[count * LANES];
        categorical = new boolean[count];
        laneThresholds = new int[count * LANES];
        laneBase = new int[count * LANES];
        laneFeature = new int[count * LANES];
        covered = new boolean[monitored];
    }

    /** No groups: every column binned by scalar code. */
    static LaneGroups none(int monitored) {
        return new LaneGroups(0, monitored);
    }

    /** The groups for these monitored entries of a {@code width}-column row; feature f's bins count at countOffset[f]. */
    static LaneGroups of(List<DriftBaseline.Entry> entries, int width, int[] countOffset) {
        int monitored = entries.size();
        if (width < LANES) {
            return none(monitored);
        }
        // The feature each column carries, if a lane can bin it (-1 otherwise), and its thresholds.
        int[] featureOfColumn = new int[width];
        Arrays.fill(featureOfColumn, -1);
        float[][] thresholdsOf = new float[monitored][];
        for (int f = 0; f < monitored; f++) {
            DriftBaseline.Entry e = entries.get(f);
            if (e.kind() == DriftBaseline.Kind.NUMERIC) {
                thresholdsOf[f] = DriftAccumulator.thresholds(e.edges());
            } else {
                thresholdsOf[f] = new float[e.categories().size()];
                for (int k = 0; k < thresholdsOf[f].length; k++) {
                    thresholdsOf[f][k] = k + 1;
                }
            }
            int c = e.column();
            if (thresholdsOf[f].length <= ROWS && c >= 0 && c < width && featureOfColumn[c] == -1) {
                featureOfColumn[c] = f;
            }
        }
        int starts = width / LANES + (width % LANES == 0 ? 0 : 1);
        int[] start = new int[starts];
        int[][] laneFeature = new int[starts][LANES];
        boolean[] taken = new boolean[width];
        int kept = 0;
        for (int s = 0; s < starts; s++) {
            int first = Math.min(s * LANES, width - LANES);
            int busy = 0;
            for (int j = 0; j < LANES; j++) {
                int c = first + j;
                laneFeature[kept][j] = taken[c] ? -1 : featureOfColumn[c];
                busy += laneFeature[kept][j] >= 0 ? 1 : 0;
            }
            if (busy >= MIN_LANES) {
                start[kept] = first;
                Arrays.fill(taken, first, first + LANES, true);
                kept++;
            }
        }
        LaneGroups groups = new LaneGroups(kept, monitored);
        Arrays.fill(groups.thresholds, Float.NaN);
        for (int g = 0; g < kept; g++) {
            groups.column[g] = start[g];
            for (int j = 0; j < LANES; j++) {
                int lane = g * LANES + j;
                int f = laneFeature[g][j];
                groups.laneFeature[lane] = f;
                if (f < 0) {
                    groups.laneThresholds[lane] = -1;
                    continue;
                }
                groups.covered[f] = true;
                groups.laneBase[lane] = countOffset[f];
                float[] t = thresholdsOf[f];
                groups.laneThresholds[lane] = t.length;
                for (int k = 0; k < t.length; k++) {
                    groups.thresholds[(g * ROWS + k) * LANES + j] = t[k];
                }
                if (entries.get(f).kind() != DriftBaseline.Kind.NUMERIC) {
                    groups.categories[lane] = t.length;
                    groups.categorical[g] = true;
                }
            }
        }
        return groups;
    }
}

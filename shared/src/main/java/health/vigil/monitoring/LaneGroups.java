package health.vigil.monitoring;

import java.util.Arrays;
import java.util.List;

/**
 * The tables {@link VectorBinning} bins a row's features with, eight columns at a time: which runs of eight
 * contiguous columns are binned as one vector, and per lane the count index of bin 0, the count index of a missing
 * value, the number of categories (0 for a numeric lane), and the numeric thresholds transposed (threshold k of the
 * eight lanes contiguous). Plain arrays only, so that building them loads no vector class.
 *
 * <p>Groups start at columns 0, 8, 16, ... and, when the width is not a multiple of eight, at width - 8; a column
 * belongs to one group at most (a lane whose column an earlier group took is idle). A numeric column joins a group
 * when it has at most {@link #MAX_EDGES} interior edges (every lane compares with every threshold row of its group,
 * so a feature with many edges stays on the scalar grid); a categorical column always does. A group is kept when
 * at least {@link #MIN_LANES} of its lanes bin something. Idle lanes have no thresholds (NaN: every comparison is
 * false), no categories, and count into a spare slot that nothing reads.
 */
final class LaneGroups {
    /** Lanes per group: eight floats fill a 256-bit vector. */
    static final int LANES = 8;
    /** A numeric feature with more interior edges than this is binned by the scalar grid. */
    static final int MAX_EDGES = 16;
    /** A group with fewer binning lanes than this costs more as a vector than its lanes do as scalar code. */
    static final int MIN_LANES = 2;
    /** Count indices travel as floats, exact up to 2^24. */
    private static final int MAX_SLOTS = 1 << 24;

    /** Number of groups. */
    final int count;
    /** Per group: its first column. */
    final int[] column;
    /** Per group: how many threshold rows its lanes compare with (the most interior edges of its numeric lanes). */
    final int[] edgeRows;
    /** Per group: the index in {@link #thresholds} of its first threshold row. */
    final int[] thresholdOffset;
    /** Threshold rows of eight lanes each, NaN where a lane has fewer thresholds or is not numeric. */
    final float[] thresholds;
    /** Per group and lane: the count index of bin 0 (as a float: exact, see {@link #MAX_SLOTS}). */
    final float[] base;
    /** Per group and lane: the count index of a missing value. */
    final float[] missingSlot;
    /** Per group and lane: the number of categories of a categorical lane, 0 otherwise. */
    final float[] categories;
    /** Per group: whether any lane is categorical (the group must run the category step). */
    final boolean[] categorical;
    /** Per monitored feature: whether a group bins it. */
    final boolean[] covered;

    private LaneGroups(int count, int totalEdgeRows, int monitored) {
        this.count = count;
        column = new int[count];
        edgeRows = new int[count];
        thresholdOffset = new int[count];
        thresholds = new float[totalEdgeRows * LANES];
        base = new float[count * LANES];
        missingSlot = new float[count * LANES];
        categories = new float[count * LANES];
        categorical = new boolean[count];
        covered = new boolean[monitored];
    }

    /** No groups: every column binned by scalar code. */
    static LaneGroups none(int monitored) {
        return new LaneGroups(0, 0, monitored);
    }

    /**
     * The groups for these monitored entries of a {@code width}-column row. Feature f's bins count at
     * {@code countOffset[f]}, its missing values at {@code missingSlot0 + f}; {@code spareSlot} takes idle lanes.
     */
    static LaneGroups of(List<DriftBaseline.Entry> entries, int width, int[] countOffset, int missingSlot0,
            int spareSlot) {
        int monitored = entries.size();
        if (width < LANES || spareSlot >= MAX_SLOTS) {
            return none(monitored);
        }
        // The feature each column carries, if a lane can bin it; -1 otherwise.
        int[] featureOfColumn = new int[width];
        Arrays.fill(featureOfColumn, -1);
        float[][] thresholdsOf = new float[monitored][];
        for (int f = 0; f < monitored; f++) {
            DriftBaseline.Entry e = entries.get(f);
            if (e.kind() == DriftBaseline.Kind.NUMERIC) {
                thresholdsOf[f] = DriftAccumulator.thresholds(e.edges());
                if (thresholdsOf[f].length > MAX_EDGES) {
                    continue;
                }
            }
            int c = e.column();
            if (c >= 0 && c < width && featureOfColumn[c] == -1) {
                featureOfColumn[c] = f;
            }
        }
        int starts = width / LANES + (width % LANES == 0 ? 0 : 1);
        int[] start = new int[starts];
        int[][] laneFeature = new int[starts][LANES];
        boolean[] taken = new boolean[width];
        int kept = 0;
        int totalEdgeRows = 0;
        for (int s = 0; s < starts; s++) {
            int first = Math.min(s * LANES, width - LANES);
            int busy = 0;
            for (int j = 0; j < LANES; j++) {
                int c = first + j;
                laneFeature[kept][j] = taken[c] ? -1 : featureOfColumn[c];
                busy += laneFeature[kept][j] >= 0 ? 1 : 0;
            }
            if (busy < MIN_LANES) {
                continue;
            }
            start[kept] = first;
            for (int j = 0; j < LANES; j++) {
                taken[first + j] = true;
            }
            kept++;
        }
        int[] rows = new int[kept];
        for (int g = 0; g < kept; g++) {
            for (int j = 0; j < LANES; j++) {
                int f = laneFeature[g][j];
                if (f >= 0 && thresholdsOf[f] != null) {
                    rows[g] = Math.max(rows[g], thresholdsOf[f].length);
                }
            }
            totalEdgeRows += rows[g];
        }
        LaneGroups groups = new LaneGroups(kept, totalEdgeRows, monitored);
        Arrays.fill(groups.thresholds, Float.NaN);
        int offset = 0;
        for (int g = 0; g < kept; g++) {
            groups.column[g] = start[g];
            groups.edgeRows[g] = rows[g];
            groups.thresholdOffset[g] = offset;
            for (int j = 0; j < LANES; j++) {
                int lane = g * LANES + j;
                int f = laneFeature[g][j];
                if (f < 0) {
                    groups.base[lane] = spareSlot;
                    groups.missingSlot[lane] = spareSlot;
                    continue;
                }
                groups.covered[f] = true;
                groups.base[lane] = countOffset[f];
                groups.missingSlot[lane] = missingSlot0 + f;
                if (thresholdsOf[f] == null) {
                    groups.categories[lane] = entries.get(f).categories().size();
                    groups.categorical[g] = true;
                } else {
                    float[] t = thresholdsOf[f];
                    for (int k = 0; k < t.length; k++) {
                        groups.thresholds[offset + k * LANES + j] = t[k];
                    }
                }
            }
            offset += rows[g] * LANES;
        }
        return groups;
    }
}

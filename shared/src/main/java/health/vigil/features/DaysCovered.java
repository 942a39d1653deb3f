package health.vigil.features;

import java.util.Arrays;

/**
 * Supply coverage of a dispensing history, the basis of the proportion of days covered (PDC) adherence
 * measure. Days are whole numbers on one axis (the index date is day 0, earlier days are negative). A fill
 * on day {@code s} with {@code d} days' supply covers {@code d} days starting at {@code s}; when a fill
 * arrives while earlier supply is still on hand, its days start after that supply runs out (the
 * "shift overlapping fills" rule of the Pharmacy Quality Alliance PDC definition), so early refills are
 * not double-counted.
 */
public final class DaysCovered {
    private final int[] coveredFrom;
    private final int[] coveredTo;
    private final int[] fillDay;

    private DaysCovered(int[] fillDay, int[] coveredFrom, int[] coveredTo) {
        this.fillDay = fillDay;
        this.coveredFrom = coveredFrom;
        this.coveredTo = coveredTo;
    }

    /**
     * Lays out the supply of fills given by their day and days' supply (any order). A supply below 1 day is
     * an {@link IllegalArgumentException}.
     */
    public static DaysCovered of(int[] fillDays, int[] supplyDays) {
        if (fillDays.length != supplyDays.length) {
            throw new IllegalArgumentException("every fill needs a day and a days' supply");
        }
        Integer[] order = new Integer[fillDays.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            if (supplyDays[i] < 1) {
                throw new IllegalArgumentException("a fill's days' supply must be at least 1");
            }
        }
        // Same-day fills: the order among them does not change the covered days.
        Arrays.sort(order, (a, b) -> Integer.compare(fillDays[a], fillDays[b]));
        int[] day = new int[order.length];
        int[] from = new int[order.length];
        int[] to = new int[order.length];
        int nextFree = Integer.MIN_VALUE;
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            day[k] = fillDays[i];
            from[k] = Math.max(fillDays[i], nextFree);
            to[k] = from[k] + supplyDays[i];
            nextFree = to[k];
        }
        return new DaysCovered(day, from, to);
    }

    public int fills() {
        return fillDay.length;
    }

    /** Days in {@code [start, end)} with supply on hand. */
    public int coveredDays(int start, int end) {
        int covered = 0;
        for (int k = 0; k < coveredFrom.length; k++) {
            int from = Math.max(coveredFrom[k], start);
            int to = Math.min(coveredTo[k], end);
            if (to > from) {
                covered += to - from;
            }
        }
        return covered;
    }

    /** Proportion of days covered in {@code [start, end)}; {@code end} must be after {@code start}. */
    public double proportion(int start, int end) {
        if (end <= start) {
            throw new IllegalArgumentException("a PDC window must end after it starts");
        }
        return (double) coveredDays(start, end) / (end - start);
    }

    /** The first day without supply after all fills (shifted), or {@code Integer.MIN_VALUE} without fills. */
    public int supplyEndsOn() {
        return coveredTo.length == 0 ? Integer.MIN_VALUE : coveredTo[coveredTo.length - 1];
    }

    /**
     * The longest run of days without supply between {@code start} and {@code end} (exclusive), counting the
     * run before the first fill and the run after the supply ends.
     */
    public int longestGap(int start, int end) {
        int longest = 0;
        int cursor = start;
        for (int k = 0; k < coveredFrom.length; k++) {
            int from = Math.min(Math.max(coveredFrom[k], start), end);
            longest = Math.max(longest, from - cursor);
            cursor = Math.max(cursor, Math.min(coveredTo[k], end));
        }
        return Math.max(longest, end - cursor);
    }
}

package health.vigil.model;

/**
 * The small-cell rule of one part's outcome counts, as healthcare statistics publish counts (the CMS cell-size rule):
 * a part with fewer than {@code min} outcomes shows neither count, one with fewer than {@code min} of either class
 * shows its outcomes but not its positives. Zero stays zero. Held in the model package, which every service may
 * read, so that monitoring's reports and an experiment's arms withhold by one rule and in one wording.
 */
public final class SmallCellRule {
    private SmallCellRule() {}

    /** Why both counts of a part are withheld. */
    public static String fewerOutcomes(int minCellSize) {
        return "fewer than " + minCellSize + " outcomes";
    }

    /** Why a part's positives (and what gives them back) are withheld. */
    public static String fewerOfAClass(int minCellSize) {
        return "fewer than " + minCellSize + " positive or fewer than " + minCellSize + " negative outcomes";
    }

    /**
     * Why a part's counts of {@code labelled} outcomes, {@code positives} of them, are withheld under {@code min}
     * ({@link #fewerOutcomes}: both; {@link #fewerOfAClass}: the positives and what gives them back), or null when
     * both are shown: the rule of a segment, for parts that add up to no total their readers see (an experiment's
     * arms).
     */
    public static String withheld(long labelled, long positives, int min) {
        if (min <= 1) {
            return null;
        }
        if (small(labelled, min)) {
            return fewerOutcomes(min);
        }
        return small(positives, min) || small(labelled - positives, min) ? fewerOfAClass(min) : null;
    }

    /** Whether {@code count} is a small cell under {@code min}: at least one and fewer than {@code min}. */
    public static boolean small(long count, int min) {
        return count > 0 && count < min;
    }
}

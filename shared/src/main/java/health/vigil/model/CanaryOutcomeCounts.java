package health.vigil.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a canary step's reason gives each slot's predictions with an outcome, by the small-cell rule of the monitoring
 * report (the model's {@code minCellSize}): a count of 1 to {@code minCellSize} - 1 is a few patients' outcomes, and
 * reads {@code fewer than 11}; zero stays zero. The two counts add up to no total the answers show, so neither is
 * withheld with the other. A reason stored before the rule, which still gives such a count, reads as one written now.
 */
public final class CanaryOutcomeCounts {
    /** The monitoring policy's default {@code minCellSize}, for a ramp stored before it kept its own. */
    public static final int DEFAULT_MIN_CELL_SIZE = 11;

    /** What every reason that gives such counts holds: a reason without it is kept as it is, with no regex run. */
    private static final String OUTCOME_WORDS = " stable predictions with an outcome";
    private static final Pattern COUNTS = Pattern.compile("(\\d+) canary, (\\d+)" + OUTCOME_WORDS);

    private CanaryOutcomeCounts() {}

    /** {@code 12 canary, fewer than 11 stable predictions with an outcome}. */
    public static String words(long canary, long stable, int minCellSize) {
        return count(canary, minCellSize) + " canary, " + count(stable, minCellSize) + " stable predictions with an"
                + " outcome";
    }

    /**
     * {@code reason} with its counts of predictions with an outcome worded by {@link #words}; null stays null. A ramp
     * is built on every read of its deployment (scoring's too), so a reason without such counts is not scanned by the
     * pattern, and one with nothing to reword is answered as the same string.
     */
    public static String withheld(String reason, int minCellSize) {
        if (reason == null || minCellSize <= 1 || !reason.contains(OUTCOME_WORDS)) {
            return reason;
        }
        Matcher m = COUNTS.matcher(reason);
        String worded = m.replaceAll(found -> Matcher.quoteReplacement(words(Long.parseLong(found.group(1)),
                Long.parseLong(found.group(2)), minCellSize)));
        return worded.equals(reason) ? reason : worded;
    }

    private static String count(long count, int minCellSize) {
        return count > 0 && count < minCellSize ? "fewer than " + minCellSize : Long.toString(count);
    }
}

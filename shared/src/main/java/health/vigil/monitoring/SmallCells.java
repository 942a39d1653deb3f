package health.vigil.monitoring;

import health.vigil.model.SmallCellRule;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Small-cell suppression of a report's segment counts, as healthcare statistics publish counts (the CMS cell-size
 * rule): with one outcome of {@code sex=female} in a window, its count tells a reader that patient's outcome. A
 * segment with fewer than the policy's {@code minCellSize} outcomes shows neither count; one with fewer than that of
 * either class shows its outcomes but not its positives (the negatives are the outcomes minus the positives). Zero
 * stays zero. A withheld segment gives no statistic either, since its intervals depend on its counts.
 *
 * <p>The window's own outcomes and positives follow the same rule, with its statistics. The segments of one column
 * add up to them, so a count withheld alone in its column would be the window's total minus the others: the same
 * count of the column's smallest shown segment is withheld with it. A column of one segment is the window itself:
 * its small count is withheld with the window's. Applied as the report is made and as it is read, so every reader
 * sees the same figures; applying it again changes nothing. The outcome feed's window ({@link LabelledWindow}) and
 * its parts per version and slot follow the same rule.
 */
public final class SmallCells {
    private SmallCells() {}

    static final String COMPLEMENT = "withheld with a smaller segment of this column, which the window's totals"
            + " would otherwise give away";

    // The reasons of the window's performance that gave its counts before they were withheld (a report stored then
    // keeps them): the AUROC and Brier verdicts, with or without their intervals, and the AUROC not judged yet.
    private static final Pattern AUROC_BELOW = Pattern.compile(
            "AUROC \\S+ (?:\\(95% CI \\S+ to \\S+\\) )?on \\d+ outcomes?(?:, \\d+ positive,)? is below (\\S+)");
    private static final Pattern BRIER_ABOVE = Pattern.compile(
            "Brier score \\S+ (?:\\(95% CI \\S+ to \\S+\\) )?on \\d+ outcomes? is above (\\S+)");
    private static final Pattern NOT_JUDGED = Pattern.compile(
            "the realised AUROC is not judged yet: \\d+ outcomes?, \\d+ positive and \\d+ negative; (.*)");

    public static String fewerOutcomes(int minCellSize) {
        return SmallCellRule.fewerOutcomes(minCellSize);
    }

    static String fewerOfAClass(int minCellSize) {
        return SmallCellRule.fewerOfAClass(minCellSize);
    }

    /** {@code segments} with the counts {@code policy}'s {@code minCellSize} withholds withheld. */
    static List<SegmentPerformance> suppress(List<SegmentPerformance> segments, MonitoringPolicy policy) {
        return suppress(segments, policy == null ? MonitoringPolicy.DEFAULT_MIN_CELL_SIZE : policy.minCellSize());
    }

    /**
     * {@code segments} with the counts {@code min} withholds withheld: a column of one segment is a total by the
     * window's rule, a column of several is cells that add up to a total (a calibration plot's bins of outcomes).
     */
    public static List<SegmentPerformance> suppress(List<SegmentPerformance> segments, int min) {
        if (min <= 1) {
            return segments;
        }
        List<SegmentPerformance> out = new ArrayList<>(segments.size());
        Map<String, List<Integer>> byColumn = new LinkedHashMap<>();
        for (SegmentPerformance s : segments) {
            byColumn.computeIfAbsent(s.column(), c -> new ArrayList<>()).add(out.size());
            out.add(small(s, min));
        }
        for (List<Integer> column : byColumn.values()) {
            complement(out, column, SegmentPerformance::labelled, List.of(fewerOutcomes(min)));
            complement(out, column, SegmentPerformance::positives, List.of(fewerOutcomes(min), fewerOfAClass(min)));
        }
        return out;
    }

    /** The window's {@code performance} with the counts {@code policy}'s {@code minCellSize} withholds withheld. */
    static LabelledPerformance window(LabelledPerformance performance, MonitoringPolicy policy) {
        int min = policy == null ? MonitoringPolicy.DEFAULT_MIN_CELL_SIZE : policy.minCellSize();
        if (performance == null || min <= 1 || performance.labelled() == null || performance.positives() == null) {
            return performance;
        }
        long labelled = performance.labelled();
        long positives = performance.positives();
        if (small(labelled, min)) {
            return withheld(null, fewerOutcomes(min));
        }
        if (small(positives, min) || small(labelled - positives, min)) {
            return withheld(labelled, fewerOfAClass(min));
        }
        return performance;
    }

    /**
     * The outcome feed's {@code window} with the counts {@code min} withholds withheld: the window's own as a report's
     * window totals, and its parts (one per version and slot, adding up to the window's) as one column of segments.
     */
    static LabelledWindow window(LabelledWindow window, int min) {
        if (min <= 1 || window.labelled() == null || window.positives() == null) {
            return window;
        }
        List<SegmentPerformance> parts = new ArrayList<>();
        for (LabelledWindow.Part p : window.parts()) {
            parts.add(new SegmentPerformance("part", p.version() + "/" + p.slot(), p.labelled(), p.positives(),
                    SegmentPerformance.Status.MEASURED, null, p.suppressed()));
        }
        List<SegmentPerformance> shown = suppress(parts, min);
        List<LabelledWindow.Part> shownParts = new ArrayList<>();
        for (int i = 0; i < shown.size(); i++) {
            LabelledWindow.Part p = window.parts().get(i);
            SegmentPerformance s = shown.get(i);
            shownParts.add(new LabelledWindow.Part(p.version(), p.slot(), p.predictions(), s.labelled(), s.positives(),
                    s.labelled() == null ? null : p.labelledFraction(), s.suppressed()));
        }
        long labelled = window.labelled();
        long positives = window.positives();
        String why = small(labelled, min) ? fewerOutcomes(min)
                : small(positives, min) || small(labelled - positives, min) ? fewerOfAClass(min) : null;
        boolean labelledShown = !small(labelled, min);
        return new LabelledWindow(window.model(), window.from(), window.to(), window.predictions(),
                labelledShown ? window.labelled() : null, why == null ? window.positives() : null,
                labelledShown ? window.labelledFraction() : null, window.conflicting(), shownParts, why);
    }

    /**
     * How a reason words the window's outcomes when {@code shown} (the window's performance as the report shows it)
     * withholds a count: {@code 60 outcomes (fewer than 11 positive or fewer than 11 negative outcomes)}, or only why
     * when the outcomes are withheld too; null when every count is shown.
     */
    static String withheldOutcomes(LabelledPerformance shown) {
        if (shown == null || shown.suppressed() == null) {
            return null;
        }
        return shown.labelled() == null ? shown.suppressed()
                : Words.count(shown.labelled(), "outcome") + " (" + shown.suppressed() + ")";
    }

    /**
     * {@code reasons} worded with the window's counts and statistics only as {@code shown} shows them: a reason of a
     * report stored before the window's counts were withheld, which still gives them, is worded as a report made now
     * words it. Reasons that give no count, and every reason when nothing is withheld, are kept as they are.
     */
    static List<String> reasons(List<String> reasons, LabelledPerformance shown) {
        String withheld = withheldOutcomes(shown);
        if (withheld == null) {
            return reasons;
        }
        List<String> out = new ArrayList<>(reasons.size());
        for (String reason : reasons) {
            Matcher m;
            if ((m = AUROC_BELOW.matcher(reason)).matches()) {
                out.add("the AUROC on " + withheld + " is below " + m.group(1));
            } else if ((m = BRIER_ABOVE.matcher(reason)).matches()) {
                out.add("the Brier score on " + withheld + " is above " + m.group(1));
            } else if ((m = NOT_JUDGED.matcher(reason)).matches()) {
                out.add("the realised AUROC is not judged yet: " + withheld + "; " + m.group(1));
            } else {
                out.add(reason);
            }
        }
        return out;
    }

    private static LabelledPerformance withheld(Long labelled, String why) {
        return new LabelledPerformance(labelled, null, null, null, null, null, null, null, null, null, null, why);
    }

    private static SegmentPerformance small(SegmentPerformance s, int min) {
        if (s.labelled() == null || s.positives() == null) {
            return s;
        }
        long labelled = s.labelled();
        long positives = s.positives();
        if (small(labelled, min)) {
            return withheld(s, null, fewerOutcomes(min));
        }
        if (small(positives, min) || small(labelled - positives, min)) {
            return withheld(s, labelled, fewerOfAClass(min));
        }
        return s;
    }

    private static boolean small(long count, int min) {
        return SmallCellRule.small(count, min);
    }

    /**
     * When one segment of {@code column} withholds {@code count} as small, withholds both counts of the smallest
     * segment that shows it, so the window's total minus the shown counts does not give it back.
     */
    private static void complement(List<SegmentPerformance> out, List<Integer> column,
            Function<SegmentPerformance, Long> count, List<String> smallReasons) {
        List<Integer> withheld = column.stream().filter(i -> count.apply(out.get(i)) == null).toList();
        if (withheld.size() != 1 || !smallReasons.contains(out.get(withheld.get(0)).suppressed())) {
            return;
        }
        IntStream.range(0, column.size()).map(column::get).filter(i -> count.apply(out.get(i)) != null).boxed()
                .min(Comparator.comparingLong(i -> out.get(i).labelled()))
                .ifPresent(i -> out.set(i, withheld(out.get(i), null, COMPLEMENT)));
    }

    private static SegmentPerformance withheld(SegmentPerformance s, Long labelled, String why) {
        return new SegmentPerformance(s.column(), s.value(), labelled, null, SegmentPerformance.Status.SUPPRESSED, null,
                why);
    }
}

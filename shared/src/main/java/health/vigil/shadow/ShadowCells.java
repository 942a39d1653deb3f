package health.vigil.shadow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * Small-cell suppression of a shadow report, by the rule the monitoring report follows (the model's
 * {@code minCellSize}): a segment of 1 to {@code minCellSize} - 1 pairs shows no count and no statistic, since its
 * score quantiles are those of a few patients; a comparison with that few pairs in one cell of its decision table
 * (flagged by both, live only, shadow only, neither) shows its pairs and score differences but no cell, flag rate,
 * agreement or McNemar test, each of which gives the cells back. Zero stays zero. The overall comparison follows the
 * same rule but keeps its pairs, which the report's {@code paired} shows anyway.
 *
 * <p>The segments of one column add up to the overall comparison, so a count withheld alone in its column would be
 * the overall one minus the others: the same counts of the column's smallest shown segment are withheld with it.
 */
final class ShadowCells {
    private ShadowCells() {}

    static final String COMPLEMENT = "withheld with a smaller segment of this column, which the overall comparison"
            + " would otherwise give away";

    static String fewerPairs(int minCellSize) {
        return "fewer than " + minCellSize + " pairs";
    }

    static String fewerInADecision(int minCellSize) {
        return "fewer than " + minCellSize + " pairs flagged by both, by live only, by shadow only or by neither";
    }

    /** The overall comparison with the counts {@code minCellSize} withholds withheld. */
    static ShadowComparison.Result overall(ShadowComparison.Result overall, int minCellSize) {
        ShadowComparison.Result shown = small(overall, minCellSize);
        if (shown.pairs() == null) {
            return new ShadowComparison.Result(overall.pairs(), null, null, null, null, null, null, null, null, null,
                    shown.suppressed());
        }
        return shown;
    }

    /** {@code segments} with the counts {@code minCellSize} withholds withheld, with their complements per column. */
    static List<ShadowReport.Segment> segments(List<ShadowReport.Segment> segments, int minCellSize) {
        if (minCellSize <= 1) {
            return segments;
        }
        List<ShadowReport.Segment> out = new ArrayList<>(segments.size());
        Map<String, List<Integer>> byColumn = new LinkedHashMap<>();
        for (ShadowReport.Segment s : segments) {
            byColumn.computeIfAbsent(s.column(), c -> new ArrayList<>()).add(out.size());
            out.add(new ShadowReport.Segment(s.column(), s.value(), small(s.comparison(), minCellSize)));
        }
        for (List<Integer> column : byColumn.values()) {
            complement(out, column, r -> r.pairs() == null, ShadowCells::withoutPairs);
            complement(out, column, r -> r.bothFlagged() == null, ShadowCells::withoutDecisions);
        }
        return out;
    }

    private static ShadowComparison.Result small(ShadowComparison.Result r, int min) {
        if (min <= 1 || r.pairs() == null || r.bothFlagged() == null) {
            return r;
        }
        if (small(r.pairs(), min)) {
            return withoutPairs(r, fewerPairs(min));
        }
        if (small(r.bothFlagged(), min) || small(r.liveOnly(), min) || small(r.shadowOnly(), min)
                || small(r.neither(), min)) {
            return withoutDecisions(r, fewerInADecision(min));
        }
        return r;
    }

    private static boolean small(long count, int min) {
        return count > 0 && count < min;
    }

    /**
     * When one segment of {@code column} withholds what {@code withheld} tests, withholds the same of the segment with
     * the fewest pairs that shows it, so the overall comparison minus the shown segments does not give it back.
     */
    private static void complement(List<ShadowReport.Segment> out, List<Integer> column,
            Predicate<ShadowComparison.Result> withheld,
            BiFunction<ShadowComparison.Result, String, ShadowComparison.Result> withhold) {
        if (column.stream().filter(i -> withheld.test(out.get(i).comparison())).count() != 1) {
            return;
        }
        column.stream().filter(i -> !withheld.test(out.get(i).comparison()))
                .min(Comparator.comparingLong(i -> out.get(i).comparison().pairs()))
                .ifPresent(i -> {
                    ShadowReport.Segment s = out.get(i);
                    out.set(i, new ShadowReport.Segment(s.column(), s.value(),
                            withhold.apply(s.comparison(), COMPLEMENT)));
                });
    }

    private static ShadowComparison.Result withoutPairs(ShadowComparison.Result r, String why) {
        return new ShadowComparison.Result(null, null, null, null, null, null, null, null, null, null, why);
    }

    private static ShadowComparison.Result withoutDecisions(ShadowComparison.Result r, String why) {
        return new ShadowComparison.Result(r.pairs(), null, null, null, null, null, null, null, null,
                r.scoreDifference(), why);
    }
}

package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Realised performance of one segment (one value of one segment column) over a window's labelled predictions.
 * A segment below the policy's minimum of outcomes, or of outcomes of either class ({@code minLabelledPerClass}: an
 * AUROC from one positive is noise), is {@link Status#INSUFFICIENT_DATA}: it gives its sample sizes and no statistic.
 * A segment whose counts would single out a few patients is {@link Status#SUPPRESSED} ({@link SmallCells}): the
 * withheld counts are absent, it gives no statistic, and {@code suppressed} says why.
 *
 * @param labelled the segment's predictions with an outcome; null when withheld
 * @param positives of those, how many were positive; null when withheld
 * @param performance the statistics with their intervals; null when the data are insufficient or counts withheld
 * @param suppressed why counts are withheld ({@code fewer than 11 outcomes}); null when every count is shown
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SegmentPerformance(String column, String value, Long labelled, Long positives, Status status,
        LabelledPerformance performance, String suppressed) {

    public enum Status {
        MEASURED,
        INSUFFICIENT_DATA,
        SUPPRESSED
    }

    /** The segment judged by the policy's minimums: measured with {@code summary}'s statistics, or too few outcomes. */
    static SegmentPerformance of(String column, String value, LabelledSummary summary, MonitoringPolicy policy) {
        long positives = summary.positives().total();
        long labelled = positives + summary.negatives().total();
        if (!policy.judgesAuroc(labelled, positives)) {
            return new SegmentPerformance(column, value, labelled, positives, Status.INSUFFICIENT_DATA, null, null);
        }
        return new SegmentPerformance(column, value, labelled, positives, Status.MEASURED, summary.performance(),
                null);
    }
}

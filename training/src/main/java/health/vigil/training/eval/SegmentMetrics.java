package health.vigil.training.eval;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The metrics of one group of rows (a whole split or one segment of it). A statistic that is undefined for
 * the group (AUROC without positives, precision with nobody flagged) is null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SegmentMetrics(
        String segment,
        long rows,
        long positives,
        Double auroc,
        Double prAuc,
        Double brier,
        Double expectedCalibrationError,
        Double recall,
        Double precision,
        Double flaggedRate) {

    /** Computes the metrics of {@code scores} against {@code labels} at {@code threshold}. */
    public static SegmentMetrics of(String segment, double[] scores, boolean[] labels, double threshold) {
        long positives = 0;
        for (boolean label : labels) {
            if (label) {
                positives++;
            }
        }
        if (scores.length == 0) {
            return new SegmentMetrics(segment, 0, 0, null, null, null, null, null, null, null);
        }
        BinaryMetrics.Confusion confusion = BinaryMetrics.confusion(scores, labels, threshold);
        return new SegmentMetrics(segment, scores.length, positives,
                defined(BinaryMetrics.auroc(scores, labels)),
                defined(BinaryMetrics.averagePrecision(scores, labels)),
                defined(BinaryMetrics.brier(scores, labels)),
                defined(BinaryMetrics.expectedCalibrationError(scores, labels)),
                defined(confusion.recall()),
                defined(confusion.precision()),
                defined(confusion.flaggedRate()));
    }

    private static Double defined(double value) {
        return Double.isNaN(value) ? null : value;
    }
}

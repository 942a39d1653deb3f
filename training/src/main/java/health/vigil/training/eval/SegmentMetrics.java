package health.vigil.training.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.statistics.Auroc;
import health.vigil.statistics.AveragePrecision;
import health.vigil.statistics.BrierScore;
import health.vigil.statistics.ConfusionMatrix;
import health.vigil.statistics.ReliabilityCurve;
import java.util.stream.IntStream;

/**
 * The metrics of one group of rows (a whole split or one segment of it). A statistic that is undefined for
 * the group (AUROC without positives, precision with nobody flagged) is null.
 *
 * <p>Every statistic comes from {@code health.vigil.monitoring}, the implementations production monitoring
 * reports and that are checked there against independent references, so a model's evaluation and its
 * monitoring never disagree on a definition: AUROC counts tied scores as one half, average precision takes
 * tied scores as one threshold, and the expected calibration error uses {@value #ECE_BINS} equal-width bins
 * with a score of exactly 1 in the last.
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

    /** Bins of the expected calibration error. */
    public static final int ECE_BINS = 10;

    /** Computes the metrics of {@code scores} against {@code labels} at {@code threshold}. */
    public static SegmentMetrics of(String segment, double[] scores, boolean[] labels, double threshold) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("one label per score is needed");
        }
        long positives = positives(labels);
        if (scores.length == 0) {
            return new SegmentMetrics(segment, 0, 0, null, null, null, null, null, null, null);
        }
        // The monitoring statistics reject a group they are undefined for; a segment report shows a gap instead.
        boolean bothClasses = positives > 0 && positives < scores.length;
        ConfusionMatrix confusion = ConfusionMatrix.atThreshold(scores, labels, threshold);
        return new SegmentMetrics(segment, scores.length, positives,
                bothClasses ? Auroc.of(scores, labels) : null,
                positives > 0 ? AveragePrecision.of(scores, labels) : null,
                BrierScore.of(scores, labels),
                ReliabilityCurve.of(scores, labels, ECE_BINS).expectedCalibrationError(),
                defined(confusion.recall()),
                defined(confusion.precision()),
                defined(confusion.flaggedRate()));
    }

    static long positives(boolean[] labels) {
        return IntStream.range(0, labels.length).filter(i -> labels[i]).count();
    }

    private static Double defined(double value) {
        return Double.isNaN(value) ? null : value;
    }
}

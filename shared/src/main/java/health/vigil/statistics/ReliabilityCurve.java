package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reliability (calibration) curve: scores grouped into equal-width bins over 0-1, each bin's mean score
 * against the observed rate of positives in it, and the expected calibration error
 * {@code ECE = sum_b (n_b / n) * |observed_b - meanScore_b|}. A score of exactly 1 falls in the last bin.
 * Bins without cases are left out of {@link #bins()} (they contribute nothing to the ECE).
 */
public record ReliabilityCurve(List<Bin> bins, double expectedCalibrationError, long cases) {

    /** One bin: its score range, how many cases fell in it, their mean score and the observed positive rate. */
    public record Bin(double lower, double upper, long count, double meanScore, double observedRate) {}

    public ReliabilityCurve {
        bins = List.copyOf(bins);
    }

    public static ReliabilityCurve of(double[] scores, boolean[] labels, int binCount) {
        Checks.probabilities(scores, "the scores");
        Checks.sameLength(scores, labels);
        if (binCount < 1 || binCount > 1000) {
            throw new ValidationException("the reliability curve needs between 1 and 1000 bins; " + binCount
                    + " were asked for");
        }
        long[] count = new long[binCount];
        double[] scoreSum = new double[binCount];
        long[] positives = new long[binCount];
        for (int i = 0; i < scores.length; i++) {
            int b = bin(scores[i], binCount);
            count[b]++;
            scoreSum[b] += scores[i];
            if (labels[i]) {
                positives[b]++;
            }
        }
        List<Bin> bins = new ArrayList<>();
        double ece = 0;
        for (int b = 0; b < binCount; b++) {
            if (count[b] == 0) {
                continue;
            }
            double mean = scoreSum[b] / count[b];
            double observed = (double) positives[b] / count[b];
            bins.add(new Bin((double) b / binCount, (double) (b + 1) / binCount, count[b], mean, observed));
            ece += (double) count[b] / scores.length * Math.abs(observed - mean);
        }
        return new ReliabilityCurve(bins, ece, scores.length);
    }

    /**
     * The bin whose edges, as {@link Bin} reports them ({@code b / binCount}), hold the score: the product
     * {@code score * binCount} can round below a whole number the score reaches (0.29 * 100 is 28.999999999999996),
     * so it is corrected against the reported edge.
     */
    private static int bin(double score, int binCount) {
        int b = (int) (score * binCount);
        if (b < binCount - 1 && score >= (double) (b + 1) / binCount) {
            b++;
        } else if (b > 0 && score < (double) b / binCount) {
            b--;
        }
        return Math.min(b, binCount - 1);
    }
}

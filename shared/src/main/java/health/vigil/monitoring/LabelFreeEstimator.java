package health.vigil.monitoring;

import health.vigil.statistics.Checks;
import health.vigil.statistics.ReliabilityCurve;
import health.vigil.statistics.ScoreSketch;
import health.vigil.error.ValidationException;
import java.util.Arrays;

/**
 * Confidence-based performance estimation: if the scores are calibrated, a case with score s is positive with
 * probability s, so the expected confusion matrix at the threshold is {@code E[TP] = sum of flagged scores},
 * {@code E[FP] = sum of (1 - s) over flagged cases}, and so on, and the expected AUROC weighs every ordered
 * pair (i, j), i positive and j negative, by {@code s_i * (1 - s_j)}. Precision, recall and AUROC are the
 * ratios of those expected counts, which is what the realised values converge to as the number of cases grows.
 *
 * <p>The estimate is only as good as the calibration: it is reliable when scores are calibrated on the
 * production population (covariate shift alone keeps calibration if the outcome model still holds) and
 * misleading when they are not (a change in the link between features and outcome, or a model that was never
 * calibrated). Check calibration whenever labels do arrive ({@link ReliabilityCurve}).
 */
public final class LabelFreeEstimator {
    private LabelFreeEstimator() {}

    /** Estimate from exact scores (probabilities of the positive class). */
    public static PerformanceEstimate estimate(double[] scores, double threshold) {
        Checks.probabilities(scores, "the scores");
        checkThreshold(threshold);
        double[] s = scores.clone();
        Arrays.sort(s);
        int n = s.length;
        double total = 0;
        double selfPairs = 0;
        for (double v : s) {
            total += v;
            selfPairs += v * (1 - v);
        }
        // Walk distinct values from the top; "above" is the sum of strictly larger scores.
        double above = 0;
        double numerator = 0;
        double flaggedCount = 0;
        double flaggedSum = 0;
        int i = n - 1;
        while (i >= 0) {
            double v = s[i];
            int count = 0;
            while (i >= 0 && s[i] == v) {
                count++;
                i--;
            }
            // Each of the `count` cases at v, as the negative, against positives above it and ties at v.
            numerator += count * (1 - v) * (above + 0.5 * (count - 1) * v);
            if (v >= threshold) {
                flaggedCount += count;
                flaggedSum += count * v;
            }
            above += count * v;
        }
        double denominator = expectedPairs(n, total, selfPairs);
        return build(threshold, n, total, flaggedCount, flaggedSum, numerator, denominator, 0.0);
    }

    /** Estimate from a mergeable sketch; the AUROC carries an error bound for orders lost inside bins. */
    public static PerformanceEstimate estimate(ScoreSketch sketch) {
        if (sketch == null) {
            throw new ValidationException("the score sketch is missing");
        }
        long n = sketch.total();
        if (n == 0) {
            throw new ValidationException("the score sketch holds no scores; there is nothing to estimate from");
        }
        double total = 0;
        double selfPairs = 0;
        for (int b = 0; b < ScoreSketch.BINS; b++) {
            total += sketch.sum(b);
            selfPairs += sketch.sum(b) - sketch.square(b);
        }
        double above = 0;
        double numerator = 0;
        double withinBins = 0;
        for (int b = ScoreSketch.BINS - 1; b >= 0; b--) {
            long c = sketch.count(b);
            if (c == 0) {
                continue;
            }
            double m = sketch.sum(b);
            double negatives = c - m;
            // Pairs across bins are ordered by bin; pairs inside a bin (i != j) count one half.
            double inside = m * negatives - (m - sketch.square(b));
            numerator += negatives * above + 0.5 * inside;
            withinBins += inside;
            above += m;
        }
        double denominator = expectedPairs(n, total, selfPairs);
        Double bound = denominator > 0 ? 0.5 * withinBins / denominator : null;
        return build(sketch.threshold(), n, total, sketch.flagged(), sketch.flaggedSum(), numerator, denominator,
                bound);
    }

    private static PerformanceEstimate build(double threshold, long n, double total, double flaggedCount,
            double flaggedSum, double aucNumerator, double aucDenominator, Double bound) {
        double expectedTp = flaggedSum;
        double expectedFp = flaggedCount - flaggedSum;
        double expectedFn = total - flaggedSum;
        double expectedTn = (n - flaggedCount) - expectedFn;
        return new PerformanceEstimate(threshold, n, total / n, flaggedCount / n,
                ratio(expectedTp, expectedTp + expectedFp), ratio(expectedTp, expectedTp + expectedFn),
                ratio(expectedTn, expectedTn + expectedFp), ratio(aucNumerator, aucDenominator), bound);
    }

    /**
     * The expected number of (positive, negative) pairs of distinct cases, or 0 when there is none: with fewer than
     * two cases there is no pair at all, and {@code total * (n - total) - selfPairs} is then zero only up to rounding
     * (a residue of about 1e-17 for some scores), which must not pass for a pair. Residues below a relative
     * tolerance of the pair count's scale are zero for the same reason.
     */
    private static double expectedPairs(long n, double total, double selfPairs) {
        if (n < 2) {
            return 0;
        }
        double pairs = total * (n - total) - selfPairs;
        double scale = Math.max(total * (n - total), 1.0);
        return pairs > 1e-12 * scale ? pairs : 0;
    }

    /** Null when undefined (no denominator): a report holds no NaN. */
    private static Double ratio(double numerator, double denominator) {
        return denominator > 0 ? numerator / denominator : null;
    }

    private static void checkThreshold(double threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new ValidationException("the decision threshold must be between 0 and 1 (exclusive)");
        }
    }
}

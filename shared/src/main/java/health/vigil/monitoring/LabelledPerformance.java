package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.statistics.Auroc;
import health.vigil.statistics.AveragePrecision;
import health.vigil.statistics.BrierScore;
import health.vigil.statistics.LogisticFit;
import health.vigil.statistics.ReliabilityCurve;

/**
 * Realised performance over the labelled part of a window: AUROC with its 95 % interval (Hanley and McNeil's
 * standard error), average precision, the Brier score with its 95 % interval (normal approximation over the
 * per-case squared errors), the expected calibration error over ten equal-width bins, and the calibration slope
 * (the logistic regression of the outcome on the score's logit, {@link LogisticFit}). A value that the labels
 * cannot give (one class only) is null.
 *
 * @param labelled predictions with an outcome; absent when the policy's {@code minCellSize} withholds it
 *     ({@link SmallCells})
 * @param positives of those, how many were positive; absent when withheld
 * @param suppressed why counts, and the statistics read from them, are withheld; absent when every count is shown
 */
public record LabelledPerformance(@JsonInclude(JsonInclude.Include.NON_NULL) Long labelled,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long positives, Double auroc, Double aurocLower, Double aurocUpper,
        Double averagePrecision, Double brier, Double brierLower, Double brierUpper, Double calibrationError,
        Double calibrationSlope, @JsonInclude(JsonInclude.Include.NON_NULL) String suppressed) {

    /** A performance with every count shown. */
    public LabelledPerformance(long labelled, long positives, Double auroc, Double aurocLower, Double aurocUpper,
            Double averagePrecision, Double brier, Double brierLower, Double brierUpper, Double calibrationError,
            Double calibrationSlope) {
        this(Long.valueOf(labelled), Long.valueOf(positives), auroc, aurocLower, aurocUpper, averagePrecision, brier,
                brierLower, brierUpper, calibrationError, calibrationSlope, null);
    }

    static final int CALIBRATION_BINS = 10;
    static final LabelledPerformance EMPTY = new LabelledPerformance(0, 0, null, null, null, null, null, null, null,
            null, null);
    private static final double Z95 = 1.959963984540054;
    private static final double EPSILON = 1e-6;

    /**
     * The exact performance of {@code n} scores against their outcomes (the arrays may be longer than {@code n}),
     * from the scores themselves; the monitoring check reads a {@link LabelledSummary} instead.
     */
    public static LabelledPerformance of(double[] allScores, boolean[] allLabels, int n) {
        double[] scores = java.util.Arrays.copyOf(allScores, n);
        boolean[] labels = java.util.Arrays.copyOf(allLabels, n);
        long positives = 0;
        for (boolean y : labels) {
            positives += y ? 1 : 0;
        }
        if (n == 0) {
            return EMPTY;
        }
        double brier = BrierScore.of(scores, labels);
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double e = (scores[i] - (labels[i] ? 1 : 0));
            sumSq += (e * e - brier) * (e * e - brier);
        }
        double brierSe = n > 1 ? Math.sqrt(sumSq / (n - 1) / n) : Double.NaN;
        double calibrationError = ReliabilityCurve.of(scores, labels, CALIBRATION_BINS).expectedCalibrationError();
        if (positives == 0 || positives == n) {
            return withoutDiscrimination(n, positives, brier, brierSe, calibrationError);
        }
        return withDiscrimination(n, positives, Auroc.of(scores, labels), AveragePrecision.of(scores, labels), brier,
                brierSe, calibrationError, calibrationSlope(scores, labels));
    }

    /** The performance of labels of one class only: no AUROC, average precision or slope. */
    static LabelledPerformance withoutDiscrimination(long n, long positives, double brier, double brierSe,
            double calibrationError) {
        return new LabelledPerformance(n, positives, null, null, null, null, brier, lower(brier, brierSe),
                upper(brier, brierSe), calibrationError, null);
    }

    static LabelledPerformance withDiscrimination(long n, long positives, double auroc, double averagePrecision,
            double brier, double brierSe, double calibrationError, Double calibrationSlope) {
        double se = hanleyMcNeil(auroc, positives, n - positives);
        return new LabelledPerformance(n, positives, auroc, Math.max(0, auroc - Z95 * se), Math.min(1, auroc + Z95 * se),
                averagePrecision, brier, lower(brier, brierSe), upper(brier, brierSe), calibrationError,
                calibrationSlope);
    }

    private static Double lower(double v, double se) {
        return Double.isNaN(se) ? null : Math.max(0, v - Z95 * se);
    }

    private static Double upper(double v, double se) {
        return Double.isNaN(se) ? null : Math.min(1, v + Z95 * se);
    }

    /** Hanley and McNeil (1982), Radiology 143:29-36, equation 2. */
    static double hanleyMcNeil(double a, long positives, long negatives) {
        double q1 = a / (2 - a);
        double q2 = 2 * a * a / (1 + a);
        double variance = (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a))
                / ((double) positives * negatives);
        return Math.sqrt(Math.max(0, variance));
    }

    /** The score's logit, the score kept 1e-6 away from 0 and 1. */
    static double logit(double score) {
        double p = Math.min(1 - EPSILON, Math.max(EPSILON, score));
        return Math.log(p / (1 - p));
    }

    /**
     * The slope b of logit P(y) = a + b * logit(score) by maximum likelihood; 1 for calibrated scores, below 1
     * when the scores are too extreme. Null when the fit does not converge (separable data).
     */
    static Double calibrationSlope(double[] scores, boolean[] labels) {
        int n = scores.length;
        double[] x = new double[n];
        long[] cases = new long[n];
        long[] events = new long[n];
        for (int i = 0; i < n; i++) {
            x[i] = logit(scores[i]);
            cases[i] = 1;
            events[i] = labels[i] ? 1 : 0;
        }
        return logisticSlope(x, cases, events, n);
    }

    /**
     * The logistic fit of {@code events[i]} out of {@code cases[i]} at {@code x[i]} (the first {@code groups}
     * entries): its slope, or null when it does not converge (separated outcomes) or runs beyond 1e6.
     */
    static Double logisticSlope(double[] x, long[] cases, long[] events, int groups) {
        LogisticFit fit = LogisticFit.of(x, cases, events, groups);
        return fit.converged() && Math.abs(fit.slope()) <= 1e6 ? fit.slope() : null;
    }
}

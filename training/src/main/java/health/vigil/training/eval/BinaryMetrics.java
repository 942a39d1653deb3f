package health.vigil.training.eval;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Discrimination and calibration statistics of predicted probabilities against binary outcomes: AUROC
 * (with tied scores counted as half), average precision (the step-wise area under the precision-recall
 * curve), Brier score, expected calibration error over equal-width bins, and the confusion counts at a
 * decision threshold (a score at or above it predicts the positive class).
 */
public final class BinaryMetrics {
    /** Bins of the expected calibration error. */
    public static final int ECE_BINS = 10;

    private BinaryMetrics() {}

    private static void check(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("one label per score is needed");
        }
        for (double s : scores) {
            if (!(s >= 0 && s <= 1)) {
                throw new IllegalArgumentException("scores must be probabilities in [0, 1]");
            }
        }
    }

    private static Integer[] byScoreDescending(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        return order;
    }

    /** Area under the ROC curve; NaN when there are no positives or no negatives. */
    public static double auroc(double[] scores, boolean[] labels) {
        check(scores, labels);
        Integer[] order = byScoreDescending(scores);
        long positives = 0;
        long negatives = 0;
        double pairs = 0; // concordant positive-negative pairs, ties as half
        int i = 0;
        while (i < order.length) {
            int j = i;
            long tiedPositives = 0;
            long tiedNegatives = 0;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    tiedPositives++;
                } else {
                    tiedNegatives++;
                }
                j++;
            }
            // Positives in this tie group beat every negative scored lower, which come later.
            pairs += tiedNegatives * (double) positives + 0.5 * tiedPositives * tiedNegatives;
            positives += tiedPositives;
            negatives += tiedNegatives;
            i = j;
        }
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        // pairs counted, for each negative, the positives scored above it (plus half the ties).
        return pairs / ((double) positives * negatives);
    }

    /**
     * Average precision: the sum over score thresholds of (recall gained) x (precision there); NaN without
     * positives.
     */
    public static double averagePrecision(double[] scores, boolean[] labels) {
        check(scores, labels);
        long totalPositives = 0;
        for (boolean label : labels) {
            if (label) {
                totalPositives++;
            }
        }
        if (totalPositives == 0) {
            return Double.NaN;
        }
        Integer[] order = byScoreDescending(scores);
        double ap = 0;
        long truePositives = 0;
        long flagged = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            long gained = 0;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    gained++;
                }
                j++;
            }
            flagged += j - i;
            truePositives += gained;
            ap += (double) gained / totalPositives * ((double) truePositives / flagged);
            i = j;
        }
        return ap;
    }

    public static double brier(double[] scores, boolean[] labels) {
        check(scores, labels);
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            double d = scores[i] - (labels[i] ? 1 : 0);
            sum += d * d;
        }
        return sum / scores.length;
    }

    /**
     * Expected calibration error: over {@value #ECE_BINS} equal-width bins of the score (the last bin closed
     * at 1), the row-weighted mean of |mean score - observed rate|.
     */
    public static double expectedCalibrationError(double[] scores, boolean[] labels) {
        check(scores, labels);
        double[] scoreSum = new double[ECE_BINS];
        double[] positives = new double[ECE_BINS];
        long[] count = new long[ECE_BINS];
        for (int i = 0; i < scores.length; i++) {
            int bin = Math.min((int) (scores[i] * ECE_BINS), ECE_BINS - 1);
            scoreSum[bin] += scores[i];
            positives[bin] += labels[i] ? 1 : 0;
            count[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < ECE_BINS; b++) {
            if (count[b] > 0) {
                ece += Math.abs(scoreSum[b] - positives[b]) / scores.length;
            }
        }
        return ece;
    }

    /** Confusion counts when a score at or above {@code threshold} predicts the positive class. */
    public static Confusion confusion(double[] scores, boolean[] labels, double threshold) {
        check(scores, labels);
        long tp = 0;
        long fp = 0;
        long fn = 0;
        long tn = 0;
        for (int i = 0; i < scores.length; i++) {
            boolean flagged = scores[i] >= threshold;
            if (flagged && labels[i]) {
                tp++;
            } else if (flagged) {
                fp++;
            } else if (labels[i]) {
                fn++;
            } else {
                tn++;
            }
        }
        return new Confusion(tp, fp, fn, tn);
    }

    /** Counts at a threshold; rates are NaN when their denominator is 0. */
    public record Confusion(long truePositives, long falsePositives, long falseNegatives, long trueNegatives) {
        public double recall() {
            return ratio(truePositives, truePositives + falseNegatives);
        }

        public double precision() {
            return ratio(truePositives, truePositives + falsePositives);
        }

        public double specificity() {
            return ratio(trueNegatives, trueNegatives + falsePositives);
        }

        public double flaggedRate() {
            return ratio(truePositives + falsePositives, truePositives + falsePositives + falseNegatives + trueNegatives);
        }

        public double f1() {
            return ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives);
        }

        private static double ratio(long numerator, long denominator) {
            return denominator == 0 ? Double.NaN : (double) numerator / denominator;
        }
    }

    /**
     * The threshold that maximises F1 on these (validation) scores: the candidate thresholds are the
     * distinct scores; ties go to the higher threshold (fewer patients flagged for the same F1).
     */
    public static double thresholdMaximisingF1(double[] scores, boolean[] labels) {
        check(scores, labels);
        Integer[] order = byScoreDescending(scores);
        long totalPositives = 0;
        for (boolean label : labels) {
            if (label) {
                totalPositives++;
            }
        }
        if (totalPositives == 0) {
            throw new IllegalArgumentException("the validation part has no positive example to choose a threshold on");
        }
        double best = -1;
        double bestThreshold = 0.5;
        long tp = 0;
        long flagged = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    tp++;
                }
                j++;
            }
            flagged += j - i;
            double f1 = 2.0 * tp / (flagged + totalPositives);
            if (f1 > best) {
                best = f1;
                bestThreshold = scores[order[i]];
            }
            i = j;
        }
        return bestThreshold;
    }
}

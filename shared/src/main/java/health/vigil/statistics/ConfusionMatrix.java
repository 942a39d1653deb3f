package health.vigil.statistics;

import health.vigil.error.ValidationException;

/**
 * Counts of a yes/no decision against the outcome. A case is flagged positive when its score is at least
 * the threshold, the rule the scoring service applies. Counts from shards or days add up with {@link #plus}.
 * A rate whose denominator is zero (for example precision when nothing was flagged) is NaN: undefined, not 0.
 */
public record ConfusionMatrix(long truePositives, long falsePositives, long trueNegatives, long falseNegatives) {

    public ConfusionMatrix {
        if (truePositives < 0 || falsePositives < 0 || trueNegatives < 0 || falseNegatives < 0) {
            throw new ValidationException("confusion matrix counts must not be negative");
        }
    }

    public static ConfusionMatrix atThreshold(double[] scores, boolean[] labels, double threshold) {
        Checks.nonEmpty(scores, "the scores");
        Checks.sameLength(scores, labels);
        if (Double.isNaN(threshold)) {
            throw new ValidationException("the threshold is NaN; give the model's decision threshold");
        }
        long tp = 0;
        long fp = 0;
        long tn = 0;
        long fn = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new ValidationException("the scores hold NaN; remove cases without a score first");
            }
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
        return new ConfusionMatrix(tp, fp, tn, fn);
    }

    public ConfusionMatrix plus(ConfusionMatrix other) {
        return new ConfusionMatrix(Math.addExact(truePositives, other.truePositives),
                Math.addExact(falsePositives, other.falsePositives), Math.addExact(trueNegatives, other.trueNegatives),
                Math.addExact(falseNegatives, other.falseNegatives));
    }

    public long total() {
        return truePositives + falsePositives + trueNegatives + falseNegatives;
    }

    /** Positive predictive value: of the flagged cases, the share that were positive. */
    public double precision() {
        return ratio(truePositives, truePositives + falsePositives);
    }

    /** Sensitivity: of the positive cases, the share that were flagged. */
    public double recall() {
        return ratio(truePositives, truePositives + falseNegatives);
    }

    /** Of the negative cases, the share that were not flagged. */
    public double specificity() {
        return ratio(trueNegatives, trueNegatives + falsePositives);
    }

    /** Share of cases flagged positive. */
    public double flaggedRate() {
        return ratio(truePositives + falsePositives, total());
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? Double.NaN : (double) numerator / denominator;
    }
}

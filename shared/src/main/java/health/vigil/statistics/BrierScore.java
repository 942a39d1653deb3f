package health.vigil.statistics;

/**
 * Brier score: the mean squared difference between the predicted probability and the outcome (1 or 0).
 * 0 is perfect; always predicting the prevalence p scores {@code p * (1 - p)}.
 */
public final class BrierScore {
    private BrierScore() {}

    public static double of(double[] scores, boolean[] labels) {
        Checks.probabilities(scores, "the scores");
        Checks.sameLength(scores, labels);
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            double diff = scores[i] - (labels[i] ? 1.0 : 0.0);
            sum += diff * diff;
        }
        return sum / scores.length;
    }
}

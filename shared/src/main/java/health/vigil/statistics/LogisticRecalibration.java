package health.vigil.statistics;

/**
 * Calibration intercept and slope by logistic recalibration (Cox 1958; Van Calster et al. 2016): the outcome
 * is regressed on the logit of the predicted risk. The slope comes from {@code logit P(y) = a + b * logit(p)};
 * the intercept is calibration-in-the-large, {@code logit P(y) = a + logit(p)} with the slope fixed at 1. A
 * perfectly calibrated model has intercept 0 and slope 1; a slope below 1 means predictions are too extreme.
 * Both are maximum-likelihood fits ({@link LogisticFit}); predictions are clipped to {@code [1e-12, 1 - 1e-12]}
 * so a score of exactly 0 or 1 has a finite logit. When the outcomes are separated by the score (every positive
 * above every negative) the slope has no finite estimate: {@code slopeFound} is then false and the slope is where the
 * fit stopped, which may be an ordinary-looking value (scores of exactly 0 and 1 stop it near 1.4, where the fitted
 * risks round to 0 and 1), so it must not be judged as a slope.
 *
 * @param slopeFound false when the slope fit found no maximum (separated outcomes, or every score the same)
 */
public record LogisticRecalibration(double intercept, double slope, double slopeIntercept, boolean slopeFound) {
    private static final double EPSILON = 1e-12;

    public static LogisticRecalibration of(double[] scores, boolean[] labels) {
        Checks.probabilities(scores, "the scores");
        Checks.sameLength(scores, labels);
        Checks.bothClasses(labels, 1);
        int n = scores.length;
        double[] logit = new double[n];
        long[] cases = new long[n];
        long[] events = new long[n];
        for (int i = 0; i < n; i++) {
            double p = Math.min(1 - EPSILON, Math.max(EPSILON, scores[i]));
            logit[i] = Math.log(p / (1 - p));
            cases[i] = 1;
            events[i] = labels[i] ? 1 : 0;
        }
        LogisticFit inTheLarge = LogisticFit.withSlope(logit, cases, events, n, 1);
        LogisticFit slope = LogisticFit.of(logit, cases, events, n);
        return new LogisticRecalibration(inTheLarge.intercept(), slope.slope(), slope.intercept(), slope.converged());
    }
}

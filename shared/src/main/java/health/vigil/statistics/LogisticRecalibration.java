package health.vigil.statistics;

/**
 * Calibration intercept and slope by logistic recalibration (Cox 1958; Van Calster et al. 2016): the outcome
 * is regressed on the logit of the predicted risk. The slope comes from {@code logit P(y) = a + b * logit(p)};
 * the intercept is calibration-in-the-large, {@code logit P(y) = a + logit(p)} with the slope fixed at 1. A
 * perfectly calibrated model has intercept 0 and slope 1; a slope below 1 means predictions are too extreme.
 * Both are maximum-likelihood fits by Newton-Raphson; predictions are clipped to {@code [1e-12, 1 - 1e-12]}
 * so a score of exactly 0 or 1 has a finite logit. No library here fits a logistic regression with an
 * offset, and the fit has one or two parameters, so it is written out.
 */
public record LogisticRecalibration(double intercept, double slope, double slopeIntercept) {
    private static final double EPSILON = 1e-12;
    private static final int MAX_ITERATIONS = 100;
    private static final double TOLERANCE = 1e-10;

    public static LogisticRecalibration of(double[] scores, boolean[] labels) {
        Checks.probabilities(scores, "the scores");
        Checks.sameLength(scores, labels);
        Checks.bothClasses(labels, 1);
        double[] logit = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            double p = Math.min(1 - EPSILON, Math.max(EPSILON, scores[i]));
            logit[i] = Math.log(p / (1 - p));
        }
        double intercept = inTheLarge(logit, labels);
        double[] ab = interceptAndSlope(logit, labels);
        return new LogisticRecalibration(intercept, ab[1], ab[0]);
    }

    /** Newton-Raphson for {@code a} in {@code logit P(y) = a + offset}. */
    private static double inTheLarge(double[] offset, boolean[] labels) {
        double a = 0;
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            double gradient = 0;
            double information = 0;
            for (int i = 0; i < offset.length; i++) {
                double mu = sigmoid(a + offset[i]);
                gradient += (labels[i] ? 1 : 0) - mu;
                information += mu * (1 - mu);
            }
            double step = gradient / information;
            a += step;
            if (Math.abs(step) < TOLERANCE) {
                break;
            }
        }
        return a;
    }

    /** Newton-Raphson for {@code (a, b)} in {@code logit P(y) = a + b x}. */
    private static double[] interceptAndSlope(double[] x, boolean[] labels) {
        double a = 0;
        double b = 1;
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            double ga = 0;
            double gb = 0;
            double haa = 0;
            double hab = 0;
            double hbb = 0;
            for (int i = 0; i < x.length; i++) {
                double mu = sigmoid(a + b * x[i]);
                double r = (labels[i] ? 1 : 0) - mu;
                double w = mu * (1 - mu);
                ga += r;
                gb += r * x[i];
                haa += w;
                hab += w * x[i];
                hbb += w * x[i] * x[i];
            }
            double det = haa * hbb - hab * hab;
            if (det <= 0 || !Double.isFinite(det)) {
                break;
            }
            double da = (hbb * ga - hab * gb) / det;
            double db = (haa * gb - hab * ga) / det;
            a += da;
            b += db;
            if (Math.abs(da) < TOLERANCE && Math.abs(db) < TOLERANCE) {
                break;
            }
        }
        return new double[] {a, b};
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }
}

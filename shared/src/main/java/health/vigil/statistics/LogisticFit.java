package health.vigil.statistics;

/**
 * Maximum-likelihood fit of {@code logit P(y) = a + b x} to grouped binary outcomes ({@code events} of
 * {@code cases} at each {@code x}), with {@code b} free or fixed (x is then an offset). Newton-Raphson with step
 * halving: where |x| is large and the fitted slope small (over-confident scores) a full Newton step from the start
 * overshoots by orders of magnitude, so a step that lowers the log-likelihood is halved until it does not, and the
 * fit climbs to the maximum. When there is no finite maximum (x separates the outcomes) the fit does not converge and
 * says so; the estimates are then where the iterations stopped. No library here fits a logistic regression with an
 * offset, and the fit has one or two parameters, so it is written out.
 *
 * @param converged false when the iterations found no maximum (separated outcomes)
 */
public record LogisticFit(double intercept, double slope, boolean converged) {
    private static final int MAX_ITERATIONS = 100;
    private static final int MAX_HALVINGS = 60;
    private static final double TOLERANCE = 1e-10;

    /** Intercept and slope both fitted, from (0, 1). */
    public static LogisticFit of(double[] x, long[] cases, long[] events, int groups) {
        return fit(x, cases, events, groups, 1, true);
    }

    /** The intercept alone, with the slope fixed at {@code slope}. */
    public static LogisticFit withSlope(double[] x, long[] cases, long[] events, int groups, double slope) {
        return fit(x, cases, events, groups, slope, false);
    }

    private static LogisticFit fit(double[] x, long[] cases, long[] events, int groups, double startSlope,
            boolean freeSlope) {
        double a = 0;
        double b = startSlope;
        double likelihood = logLikelihood(x, cases, events, groups, a, b);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            // The score vector (a, b) and the information matrix {aa, ab, bb} at the current estimates.
            double[] gradient = new double[2];
            double[] information = new double[3];
            for (int i = 0; i < groups; i++) {
                double mu = sigmoid(a + b * x[i]);
                double r = events[i] - cases[i] * mu;
                double w = cases[i] * mu * (1 - mu);
                gradient[0] += r;
                gradient[1] += r * x[i];
                information[0] += w;
                information[1] += w * x[i];
                information[2] += w * x[i] * x[i];
            }
            double da;
            double db;
            if (freeSlope) {
                double det = information[0] * information[2] - information[1] * information[1];
                if (!(det > 0) || !Double.isFinite(det)) {
                    break;
                }
                da = (information[2] * gradient[0] - information[1] * gradient[1]) / det;
                db = (information[0] * gradient[1] - information[1] * gradient[0]) / det;
            } else {
                if (!(information[0] > 0)) {
                    break;
                }
                da = gradient[0] / information[0];
                db = 0;
            }
            if (Math.abs(da) < TOLERANCE && Math.abs(db) < TOLERANCE) {
                return new LogisticFit(a + da, b + db, true);
            }
            double step = 1;
            double next = logLikelihood(x, cases, events, groups, a + da, b + db);
            // Rounding may lower the log-likelihood by a hair near the maximum; only a real fall is halved.
            double slack = 1e-12 * (1 + Math.abs(likelihood));
            for (int h = 0; h < MAX_HALVINGS && !(next >= likelihood - slack); h++) {
                step /= 2;
                next = logLikelihood(x, cases, events, groups, a + step * da, b + step * db);
            }
            if (!(next >= likelihood - slack)) {
                break;
            }
            a += step * da;
            b += step * db;
            likelihood = next;
        }
        return new LogisticFit(a, b, false);
    }

    private static double logLikelihood(double[] x, long[] cases, long[] events, int groups, double a, double b) {
        double sum = 0;
        for (int i = 0; i < groups; i++) {
            double eta = a + b * x[i];
            // log(1 + e^eta) without overflow
            double softplus = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
            sum += events[i] * eta - cases[i] * softplus;
        }
        return sum;
    }

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }
}

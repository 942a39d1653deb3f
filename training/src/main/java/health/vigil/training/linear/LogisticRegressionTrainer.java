package health.vigil.training.linear;

import health.vigil.error.ValidationException;
import health.vigil.training.data.FeatureMatrix;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Fits an L2-regularised logistic regression by Newton's method (iteratively reweighted least squares) on
 * standardised columns, then expresses the coefficients in the columns' own units. Deterministic: no
 * sampling, a fixed summation order, and a Cholesky solve. Written here rather than taken from a library
 * because the few dozen columns of the clinical models make the exact Newton solve small and fast, and
 * no maintained Java library with a compatible licence offers it without a large dependency.
 */
public final class LogisticRegressionTrainer {
    private final double l2;
    private final int maxIterations;
    private final double tolerance;

    public LogisticRegressionTrainer(double l2, int maxIterations, double tolerance) {
        if (l2 < 0 || maxIterations < 1 || !(tolerance > 0)) {
            throw new IllegalArgumentException("l2 must not be negative; maxIterations and tolerance must be positive");
        }
        this.l2 = l2;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    public static LogisticRegressionTrainer defaults() {
        return new LogisticRegressionTrainer(1.0, 50, 1e-8);
    }

    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("logistic.l2", String.valueOf(l2));
        d.put("logistic.solver", "newton-irls on standardised columns");
        d.put("logistic.maxIterations", String.valueOf(maxIterations));
        d.put("logistic.tolerance", String.valueOf(tolerance));
        return d;
    }

    /** Fits the model; {@code onIteration} hears each Newton step's number. */
    public LogisticModel fit(FeatureMatrix x, boolean[] y, IntConsumer onIteration) {
        int n = x.rows();
        int p = x.width();
        if (y.length != n || n == 0) {
            throw new IllegalArgumentException("one label per row is needed, and at least one row");
        }
        double[] mean = new double[p];
        double[] scale = new double[p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                float v = x.get(i, j);
                if (!Float.isFinite(v)) {
                    throw new ValidationException("column '" + x.columns().get(j) + "' has a value that is not a finite"
                            + " number; logistic regression needs every missing value filled by the feature pipeline");
                }
                mean[j] += v;
            }
        }
        for (int j = 0; j < p; j++) {
            mean[j] /= n;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                double d = x.get(i, j) - mean[j];
                scale[j] += d * d;
            }
        }
        for (int j = 0; j < p; j++) {
            double sd = Math.sqrt(scale[j] / n);
            scale[j] = sd > 1e-12 ? sd : 0.0; // constant column: it gets no coefficient
        }
        // beta[0] is the intercept, beta[1..p] the standardised coefficients.
        double[] beta = new double[p + 1];
        double[] z = new double[p + 1];
        z[0] = 1.0;
        double previousLoss = Double.POSITIVE_INFINITY;
        for (int iteration = 1; iteration <= maxIterations; iteration++) {
            double[] gradient = new double[p + 1];
            double[][] hessian = new double[p + 1][p + 1];
            double loss = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < p; j++) {
                    z[j + 1] = scale[j] == 0 ? 0 : (x.get(i, j) - mean[j]) / scale[j];
                }
                double margin = 0;
                for (int j = 0; j <= p; j++) {
                    margin += beta[j] * z[j];
                }
                double prob = 1.0 / (1.0 + Math.exp(-margin));
                double target = y[i] ? 1.0 : 0.0;
                loss += y[i] ? softplus(-margin) : softplus(margin);
                double residual = prob - target;
                double weight = Math.max(prob * (1 - prob), 1e-12);
                for (int j = 0; j <= p; j++) {
                    if (z[j] == 0) {
                        continue;
                    }
                    gradient[j] += residual * z[j];
                    double wz = weight * z[j];
                    for (int k = 0; k <= j; k++) {
                        hessian[j][k] += wz * z[k];
                    }
                }
            }
            for (int j = 1; j <= p; j++) {
                loss += 0.5 * l2 * beta[j] * beta[j];
                gradient[j] += l2 * beta[j];
                hessian[j][j] += l2;
            }
            for (int j = 0; j <= p; j++) {
                if (hessian[j][j] == 0) {
                    hessian[j][j] = 1; // a constant column: keeps the system solvable, its gradient is 0
                }
                for (int k = 0; k < j; k++) {
                    hessian[k][j] = hessian[j][k];
                }
            }
            double[] step = Cholesky.solve(hessian, gradient);
            for (int j = 0; j <= p; j++) {
                beta[j] -= step[j];
            }
            onIteration.accept(iteration);
            if (Math.abs(previousLoss - loss) <= tolerance * Math.max(1.0, Math.abs(loss))) {
                break;
            }
            previousLoss = loss;
        }
        double[] coefficients = new double[p];
        double intercept = beta[0];
        for (int j = 0; j < p; j++) {
            if (scale[j] != 0) {
                coefficients[j] = beta[j + 1] / scale[j];
                intercept -= coefficients[j] * mean[j];
            }
        }
        return new LogisticModel(x.columns(), coefficients, intercept);
    }

    private static double softplus(double v) {
        return v > 30 ? v : Math.log1p(Math.exp(v));
    }

    /** Solves A x = b for a symmetric positive-definite A. */
    static final class Cholesky {
        private Cholesky() {}

        static double[] solve(double[][] a, double[] b) {
            int n = b.length;
            double[][] l = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double sum = a[i][j];
                    for (int k = 0; k < j; k++) {
                        sum -= l[i][k] * l[j][k];
                    }
                    if (i == j) {
                        if (sum <= 0) {
                            throw new IllegalStateException("the Newton system is not positive definite");
                        }
                        l[i][i] = Math.sqrt(sum);
                    } else {
                        l[i][j] = sum / l[j][j];
                    }
                }
            }
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                double sum = b[i];
                for (int k = 0; k < i; k++) {
                    sum -= l[i][k] * y[k];
                }
                y[i] = sum / l[i][i];
            }
            double[] x = new double[n];
            for (int i = n - 1; i >= 0; i--) {
                double sum = y[i];
                for (int k = i + 1; k < n; k++) {
                    sum -= l[k][i] * x[k];
                }
                x[i] = sum / l[i][i];
            }
            return x;
        }
    }
}

package health.vigil.explain;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.util.Objects;

/**
 * Exact SHAP values of a logistic model in margin space, {@code margin = intercept + Σ w_i x_i}:
 * {@code phi_i = w_i (x_i - mean_i)}, measured from {@code expectedMargin = intercept + Σ w_i mean_i}, where
 * the means are those of a background (training) sample.
 *
 * <p>Assumption: features are treated as independent. A coalition S is valued by the interventional
 * expectation {@code E[f(x_S, X_rest)]}, the features outside S drawn from the background whatever x_S is.
 * For a linear margin that expectation is {@code intercept + Σ_{i∈S} w_i x_i + Σ_{i∉S} w_i mean_i}, whose
 * Shapley values are exactly the formula above. When inputs are correlated (say, age and number of prior
 * stays), each input is still credited only through its own weight: the explanation describes the model,
 * not the causal structure of the data.
 */
public final class LinearShap implements MarginExplainer {

    private final double[] weights;
    private final double intercept;
    private final double[] means;
    private final double expectedMargin;

    /**
     * @param weights one weight per model input, in margin (log-odds) units
     * @param intercept the model's bias in margin units
     * @param means each input's mean over the background sample
     * @throws ValidationException (INVALID_PACKAGE) when the arrays are empty or differ in length, or a number
     *     is not finite
     */
    public LinearShap(double[] weights, double intercept, double[] means) {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(means, "means");
        if (weights.length == 0) {
            throw invalid("the linear model has no weights");
        }
        if (means.length != weights.length) {
            throw invalid("the linear model has " + weights.length + " weights but the background has "
                    + means.length + " means; give one mean per model input");
        }
        if (!Double.isFinite(intercept)) {
            throw invalid("the linear model's intercept is not a finite number");
        }
        double expected = intercept;
        for (int i = 0; i < weights.length; i++) {
            if (!Double.isFinite(weights[i])) {
                throw invalid("the weight of model input " + i + " is not a finite number");
            }
            if (!Double.isFinite(means[i])) {
                throw invalid("the background mean of model input " + i + " is not a finite number");
            }
            expected += weights[i] * means[i];
        }
        this.weights = weights.clone();
        this.intercept = intercept;
        this.means = means.clone();
        this.expectedMargin = expected;
    }

    /**
     * The explainer whose background is {@code background}: rows of model inputs, typically a sample of the
     * training data; every value must be present and finite.
     */
    public static LinearShap withBackground(double[] weights, double intercept, double[][] background) {
        Objects.requireNonNull(background, "background");
        if (background.length == 0) {
            throw invalid("the background sample has no rows; give at least one training row");
        }
        double[] sums = new double[weights.length];
        for (int r = 0; r < background.length; r++) {
            double[] row = background[r];
            if (row.length != weights.length) {
                throw invalid("background row " + r + " has " + row.length + " values but the model takes "
                        + weights.length + " inputs");
            }
            for (int i = 0; i < row.length; i++) {
                if (!Double.isFinite(row[i])) {
                    throw invalid("background row " + r + " has a missing or non-finite value at model input " + i
                            + "; impute it as the feature pipeline does");
                }
                sums[i] += row[i];
            }
        }
        double[] means = new double[weights.length];
        for (int i = 0; i < means.length; i++) {
            means[i] = sums[i] / background.length;
        }
        return new LinearShap(weights, intercept, means);
    }

    private static ValidationException invalid(String message) {
        return new ValidationException(ErrorCode.INVALID_PACKAGE, "cannot explain this model: " + message);
    }

    @Override
    public int featureCount() {
        return weights.length;
    }

    @Override
    public double expectedMargin() {
        return expectedMargin;
    }

    /**
     * {@inheritDoc}
     *
     * @throws ValidationException (INVALID_FEATURE) when a value is missing or not finite: a linear model has
     *     no missing-value branch, so the feature pipeline must impute before the model sees the row
     */
    @Override
    public double explain(double[] row, double[] out) {
        if (row.length != weights.length) {
            throw new ValidationException(ErrorCode.INVALID_FEATURE, "the row has " + row.length
                    + " values but the model takes " + weights.length + " inputs");
        }
        if (out.length < weights.length) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "the contribution array holds "
                    + out.length + " values but the model has " + weights.length + " inputs");
        }
        double margin = intercept;
        for (int i = 0; i < weights.length; i++) {
            double x = row[i];
            if (!Double.isFinite(x)) {
                throw new ValidationException(ErrorCode.INVALID_FEATURE, "model input " + i + " is missing or not"
                        + " a finite number; a linear model needs every input, so impute it in the feature pipeline");
            }
            margin += weights[i] * x;
            out[i] = weights[i] * (x - means[i]);
        }
        return margin;
    }
}

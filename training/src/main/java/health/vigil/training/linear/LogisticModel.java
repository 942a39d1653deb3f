package health.vigil.training.linear;

import java.util.List;

/**
 * A fitted logistic regression in the units of the model's input columns: probability =
 * logistic(intercept + sum of coefficient x column). Interpretable (a coefficient is the change in
 * log-odds per unit of its column) and exportable as an ONNX linear classifier.
 */
public record LogisticModel(List<String> columns, double[] coefficients, double intercept) {

    public LogisticModel {
        columns = List.copyOf(columns);
        coefficients = coefficients.clone();
        if (coefficients.length != columns.size()) {
            throw new IllegalArgumentException("one coefficient per column is needed");
        }
        for (double c : coefficients) {
            if (!Double.isFinite(c)) {
                throw new IllegalArgumentException("a coefficient is not finite");
            }
        }
        if (!Double.isFinite(intercept)) {
            throw new IllegalArgumentException("the intercept is not finite");
        }
    }

    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }

    public double margin(double[] row) {
        double sum = intercept;
        for (int j = 0; j < coefficients.length; j++) {
            sum += coefficients[j] * row[j];
        }
        return sum;
    }

    public double probability(double[] row) {
        return 1.0 / (1.0 + Math.exp(-margin(row)));
    }
}

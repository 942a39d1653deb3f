package health.vigil.model;

import health.vigil.error.ValidationException;

/**
 * A logistic regression in margin space: {@code margin = intercept + sum weights[i] * x[i]}, where a missing
 * input is first replaced by {@code missingReplacements[i]} when the model imputes (null when it does not).
 */
public record LinearModel(double[] weights, double intercept, double[] missingReplacements) implements ModelStructure {
    public LinearModel {
        if (weights == null || weights.length == 0) {
            throw new ValidationException("a linear model needs at least one weight");
        }
        if (missingReplacements != null && missingReplacements.length != weights.length) {
            throw new ValidationException("a linear model needs one missing-value replacement per weight");
        }
        weights = weights.clone();
        missingReplacements = missingReplacements == null ? null : missingReplacements.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public double[] missingReplacements() {
        return missingReplacements == null ? null : missingReplacements.clone();
    }

    @Override
    public int featureCount() {
        return weights.length;
    }
}

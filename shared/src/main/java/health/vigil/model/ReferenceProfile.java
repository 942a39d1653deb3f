package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.List;
import java.util.Map;

/**
 * {@code reference.json} of a model package: the training data's profile that drift checks compare
 * production against. Numeric features carry quantile bin edges and the share of training rows in each
 * bin; categorical features carry category frequencies; the score carries the same as a numeric feature.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReferenceProfile(long rows, List<FeatureProfile> features, FeatureProfile score, Long scoreRows) {

    /**
     * {@code rows} counts the rows the features were profiled on (the training split); {@code scoreRows} the scores
     * the score profile was built from (training profiles the held-out test split's scores), null in packages written
     * before it was recorded, where it is taken to be {@code rows}.
     */
    public ReferenceProfile {
        if (rows < 1) {
            throw new ValidationException("reference.rows is " + rows + "; a reference profile needs at least 1 row");
        }
        if (scoreRows != null && scoreRows < 1) {
            throw new ValidationException("reference.scoreRows is " + scoreRows + "; the score profile needs at least"
                    + " 1 scored row");
        }
        features = features == null ? List.of() : List.copyOf(features);
    }

    /** A profile whose score part, if any, was built on the same rows as its features. */
    public ReferenceProfile(long rows, List<FeatureProfile> features, FeatureProfile score) {
        this(rows, features, score, null);
    }

    /** How many scores the score profile describes: the sample size its drift tests must use. */
    public long scoreSampleRows() {
        return scoreRows != null ? scoreRows : rows;
    }

    /**
     * One feature's profile. For numeric features {@code binEdges} has k+1 increasing edges and
     * {@code proportions} k shares summing to 1; for categorical ones {@code categoryFrequencies} maps each
     * category to its share. {@code missingRate} is the share of rows where the feature was missing.
     * {@code mean} (optional; absent in older packages) is the mean of the non-missing values as the model
     * receives them: the background value that explanations of a linear model measure each input against.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FeatureProfile(
            String name,
            List<Double> binEdges,
            List<Double> proportions,
            Map<String, Double> categoryFrequencies,
            double missingRate,
            Double mean) {

        public FeatureProfile {
            if (name == null || name.isBlank()) {
                throw new ValidationException("a reference feature profile has no name");
            }
            binEdges = binEdges == null ? null : List.copyOf(binEdges);
            proportions = proportions == null ? null : List.copyOf(proportions);
            categoryFrequencies = categoryFrequencies == null ? null : Map.copyOf(categoryFrequencies);
            if (binEdges != null) {
                if (proportions == null || proportions.size() + 1 != binEdges.size()) {
                    throw new ValidationException(profileOf(name) + " has " + binEdges.size() + " bin edges but "
                            + (proportions == null ? 0 : proportions.size()) + " proportions; k bins need k+1 edges");
                }
                for (int i = 1; i < binEdges.size(); i++) {
                    if (!(binEdges.get(i) > binEdges.get(i - 1))) {
                        throw new ValidationException(profileOf(name) + " has bin edges that do not increase");
                    }
                }
            }
            if (!(missingRate >= 0.0 && missingRate <= 1.0)) {
                throw new ValidationException(profileOf(name) + " has missingRate " + missingRate
                        + "; it must be between 0 and 1");
            }
            if (mean != null && !Double.isFinite(mean)) {
                throw new ValidationException(profileOf(name) + " has a mean that is not a finite number");
            }
        }

        /**
         * The profile, for a refusal: its name is what the package says, not yet matched to a column, so it is
         * repeated only when it is a plain name (a value pasted where a name goes is never echoed).
         */
        private static String profileOf(String name) {
            return "reference profile of " + Json.quotedName(name);
        }

        /** A profile without a mean. */
        public FeatureProfile(String name, List<Double> binEdges, List<Double> proportions,
                Map<String, Double> categoryFrequencies, double missingRate) {
            this(name, binEdges, proportions, categoryFrequencies, missingRate, null);
        }
    }
}

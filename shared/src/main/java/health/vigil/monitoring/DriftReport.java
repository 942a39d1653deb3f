package health.vigil.monitoring;

import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.Wasserstein;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a drift check: per monitored feature and for the score, how far production moved from the
 * training reference and whether that counts as drift, plus the performance expected from the scores alone.
 * Holds statistics only, never a row or a feature value.
 *
 * @param rows production rows checked
 * @param drifted true when any feature or the score drifted
 * @param features one entry per monitored input column, in the model's input order
 * @param score the score's drift (null when the reference has no score profile)
 * @param estimate label-free performance estimate (null when no row had a score)
 * @param unmonitored input columns the reference does not profile
 * @param thresholds the thresholds the statuses were decided with
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DriftReport(long rows, boolean drifted, List<FeatureDrift> features, FeatureDrift score,
        PerformanceEstimate estimate, List<String> unmonitored, DriftThresholds thresholds) {

    public DriftReport {
        features = List.copyOf(features);
        unmonitored = List.copyOf(unmonitored);
        Objects.requireNonNull(thresholds, "thresholds");
    }

    /** A feature's verdict. */
    public enum Status {
        /** Enough data, no threshold reached. */
        STABLE,
        /** At least one threshold reached; {@link FeatureDrift#reasons()} says which. */
        DRIFTED,
        /**
         * Fewer non-missing rows than {@link DriftThresholds#minRows()}: statistics are shown, not judged (a missing
         * rate that drifted makes the feature {@link #DRIFTED} all the same).
         */
        INSUFFICIENT_DATA
    }

    /**
     * One feature's statistics. Numeric features (and the score) have KS and Wasserstein-1 values; categorical
     * ones have chi-square values (null when the expected-count rule left too few categories:
     * {@code chiSquareValid} is then false). PSI and Jensen-Shannon apply to both. A statistic that cannot be
     * computed (no non-missing row) is null.
     *
     * @param kind "numeric", "categorical" or "score"
     * @param rows non-missing production rows
     * @param missingRate share of production rows where the feature was missing
     * @param referenceMissingRate the same share in the training data
     * @param ksStatistic largest CDF gap at the reference bin edges (see {@link KolmogorovSmirnov#binned})
     * @param wasserstein W1 in the feature's unit over the reference bins (see {@link Wasserstein#binned})
     * @param pooledCategories categories merged by the expected-count rule
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FeatureDrift(String name, String kind, long rows, double missingRate, double referenceMissingRate,
            Double psi, Double jsDistance, Double ksStatistic, Double ksPValue, Double wasserstein,
            Double chiSquare, Integer chiSquareDegreesOfFreedom, Double chiSquarePValue, Boolean chiSquareValid,
            Integer pooledCategories, Status status, List<String> reasons) {

        public FeatureDrift {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            reasons = List.copyOf(reasons);
        }
    }
}

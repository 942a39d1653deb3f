package health.vigil.scoring;

import health.vigil.model.Explanation.Direction;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A past prediction's explanation as a clinician reads it: the risk against the baseline and the decision
 * threshold, the factors that moved it most in clinical words and units, the rest of the features together, and
 * the model version with what it was meant for and not validated for. Built from the prediction log's record; it
 * carries no patient identifier and no feature value.
 *
 * @param risk the probability the model gave the patient
 * @param baseline the risk at the reference population's expected margin, where the factors start from
 * @param threshold the version's decision threshold; {@code decision} is {@code risk >= threshold}
 * @param factors the top factors, largest first; their probability contributions and {@code otherFactors} add up
 *     to the explained risk minus the baseline
 * @param otherFactors the probability contribution of every feature not among {@code factors}
 * @param explainedRisk the risk the contributions add up to (equal to {@code risk} up to the runtime's float
 *     precision)
 * @param modelCard the path of the version's model card
 * @param versionStage the version's stage now, which may have changed since the patient was scored: {@code RETIRED}
 *     or {@code ROLLED_BACK} when another version has taken its place
 */
public record PredictionExplanation(
        String predictionId,
        ModelName model,
        int version,
        Slot slot,
        Instant time,
        double risk,
        double baseline,
        double threshold,
        String positiveLabel,
        boolean decision,
        List<ClinicalFactor> factors,
        double otherFactors,
        double explainedRisk,
        String summary,
        String intendedUse,
        List<String> limitations,
        String modelCard,
        Stage versionStage) {

    public PredictionExplanation {
        Objects.requireNonNull(predictionId, "predictionId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(versionStage, "versionStage");
        factors = List.copyOf(factors);
        limitations = limitations == null ? List.of() : List.copyOf(limitations);
    }

    /**
     * One factor: the feature's name, its clinical label (the manifest's description, else the name in words),
     * its unit, its signed contribution in probability and in log-odds, and, when the patient's value was missing,
     * {@code missingValue}: that it was not recorded and what the model was given in its place (null when the value
     * was recorded, and in explanations logged before missing values were marked).
     */
    public record ClinicalFactor(String feature, String label, String unit, double probabilityContribution,
            double marginContribution, Direction direction, String missingValue) {

        public ClinicalFactor(String feature, String label, String unit, double probabilityContribution,
                double marginContribution, Direction direction) {
            this(feature, label, unit, probabilityContribution, marginContribution, direction, null);
        }
    }
}

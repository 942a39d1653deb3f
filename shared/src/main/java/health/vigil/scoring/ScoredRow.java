package health.vigil.scoring;

import health.vigil.model.Explanation;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import java.util.Objects;

/**
 * The answer for one patient: the prediction's id (to attach labels or explanations later), which model
 * version in which slot scored it, the probability of the positive class, and the decision at the
 * version's threshold; and, when asked for and the model can be explained, the explanation (null otherwise).
 */
public record ScoredRow(
        String predictionId,
        ModelName model,
        int version,
        Slot slot,
        double score,
        boolean decision,
        String positiveLabel,
        double threshold,
        Explanation explanation) {

    /** A row without an explanation. */
    public ScoredRow(String predictionId, ModelName model, int version, Slot slot, double score, boolean decision,
            String positiveLabel, double threshold) {
        this(predictionId, model, version, slot, score, decision, positiveLabel, threshold, null);
    }

    public ScoredRow {
        Objects.requireNonNull(predictionId, "predictionId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(slot, "slot");
    }
}

package health.vigil.model;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One scoring decision as the prediction log keeps it: the patient only as a pseudonym, the model inputs
 * (for drift checks; the log is a governed store with a retention period, never a log file), the output
 * and the decision. {@code explanation} is optional compact JSON of the top factors. {@code batchId} names the
 * batch job that scored the row (null for a prediction answered over HTTP).
 */
public record PredictionRecord(
        String predictionId,
        ModelName modelName,
        int version,
        Slot slot,
        String patientPseudonym,
        Instant time,
        float[] features,
        double score,
        boolean decision,
        String explanation,
        String batchId) {

    /** A prediction answered over HTTP, not part of a batch job. */
    public PredictionRecord(String predictionId, ModelName modelName, int version, Slot slot, String patientPseudonym,
            Instant time, float[] features, double score, boolean decision, String explanation) {
        this(predictionId, modelName, version, slot, patientPseudonym, time, features, score, decision, explanation,
                null);
    }

    public PredictionRecord {
        Objects.requireNonNull(predictionId, "predictionId");
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(time, "time");
        features = features == null ? new float[0] : features.clone();
    }

    @Override
    public float[] features() {
        return features.clone();
    }

    /** Copies the model inputs into {@code out} at its position (the log's encoders: no array per record). */
    public void copyFeaturesTo(java.nio.FloatBuffer out) {
        out.put(features);
    }

    /** How many model inputs the record holds. */
    public int featureCount() {
        return features.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PredictionRecord p && predictionId.equals(p.predictionId) && modelName.equals(p.modelName)
                && version == p.version && slot == p.slot && Objects.equals(patientPseudonym, p.patientPseudonym)
                && time.equals(p.time) && Arrays.equals(features, p.features)
                && Double.compare(score, p.score) == 0 && decision == p.decision
                && Objects.equals(explanation, p.explanation) && Objects.equals(batchId, p.batchId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(predictionId, modelName, version, slot, time);
    }

    @Override
    public String toString() {
        // Never print features or the pseudonym.
        return "PredictionRecord[" + predictionId + " " + modelName + ":" + version + " " + slot.wireName() + "]";
    }
}

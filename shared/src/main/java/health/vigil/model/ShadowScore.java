package health.vigil.model;

/**
 * A shadow version's score of one mirrored row ({@code row} indexes {@link MirroredRows#rows()}), its decision at
 * the version's threshold, and the model inputs it was computed from (kept in the prediction log like a live one's).
 */
public record ShadowScore(int row, double score, boolean decision, float[] inputs) {
    public ShadowScore {
        inputs = inputs == null ? new float[0] : inputs.clone();
    }

    @Override
    public float[] inputs() {
        return inputs.clone();
    }
}

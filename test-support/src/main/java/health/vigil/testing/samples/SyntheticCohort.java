package health.vigil.testing.samples;

import health.vigil.model.FeatureSchema;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Synthetic patients (no real person behind any row): each raw record as a client would send it, the same
 * rows as model inputs, and the outcome drawn from the simulation's true risk.
 *
 * @param schema the features, in model-input order
 * @param records one raw record per patient: {@link Double} for numeric, {@link Long} for integer,
 *     {@link Boolean}, {@link String} for categorical; a missing optional feature is absent from the map
 * @param inputs the records encoded by the identity pipeline, row-major {@code rows x schema.size()}, NaN
 *     where a value is missing
 * @param outcomes whether each patient had the outcome (for the readmission demo: readmitted within 30 days)
 * @param trueRisk the probability of the outcome the simulation drew each outcome from
 */
public record SyntheticCohort(
        FeatureSchema schema,
        List<Map<String, Object>> records,
        float[] inputs,
        boolean[] outcomes,
        double[] trueRisk) {

    public SyntheticCohort {
        Objects.requireNonNull(schema, "schema");
        records = List.copyOf(records);
        inputs = inputs.clone();
        outcomes = outcomes.clone();
        trueRisk = trueRisk.clone();
        if (inputs.length != records.size() * schema.size() || outcomes.length != records.size()
                || trueRisk.length != records.size()) {
            throw new health.vigil.error.ValidationException("a cohort's records, inputs, outcomes and risks must describe the same rows");
        }
    }

    public int rows() {
        return records.size();
    }

    public int width() {
        return schema.size();
    }

    /** One row of model inputs. */
    public float[] row(int index) {
        float[] row = new float[width()];
        System.arraycopy(inputs, index * width(), row, 0, width());
        return row;
    }

    @Override
    public float[] inputs() {
        return inputs.clone();
    }

    @Override
    public boolean[] outcomes() {
        return outcomes.clone();
    }

    @Override
    public double[] trueRisk() {
        return trueRisk.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SyntheticCohort c && schema.equals(c.schema) && records.equals(c.records)
                && java.util.Arrays.equals(inputs, c.inputs) && java.util.Arrays.equals(outcomes, c.outcomes)
                && java.util.Arrays.equals(trueRisk, c.trueRisk);
    }

    @Override
    public int hashCode() {
        return Objects.hash(schema, records, java.util.Arrays.hashCode(inputs));
    }

    @Override
    public String toString() {
        return "SyntheticCohort[" + rows() + " rows x " + width() + " features]";
    }
}

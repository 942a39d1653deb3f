package health.vigil.features;

import health.vigil.model.FeatureSchema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns one validated raw clinical record into a model's input vector. The same object runs in training
 * and in scoring, so the two cannot disagree. {@link #id()} is {@code name@version} where the version is a
 * hash of the definition, and is what a manifest's {@code featurePipeline} names.
 */
public interface FeaturePipeline {

    /** {@code name@version}, for example {@code readmission@3f2a9c1b}. */
    String id();

    /** The raw fields a request carries, validated before {@link #transform} sees them. */
    FeatureSchema rawSchema();

    /** The names of the model's input columns, in order (derived and indicator columns included). */
    List<String> columns();

    default int width() {
        return columns().size();
    }

    /**
     * Writes the record's model inputs into {@code out[offset .. offset + width())}. Values in
     * {@code record} are already validated: {@link Double} for numeric, {@link Long} for integer,
     * {@link Boolean}, {@link String} for categorical, and {@code null} for a missing optional value.
     * A missing value becomes NaN, or whatever the definition says for it.
     */
    void transform(Map<String, Object> record, float[] out, int offset);

    /**
     * How to read the request field {@code field} back from the model inputs this pipeline wrote, for what keeps
     * the raw values only as model inputs (the prediction log): the value as {@link #transform} received it, null
     * when it was missing. Empty when the inputs do not give the value exactly (a code grouped into indicators, a
     * missing value filled without an indicator saying so).
     */
    default Optional<Function<float[], Object>> readBack(String field) {
        return Optional.empty();
    }

    /**
     * What the model was given in place of a missing value of {@code field}, in words for the clinician reading an
     * explanation: by default nothing (NaN), which the model treats as missing by its own rule.
     */
    default String missingInWords(String field) {
        return "the model was given no value and treated it as missing";
    }

    /** The clinician's words for the columns that are features of their own ({@link Column#wording()}), by column. */
    default Map<String, Column.Wording> wordings() {
        return Map.of();
    }

    /**
     * How an explanation names a raw feature or a column that is a feature of its own, in the scoring answer's
     * summary and on the explanation page alike: the raw schema's description of it, a computed column's label
     * ({@link #wordings()}), else its name in words ("number inpatient" of number_inpatient), left in the case it was
     * written in, since it is read inside a sentence.
     */
    default String label(String name) {
        Optional<Integer> index = rawSchema().indexOf(name);
        if (index.isPresent()) {
            String description = rawSchema().get(index.get()).description();
            if (description != null && !description.isBlank()) {
                return description;
            }
        }
        Column.Wording wording = wordings().get(name);
        return wording != null ? wording.label() : name.replace('_', ' ');
    }
}

package health.vigil.modelpackage;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of made-up, valid feature values built from a manifest's schema, which prove what a model answers before any
 * patient reaches it: registration scores {@link #everyFeatureGiven}, the gates {@link #optionalFeaturesMissing}.
 * Values only the schema gives, never a patient's.
 */
public final class ProbeRows {
    private ProbeRows() {}

    /** One valid value per feature (its minimum, first category, false; a code, which has none to make up, missing). */
    public static Map<String, Object> everyFeatureGiven(FeatureSchema schema) {
        return row(schema, false);
    }

    /**
     * Every optional feature missing, as a patient without those values is sent, and each required one given the
     * value {@link #everyFeatureGiven} gives it: a model exported without its imputer answers this row NaN.
     */
    public static Map<String, Object> optionalFeaturesMissing(FeatureSchema schema) {
        return row(schema, true);
    }

    /** The names of the schema's optional features, in its order. */
    public static List<String> optionalFeatures(FeatureSchema schema) {
        return schema.features().stream().filter(f -> !f.required()).map(Feature::name).toList();
    }

    private static Map<String, Object> row(FeatureSchema schema, boolean optionalMissing) {
        Map<String, Object> row = new HashMap<>();
        for (Feature feature : schema.features()) {
            Object value = optionalMissing && !feature.required() ? null : switch (feature.type()) {
                case NUMERIC -> lowest(feature);
                case INTEGER -> (long) Math.ceil(lowest(feature));
                case BOOLEAN -> Boolean.FALSE;
                case CATEGORICAL -> feature.categories().get(0);
                case CODE -> null;
            };
            row.put(feature.name(), value);
        }
        return row;
    }

    /** The feature's minimum; without one, 0 or its maximum when that is below 0. */
    private static double lowest(Feature feature) {
        return feature.min() != null ? feature.min() : feature.max() != null ? Math.min(0.0, feature.max()) : 0.0;
    }
}

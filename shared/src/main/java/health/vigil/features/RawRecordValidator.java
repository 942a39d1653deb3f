package health.vigil.features;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks that a raw record holds what a {@link FeatureSchema} allows (the Java types {@link FeaturePipeline}
 * expects, ranges, numbers a 32-bit float holds, categories, code patterns, required fields), so that a pipeline never
 * sees a value it was not defined for. Messages name the feature and the rule, never the value.
 */
public final class RawRecordValidator {
    private final FeatureSchema schema;
    private final Pattern[] patterns;

    public RawRecordValidator(FeatureSchema schema) {
        this.schema = schema;
        this.patterns = new Pattern[schema.size()];
        for (int i = 0; i < schema.size(); i++) {
            String pattern = schema.get(i).pattern();
            patterns[i] = pattern == null ? null : Pattern.compile(pattern);
        }
    }

    /** Throws INVALID_FEATURE for the first problem found; {@code where} says which record (e.g. "row 12"). */
    public void validate(Map<String, Object> record, String where) {
        for (String key : record.keySet()) {
            if (schema.indexOf(key).isEmpty()) {
                throw invalid(where, "has an unknown feature " + Json.quotedName(key) + "; the schema lists " + schema.names());
            }
        }
        for (int i = 0; i < schema.size(); i++) {
            Feature feature = schema.get(i);
            Object value = record.get(feature.name());
            if (value == null) {
                if (feature.required()) {
                    throw invalid(where, "has no value for required feature '" + feature.name() + "'");
                }
                continue;
            }
            switch (feature.type()) {
                case NUMERIC -> {
                    if (!(value instanceof Double d) || !Double.isFinite(d)) {
                        throw invalid(where, feature, "must be a finite number");
                    }
                    checkRange(feature, d, where);
                    // The model takes 32-bit floats: a double beyond their range would reach it as Infinity, so a row
                    // is refused here as scoring refuses it. (An integer is a long, well inside the range.)
                    if (!Float.isFinite(d.floatValue())) {
                        throw invalid(where, feature, "must be a finite number; it is too large for the model's input,"
                                + " a 32-bit float (beyond ±3.4e38)");
                    }
                }
                case INTEGER -> {
                    if (!(value instanceof Long l)) {
                        throw invalid(where, feature, "must be a whole number");
                    }
                    checkRange(feature, l.doubleValue(), where);
                }
                case BOOLEAN -> {
                    if (!(value instanceof Boolean)) {
                        throw invalid(where, feature, "must be true or false");
                    }
                }
                case CATEGORICAL -> {
                    if (!(value instanceof String s) || !feature.categories().contains(s)) {
                        throw invalid(where, feature, "is not one of the allowed categories "
                                + feature.categories());
                    }
                }
                case CODE -> {
                    if (!(value instanceof String s) || !patterns[i].matcher(s).matches()) {
                        throw invalid(where, feature, "is not " + feature.patternInWords());
                    }
                }
            }
        }
    }

    private static void checkRange(Feature feature, double value, String where) {
        if ((feature.min() != null && value < feature.min()) || (feature.max() != null && value > feature.max())) {
            throw invalid(where, feature, "is out of range; allowed range is "
                    + bound(feature.min()) + "-" + bound(feature.max()));
        }
    }

    private static String bound(Double b) {
        if (b == null) {
            return "any";
        }
        return b == Math.rint(b) ? String.valueOf(b.longValue()) : String.valueOf(b);
    }

    /** A refused value of {@code feature}; for an optional feature, also how to send it when it is not known. */
    private static ValidationException invalid(String where, Feature feature, String problem) {
        return invalid(where, "feature '" + feature.name() + "' " + problem + feature.missingValueHint());
    }

    private static ValidationException invalid(String where, String problem) {
        return new ValidationException(ErrorCode.INVALID_FEATURE, where + " " + problem);
    }
}

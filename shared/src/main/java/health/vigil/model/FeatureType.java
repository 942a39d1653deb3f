package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a feature's value is written in a request and turned into a model input. */
public enum FeatureType {
    /** A real number, optionally bounded by a range. */
    NUMERIC,
    /** A whole number, optionally bounded by a range. */
    INTEGER,
    /** true or false, fed to the model as 1 or 0. */
    BOOLEAN,
    /** One of a fixed list of strings, fed to the model as its index in that list. */
    CATEGORICAL,
    /**
     * A code from an open coding system (an ICD-9-CM diagnosis, for example) written as a string that must
     * match the feature's {@code pattern}. Too many values to list, so only a feature pipeline that knows
     * the coding system (grouping codes into categories) can turn it into model inputs.
     */
    CODE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static FeatureType fromWire(String value) {
        return FeatureType.valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}

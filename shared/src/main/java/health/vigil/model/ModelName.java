package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import health.vigil.error.ValidationException;
import java.util.regex.Pattern;

/** A model's name: lower-case letters, digits and hyphens, 3-63 characters, as blob and URL paths allow. */
public record ModelName(String value) implements Comparable<ModelName> {
    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{1,61}[a-z0-9]");

    public ModelName {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new ValidationException("model name '" + printable(value) + "' is not valid: use 3-63 lower-case"
                    + " letters, digits and hyphens, starting with a letter and not ending with a hyphen");
        }
    }

    @JsonCreator
    public static ModelName of(String value) {
        return new ModelName(value);
    }

    @JsonValue
    @Override
    public String value() {
        return value;
    }

    @Override
    public int compareTo(ModelName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }

    private static String printable(String value) {
        if (value == null) {
            return "null";
        }
        return value.length() > 80 ? value.substring(0, 80) + "..." : value;
    }
}

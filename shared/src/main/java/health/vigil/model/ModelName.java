package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import health.vigil.error.ValidationException;

/** A model's name: lower-case letters, digits and hyphens, 3-63 characters, as blob and URL paths allow. */
public record ModelName(String value) implements Comparable<ModelName> {
    /** The rule, as a pattern: {@link #isValid} checks it character by character (names are made per request). */
    static final String PATTERN = "[a-z][a-z0-9-]{1,61}[a-z0-9]";

    public ModelName {
        if (!isValid(value)) {
            throw new ValidationException("model name " + quoted(value) + " is not valid: use 3-63 lower-case"
                    + " letters, digits and hyphens, starting with a letter and not ending with a hyphen");
        }
    }

    /** Whether {@code value} matches {@link #PATTERN}, without a regular-expression matcher for each name. */
    public static boolean isValid(String value) {
        if (value == null || value.length() < 3 || value.length() > 63) {
            return false;
        }
        int last = value.length() - 1;
        for (int i = 0; i <= last; i++) {
            char c = value.charAt(i);
            boolean letter = c >= 'a' && c <= 'z';
            boolean allowed = letter || (i > 0 && (c >= '0' && c <= '9' || (c == '-' && i < last)));
            if (!allowed) {
                return false;
            }
        }
        return true;
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

    /**
     * The refused name, quoted when it looks like a name (letters, digits, '.', '_' and '-', at most 80): anything
     * else, spaces included, may be a patient's details typed where the name goes, and is described, not repeated.
     */
    private static String quoted(String value) {
        if (value == null) {
            return "null";
        }
        // Repeated only when it is a plain name, as every message repeats what a caller typed: MRN-0012345 or
        // 123-45-6789 in a model's place may be an identifier.
        return health.vigil.json.Json.isPlainName(value) ? "'" + value + "'"
                : "(not repeated here: it has characters or a length no model name has)";
    }
}

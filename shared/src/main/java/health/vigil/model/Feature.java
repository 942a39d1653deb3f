package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One input of a model as a clinician or a client application knows it: its name, type, unit, the range
 * or categories it may take, and whether it may be missing (missing values reach the model as NaN).
 * A {@link FeatureType#CODE} feature carries the regular expression ({@code pattern}) its values match and,
 * optionally, what that pattern admits in words ({@code patternDescription}: "an ICD-9 code such as 250.01, V57 or
 * E880"), which a refused value's message says in place of the regular expression.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Feature(
        String name,
        FeatureType type,
        String unit,
        Double min,
        Double max,
        List<String> categories,
        boolean required,
        String description,
        String pattern,
        String patternDescription) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");


    public Feature {
        if (!isValidName(name)) {
            throw new ValidationException((name == null ? "a feature has no name" : "feature name "
                    + Json.quotedName(name) + " is not valid")
                    + ": use letters, digits and underscores (at most 64), starting with a letter or underscore");
        }
        Objects.requireNonNull(type, () -> "feature '" + name + "' has no type");
        if (min != null && max != null && min > max) {
            throw new ValidationException("feature '" + name + "' has min " + min + " greater than max " + max);
        }
        if ((min != null && !Double.isFinite(min)) || (max != null && !Double.isFinite(max))) {
            throw new ValidationException("feature '" + name + "' has a range bound that is not a finite number");
        }
        if (type == FeatureType.CATEGORICAL) {
            if (categories == null || categories.isEmpty()) {
                throw new ValidationException("categorical feature '" + name + "' lists no categories");
            }
            // How many categories, how long and in which characters are upload's rules (ManifestLimits), newer than
            // some stored versions, which keep loading.
            for (String category : categories) {
                if (category == null) {
                    throw new ValidationException("categorical feature '" + name + "' lists a category that is null;"
                            + " categories are short printable words such as 'emergency'");
                }
            }
            if (categories.stream().distinct().count() != categories.size()) {
                throw new ValidationException("categorical feature '" + name + "' lists a category twice");
            }
            categories = List.copyOf(categories);
        } else if (categories != null && !categories.isEmpty()) {
            throw new ValidationException("feature '" + name + "' is " + type.wireName()
                    + " but lists categories; only categorical features have categories");
        } else {
            categories = null;
        }
        if (type == FeatureType.CODE) {
            if (pattern == null || pattern.isBlank()) {
                throw new ValidationException("code feature '" + name + "' has no pattern: give the regular"
                        + " expression its codes match, for example '\\d{3}(\\.\\d{1,2})?'");
            }
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new ValidationException("code feature '" + name + "' has a pattern that is not a valid"
                        + " regular expression: " + e.getDescription());
            }
        } else if (pattern != null) {
            throw new ValidationException("feature '" + name + "' is " + type.wireName()
                    + " but has a pattern; only code features have a pattern");
        }
        if (patternDescription != null && (pattern == null || patternDescription.isBlank())) {
            throw new ValidationException("feature '" + name + "' has a patternDescription " + (pattern == null
                    ? "but no pattern; only code features describe their pattern"
                    : "that is blank; say what the pattern admits, for example 'an ICD-9 code such as 250.01'"));
        }
    }

    /** A feature without words for its pattern. */
    public Feature(String name, FeatureType type, String unit, Double min, Double max, List<String> categories,
            boolean required, String description, String pattern) {
        this(name, type, unit, min, max, categories, required, description, pattern, null);
    }

    /** A feature without a pattern: every type but {@link FeatureType#CODE}. */
    public Feature(String name, FeatureType type, String unit, Double min, Double max, List<String> categories,
            boolean required, String description) {
        this(name, type, unit, min, max, categories, required, description, null, null);
    }

    public static Feature numeric(String name, String unit, double min, double max) {
        return new Feature(name, FeatureType.NUMERIC, unit, min, max, null, true, null);
    }

    public static Feature integer(String name, String unit, double min, double max) {
        return new Feature(name, FeatureType.INTEGER, unit, min, max, null, true, null);
    }

    public static Feature bool(String name) {
        return new Feature(name, FeatureType.BOOLEAN, null, null, null, null, true, null);
    }

    public static Feature categorical(String name, List<String> categories) {
        return new Feature(name, FeatureType.CATEGORICAL, null, null, null, categories, true, null);
    }

    /** A code from an open coding system; values must match {@code pattern} as a whole. */
    public static Feature code(String name, String pattern) {
        return new Feature(name, FeatureType.CODE, null, null, null, null, true, null, pattern);
    }

    public Feature optional() {
        return new Feature(name, type, unit, min, max, categories, false, description, pattern, patternDescription);
    }

    public Feature withUnit(String newUnit) {
        return new Feature(name, type, newUnit, min, max, categories, required, description, pattern, patternDescription);
    }

    public Feature withDescription(String newDescription) {
        return new Feature(name, type, unit, min, max, categories, required, newDescription, pattern, patternDescription);
    }

    /** This code feature with {@code words} for its pattern (null for none: a refusal then quotes the pattern). */
    public Feature withPatternDescription(String words) {
        return new Feature(name, type, unit, min, max, categories, required, description, pattern, words);
    }

    /**
     * What a code feature's values must be, as a refusal says it: its {@code patternDescription}, else "a code matching"
     * its regular expression. Neither ever holds the refused value.
     */
    public String patternInWords() {
        return patternDescription != null ? patternDescription : "a code matching " + pattern;
    }

    /**
     * What a refusal of this feature's value adds, in every validator of records: for an optional feature, how to send
     * a value that is not known (a source's own mark for a missing value, such as "?" or 9999, is a value and is
     * refused as one); nothing for a required feature.
     */
    public String missingValueHint() {
        return required ? "" : "; it is optional: when it is not known, leave it out or send null";
    }

    /** Whether {@code value} is a valid code of this {@link FeatureType#CODE} feature. */
    public boolean matchesPattern(String value) {
        if (pattern == null || value == null) {
            return false;
        }
        // Scoring checks codes on every request: each thread keeps a matcher per pattern instead of allocating one
        // per value (about a fortieth of what a scoring request allocated on the readmission model).
        Map<String, Matcher> matchers = MATCHERS.get();
        Matcher matcher = matchers.get(pattern);
        if (matcher == null) {
            matcher = compiled(pattern).matcher("");
            if (matchers.size() < MAX_COMPILED) {
                matchers.put(pattern, matcher);
            }
        }
        boolean matches = matcher.reset(value).matches();
        matcher.reset(""); // holds no code a patient had once it has answered
        return matches;
    }

    private static Pattern compiled(String pattern) {
        Pattern compiled = COMPILED.get(pattern);
        if (compiled == null) {
            compiled = Pattern.compile(pattern);
            if (COMPILED.size() < MAX_COMPILED) { // compile each pattern once
                COMPILED.putIfAbsent(pattern, compiled);
            }
        }
        return compiled;
    }

    private static final int MAX_COMPILED = 256;
    private static final Map<String, Pattern> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final ThreadLocal<Map<String, Matcher>> MATCHERS = ThreadLocal.withInitial(HashMap::new);

    /** Whether {@code name} can name a feature: letters, digits and underscores (at most 64), not starting with a digit. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }
}

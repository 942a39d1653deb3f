package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.util.List;
import java.util.Objects;

/**
 * One input of a model as a clinician or a client application knows it: its name, type, unit, the range
 * or categories it may take, and whether it may be missing (missing values reach the model as NaN).
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
        String description) {

    public Feature {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
            throw new ValidationException("feature name '" + name + "' is not valid: use letters, digits and"
                    + " underscores (at most 64), starting with a letter or underscore");
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

    public Feature optional() {
        return new Feature(name, type, unit, min, max, categories, false, description);
    }
}

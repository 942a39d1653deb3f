package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import health.vigil.error.ValidationException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The ordered inputs of a model: feature i is column i of the model's input tensor. */
public record FeatureSchema(List<Feature> features) {
    public FeatureSchema {
        if (features == null || features.isEmpty()) {
            throw new ValidationException("the feature schema lists no features");
        }
        features = List.copyOf(features);
        // Names are compared without case: `age` and `Age` side by side read as one feature to a reviewer and a
        // spreadsheet, and a CSV header or a client would fill the one it did not mean.
        Map<String, String> seen = new HashMap<>();
        for (Feature f : features) {
            String earlier = seen.put(f.name().toLowerCase(java.util.Locale.ROOT), f.name());
            if (earlier != null) {
                throw new ValidationException(earlier.equals(f.name())
                        ? "feature '" + f.name() + "' appears twice in the schema"
                        : "features '" + earlier + "' and '" + f.name() + "' differ only in case; give them names"
                                + " that differ in letters");
            }
        }
    }

    @JsonCreator
    public static FeatureSchema of(List<Feature> features) {
        return new FeatureSchema(features);
    }

    @JsonValue
    @Override
    public List<Feature> features() {
        return features;
    }

    public int size() {
        return features.size();
    }

    public Feature get(int index) {
        return features.get(index);
    }

    public Optional<Integer> indexOf(String name) {
        for (int i = 0; i < features.size(); i++) {
            if (features.get(i).name().equals(name)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /**
     * The schema without its code features' patternDescriptions: what a model is given and which values it takes do
     * not depend on them, so a feature pipeline's version and its match with a manifest are judged without them.
     */
    public FeatureSchema withoutPatternDescriptions() {
        return features.stream().noneMatch(f -> f.patternDescription() != null) ? this
                : new FeatureSchema(features.stream().map(f -> f.withPatternDescription(null)).toList());
    }

    public List<String> names() {
        return features.stream().map(Feature::name).toList();
    }
}

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
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < features.size(); i++) {
            if (seen.put(features.get(i).name(), i) != null) {
                throw new ValidationException("feature '" + features.get(i).name() + "' appears twice in the schema");
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

    public List<String> names() {
        return features.stream().map(Feature::name).toList();
    }
}

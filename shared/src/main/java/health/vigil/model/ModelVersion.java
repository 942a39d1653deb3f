package health.vigil.model;

import health.vigil.error.ValidationException;
import java.util.Objects;

/** Identifies one registered version of a model. Version numbers are assigned by the registry, from 1. */
public record ModelVersion(ModelName name, int number) {
    public ModelVersion {
        Objects.requireNonNull(name, "name");
        if (number < 1) {
            throw new ValidationException("version " + number + " is not valid: versions are whole numbers from 1");
        }
    }

    public static ModelVersion of(String name, int number) {
        return new ModelVersion(new ModelName(name), number);
    }

    /** The Event Grid subject for this version: {@code /models/{name}/versions/{version}}. */
    public String subject() {
        return "/models/" + name.value() + "/versions/" + number;
    }

    @Override
    public String toString() {
        return name.value() + ":" + number;
    }
}

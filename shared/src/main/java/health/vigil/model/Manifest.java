package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.List;
import java.util.Objects;

/**
 * {@code manifest.json} of a model package: what the model is, what it takes and returns, what it is for
 * and not for, who owns it and where it came from.
 *
 * <p>{@code featurePipeline} names the versioned definition that turns a raw clinical record into the
 * model's input vector ({@code "identity"}: the request already holds the model's inputs, one per feature).
 * {@code card} (optional) holds what the model card reports as the developer's word ({@link CardFacts});
 * packages written before it existed stay valid.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
        int formatVersion,
        ModelName name,
        String task,
        String description,
        FeatureSchema features,
        String featurePipeline,
        OutputSpec output,
        String intendedUse,
        List<String> limitations,
        String owner,
        Provenance provenance,
        CardFacts card) {

    public static final int FORMAT_VERSION = 1;
    public static final String BINARY_CLASSIFICATION = "binary-classification";
    public static final String IDENTITY_PIPELINE = "identity";

    @JsonCreator
    public Manifest {
        if (formatVersion != FORMAT_VERSION) {
            throw new ValidationException("formatVersion is " + formatVersion + "; this Vigil reads format "
                    + FORMAT_VERSION);
        }
        Objects.requireNonNull(name, "name is missing");
        if (!BINARY_CLASSIFICATION.equals(task)) {
            throw new ValidationException("task is " + (task == null ? "missing" : task.length() > 64 ? "not supported"
                    : Json.quotedName(task)) + "; supported: '" + BINARY_CLASSIFICATION + "'");
        }
        Objects.requireNonNull(features, "features is missing");
        if (featurePipeline == null || featurePipeline.isBlank()) {
            featurePipeline = IDENTITY_PIPELINE;
        }
        Objects.requireNonNull(output, "output is missing");
        if (intendedUse == null || intendedUse.isBlank()) {
            throw new ValidationException("intendedUse is missing: say who the model is for and what decision it supports");
        }
        limitations = limitations == null ? List.of() : List.copyOf(limitations);
        if (owner == null || owner.isBlank()) {
            throw new ValidationException("owner is missing: name the team accountable for the model");
        }
        Objects.requireNonNull(provenance, "provenance is missing");
    }

    /** A manifest without a {@code card} section. */
    public Manifest(int formatVersion, ModelName name, String task, String description, FeatureSchema features,
            String featurePipeline, OutputSpec output, String intendedUse, List<String> limitations, String owner,
            Provenance provenance) {
        this(formatVersion, name, task, description, features, featurePipeline, output, intendedUse, limitations, owner,
                provenance, null);
    }

    /** The card section, or one that says nothing when the manifest has none. */
    public CardFacts cardFacts() {
        return card == null ? CardFacts.none() : card;
    }
}

package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.Objects;

/**
 * The registry's document for one version: the manifest, the sha256 of the package and of
 * {@code model.onnx}, where the package blob lives, its stage and who registered it.
 * {@code etag} is the store's concurrency token (null before the first write).
 */
public record VersionRecord(
        ModelName modelName,
        int version,
        Manifest manifest,
        String packageSha256,
        String modelSha256,
        String packageBlob,
        long packageSize,
        Stage stage,
        String registeredBy,
        Instant registeredAt,
        String sourceEventId,
        Instant updatedAt,
        String etag) {

    public VersionRecord {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(stage, "stage");
    }

    @JsonIgnore
    public ModelVersion id() {
        return new ModelVersion(modelName, version);
    }

    public VersionRecord withStage(Stage newStage, Instant at) {
        return new VersionRecord(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize,
                newStage, registeredBy, registeredAt, sourceEventId, at, etag);
    }

    public VersionRecord withEtag(String newEtag) {
        return new VersionRecord(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize,
                stage, registeredBy, registeredAt, sourceEventId, updatedAt, newEtag);
    }
}

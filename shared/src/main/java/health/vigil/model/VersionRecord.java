package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The registry's document for one version: the manifest, the sha256 of the package and of
 * {@code model.onnx}, where the package blob lives, its stage and who registered it.
 * {@code history} lists every stage the version went through ({@link StageChange}, oldest first) and
 * {@code signatures} the approvers' electronic signatures; both only grow. {@code etag} is the store's
 * concurrency token (null before the first write).
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
        List<StageChange> history,
        List<ElectronicSignature> signatures,
        String etag) {

    @JsonCreator
    public VersionRecord {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(stage, "stage");
        // Documents written before versions kept a history read as having none.
        history = history == null ? List.of() : List.copyOf(history);
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** A version with no history or signatures yet. */
    public VersionRecord(ModelName modelName, int version, Manifest manifest, String packageSha256, String modelSha256,
            String packageBlob, long packageSize, Stage stage, String registeredBy, Instant registeredAt,
            String sourceEventId, Instant updatedAt, String etag) {
        this(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize, stage, registeredBy,
                registeredAt, sourceEventId, updatedAt, List.of(), List.of(), etag);
    }

    @JsonIgnore
    public ModelVersion id() {
        return new ModelVersion(modelName, version);
    }

    /** This version moved to {@code change.to()}, with the change appended to its history. */
    public VersionRecord withStage(StageChange change) {
        List<StageChange> longer = new ArrayList<>(history);
        longer.add(change);
        return new VersionRecord(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize,
                change.to(), registeredBy, registeredAt, sourceEventId, change.at(), longer, signatures, etag);
    }

    /**
     * The number of the version's current gate run: one for each time it entered gates running, at least one. Run
     * {@code n}'s report is stored under that number, and an approval signed on it is audited under it.
     */
    @JsonIgnore
    public int gateRun() {
        return (int) Math.max(1, history.stream().filter(c -> c.to() == Stage.GATES_RUNNING).count());
    }

    /**
     * Whether {@code cause} has moved this version to {@code stage} before. A cause's move, once made, is never made
     * again: a pass that read its deployment before a newer one replaced it would otherwise move the version back.
     */
    public boolean movedBy(String cause, Stage stage) {
        return cause != null && history.stream().anyMatch(c -> cause.equals(c.cause()) && c.to() == stage);
    }

    /** Whether this version was ever the model's stable version, as its stage history says. */
    @JsonIgnore
    public boolean wasStable() {
        return stage == Stage.PRODUCTION || history.stream().anyMatch(change -> change.to() == Stage.PRODUCTION);
    }

    /** This version with one more signature. */
    public VersionRecord withSignature(ElectronicSignature signature, Instant at) {
        List<ElectronicSignature> more = new ArrayList<>(signatures);
        more.add(Objects.requireNonNull(signature, "signature"));
        return new VersionRecord(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize,
                stage, registeredBy, registeredAt, sourceEventId, at, history, more, etag);
    }

    public VersionRecord withEtag(String newEtag) {
        return new VersionRecord(modelName, version, manifest, packageSha256, modelSha256, packageBlob, packageSize,
                stage, registeredBy, registeredAt, sourceEventId, updatedAt, history, signatures, newEtag);
    }
}

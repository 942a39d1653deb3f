package health.vigil.scoring.batch;

import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A batch job as it was planned when it was submitted: the file (where it is, its size, sha256 and rows), the one
 * version that scores every row of it (the deployed stable version at submission, or the approved version the
 * submitter pinned), whether rows are explained, and the ranges the file was split into. Written once, never
 * changed; progress lives in the partitions' checkpoints. {@code inputEtag} is the store's ETag of the file that was
 * read (null for a job planned by a build before it was recorded), so that a partition never reads a file written
 * since under the same name. {@code predictionIds} is how its rows' prediction ids are made (ADR 0038); null for a
 * job planned before that was recorded, whose ids are digested per row. {@code origin} is how the job was started
 * ({@link BatchOrigin}), which decides who may read it; null for a job planned before it was recorded, whose id then
 * tells (a dropped file's job is named after the file and {@code inputEtag}), or, without {@code inputEtag} too, which
 * only a holder of {@code Batches.ReadAll} may read.
 */
public record BatchJob(
        String id,
        ModelName model,
        int version,
        boolean explain,
        BatchFormat format,
        String inputContainer,
        String inputName,
        long inputBytes,
        String inputSha256,
        String inputEtag,
        long rows,
        List<String> header,
        List<BatchPartition> partitions,
        String submittedBy,
        Instant submittedAt,
        PredictionIdForm predictionIds,
        BatchOrigin origin) {

    public BatchJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(submittedAt, "submittedAt");
        header = header == null ? List.of() : List.copyOf(header);
        partitions = List.copyOf(partitions);
    }

    /** How this job's rows get their prediction ids: as it was planned, or digested for a job planned before. */
    public PredictionIdForm predictionIdForm() {
        return predictionIds == null ? PredictionIdForm.DIGESTED : predictionIds;
    }

    public ModelVersion versionId() {
        return new ModelVersion(model, version);
    }

    /** The subject of the job's audit records and events: the version that scores it. */
    public String subject() {
        return versionId().subject();
    }
}

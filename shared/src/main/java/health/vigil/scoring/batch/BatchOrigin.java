package health.vigil.scoring.batch;

/**
 * How a batch job was started, which decides who may read it: the caller who submitted it, or only a holder of
 * {@code Batches.ReadAll}.
 */
public enum BatchOrigin {
    /** {@code POST /batches}: the job's {@code submittedBy} is the authenticated caller who sent it. */
    REQUEST,
    /**
     * A file that landed in {@code batch-input}: its {@code submittedBy} is what the store recorded of the file's
     * writer (blob metadata, {@code os-user:NAME}, or {@code storage-upload}), not an authenticated caller.
     */
    UPLOAD
}

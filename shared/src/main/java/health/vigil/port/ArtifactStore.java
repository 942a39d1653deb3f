package health.vigil.port;

import health.vigil.error.ValidationException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Blob storage for model packages, datasets, outcome files, monitoring reports, audit exports and batch files.
 * Containers are {@code models} (uploads), {@code packages} (the registered packages by sha256), {@code datasets},
 * {@code outcomes}, {@code audit-exports}, {@code monitoring} (reports of monitoring checks), {@code batch-input},
 * {@code batch-output} and {@code event-deadletter}.
 * Implementations stream and compute the sha256 while they do.
 */
public interface ArtifactStore {
    String MODELS = "models";
    /**
     * The bytes every registered version was registered with, named by their sha256 ({@link #registeredPackage})
     * and never overwritten (immutable storage in Azure): an upload replaced in {@code models} cannot take a
     * registered version's package away.
     */
    String PACKAGES = "packages";
    String DATASETS = "datasets";
    String OUTCOMES = "outcomes";
    String AUDIT_EXPORTS = "audit-exports";
    String MONITORING = "monitoring";
    /** Files of patients to score in bulk (CSV or JSON Lines), uploaded by the hospital's population jobs. */
    String BATCH_INPUT = "batch-input";
    /** What batch jobs write: per job its plan, checkpoints, per-row results and summary. */
    String BATCH_OUTPUT = "batch-output";
    /**
     * The events Event Grid gave up delivering, which it writes itself, and in Azure the events a function refused
     * for good (under {@code refused/}, written by the functions); locally the event bus keeps its own folder instead.
     */
    String EVENT_DEADLETTER = "event-deadletter";

    /** The name in {@link #PACKAGES} of the package whose sha256 is {@code packageSha256}. */
    static String registeredPackage(String packageSha256) {
        return packageSha256 + ".zip";
    }

    /**
     * Stores {@code content} as {@code container/name}. With {@code overwrite} false an existing blob is
     * never replaced: the call fails with a {@link health.vigil.error.ConflictException}.
     */
    default StoredArtifact put(String container, String name, InputStream content, boolean overwrite) {
        return put(container, name, content, overwrite, null);
    }

    /**
     * Stores a blob and records with it the authenticated principal that uploaded it ({@code uploadedBy}, null
     * when the platform writes on its own behalf). Only the platform writes this record: it is how registration
     * knows who uploaded a package (ADR 0010).
     */
    StoredArtifact put(String container, String name, InputStream content, boolean overwrite, String uploadedBy);

    /**
     * Stores a blob as {@link #put} does but without computing its sha256, for a blob nobody asks the digest of: a
     * part that is read back once to be joined into a blob that is digested (a batch job's results chunks). Such a
     * blob is described with a null sha256. A store may digest it anyway; by default this is {@link #put}.
     */
    default StoredArtifact putUndigested(String container, String name, InputStream content, boolean overwrite) {
        return put(container, name, content, overwrite);
    }

    /**
     * Replaces a blob only if it is still the version whose ETag is {@code ifMatch} (from {@link #describe} or an
     * earlier put): a compare-and-swap, so of two writers that read the same version exactly one replaces it. A blob
     * that changed or is gone since is a {@link health.vigil.error.ConflictException}, and nothing is stored.
     */
    StoredArtifact replace(String container, String name, InputStream content, String ifMatch);

    /** Opens a blob for reading; a missing blob is a {@link health.vigil.error.NotFoundException}. */
    InputStream open(String container, String name);

    /**
     * Opens a blob for reading from byte {@code offset} on, so a range of a large file is read without the bytes
     * before it. Stores that can seek override this; the default reads and drops the bytes before {@code offset}.
     */
    default InputStream open(String container, String name, long offset) {
        InputStream in = open(container, name);
        try {
            in.skipNBytes(offset);
            return in;
        } catch (java.io.IOException e) {
            try {
                in.close();
            } catch (java.io.IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new health.vigil.error.StoreException("cannot read " + container + "/" + name + " from byte " + offset
                    + ": the blob is shorter than that or could not be read", e);
        }
    }

    /**
     * {@link #open(String, String, long)}, of the blob only while it is the version whose ETag is {@code ifMatch}
     * (from {@link #describe}): one replaced or removed since is a {@link health.vigil.error.ConflictException}, so a
     * reader that planned on one version never reads another's bytes under the same name. The default checks the ETag
     * before and after opening, which pins the opened stream to that version in a store that replaces a blob by moving
     * a new file into place (the open stream keeps the file it opened); a store that can ask for the version on the
     * read itself overrides this.
     */
    default InputStream open(String container, String name, long offset, String ifMatch) {
        requireVersion(container, name, ifMatch);
        InputStream in = open(container, name, offset);
        try {
            requireVersion(container, name, ifMatch);
        } catch (RuntimeException e) {
            try {
                in.close();
            } catch (java.io.IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return in;
    }

    private void requireVersion(String container, String name, String ifMatch) {
        Optional<StoredArtifact> now = describe(container, name);
        if (now.isEmpty() || !now.get().etag().equals(ifMatch)) {
            throw versionGone(container, name, now.isPresent());
        }
    }

    /** The refusal of a read of a version that is no longer the blob's. */
    static health.vigil.error.ConflictException versionGone(String container, String name, boolean present) {
        return new health.vigil.error.ConflictException(health.vigil.error.ErrorCode.CONFLICT, "blob " + container
                + "/" + name + " was " + (present ? "replaced" : "removed") + " since the version asked for was read");
    }

    Optional<StoredArtifact> describe(String container, String name);

    /**
     * Whether the sha256 that {@link #describe} gives is one this store computed from the bytes themselves and drops
     * as soon as the bytes change, so that a reader may take it instead of digesting the blob again. False by default:
     * Blob Storage keeps it in metadata that whoever writes the blob can set, so a caller there digests what it reads.
     */
    default boolean computesItsOwnSha256() {
        return false;
    }

    List<StoredArtifact> list(String container, String prefix);

    /**
     * Removes a blob; a blob that is not there is no error. Only for what the platform wrote and no one was told of
     * (the plan of a batch submission that failed before it started): registered packages and audit exports are
     * never removed (in Azure their containers are immutable).
     */
    void delete(String container, String name);

    /**
     * Removes a blob only if it is still the version whose ETag is {@code ifMatch} (from {@link #describe},
     * {@link #list} or a put): a remover that decided on one version never removes another written since under the
     * same name. True when this call removed it; false when no blob is there (removed already, say by a concurrent
     * run). A blob that changed since is a {@link health.vigil.error.ConflictException}, and is kept.
     */
    boolean delete(String container, String name, String ifMatch);

    /** The refusal of a removal of a version that is no longer the blob's: the blob is kept. */
    static health.vigil.error.ConflictException changedSinceRead(String container, String name) {
        return new health.vigil.error.ConflictException(health.vigil.error.ErrorCode.CONFLICT, "blob " + container
                + "/" + name + " changed since the version to remove was read, and was kept; read it again before"
                + " removing it");
    }

    /**
     * What the store knows about a blob; sha256 may be null where the store has not computed it. {@code uploadedBy}
     * is the principal the platform recorded when it stored the blob or, locally, the operating-system user who
     * owns a file dropped into the folder (a pipeline identity); null when neither is known. {@code lastModified} is
     * when the blob was last written, by the store's own clock (Blob Storage's Last-Modified, a file's modification
     * time); null where the store does not say.
     */
    record StoredArtifact(String container, String name, long size, String sha256, String etag, String uploadedBy,
            Instant lastModified) {
        public StoredArtifact(String container, String name, long size, String sha256, String etag, String uploadedBy) {
            this(container, name, size, sha256, etag, uploadedBy, null);
        }

        public StoredArtifact(String container, String name, long size, String sha256, String etag) {
            this(container, name, size, sha256, etag, null);
        }
    }

    /** The longest blob name a store takes (Azure Blob Storage's limit, which the local store keeps too). */
    int MAX_NAME_LENGTH = 1024;

    /**
     * The rules every store holds a blob name to, each refusal naming the rule broken (never repeating the name):
     * present, printable, at most {@link #MAX_NAME_LENGTH} characters, folders separated by single {@code /}, relative to
     * its container, no {@code .} or {@code ..} segment. A store may hold names to more rules of its own.
     */
    static void requireValidName(String name) {
        if (name == null || name.isBlank()) {
            throw new ValidationException("the blob name is missing");
        }
        // A name reaches log lines, events, audit records and refusals: nothing in it may write there or disguise
        // itself (a C1 control, a line separator, a direction override turning "nightly\u202Evsc.exe" around).
        if (!health.vigil.json.Json.isPrintableText(name)) {
            throw new ValidationException("the blob name contains a control character, a line separator or an"
                    + " invisible formatting character (such as a direction override); use printable characters");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new ValidationException("the blob name is " + name.length() + " characters long; at most "
                    + MAX_NAME_LENGTH + " are allowed");
        }
        if (name.indexOf('\\') >= 0) {
            throw new ValidationException("the blob name contains a backslash; separate folders with '/'");
        }
        if (name.startsWith("/")) {
            throw new ValidationException("the blob name is an absolute path; give a name relative to its container");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new ValidationException("the blob name has an empty folder name (a trailing or doubled '/')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new ValidationException("the blob name contains the path segment '" + segment
                        + "'; blob names cannot point outside their container");
            }
        }
    }
}

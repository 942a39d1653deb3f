package health.vigil.port;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Blob storage for model packages, datasets, outcome files, monitoring reports and audit exports. Containers are
 * {@code models} (uploads), {@code packages} (the registered packages by sha256), {@code datasets},
 * {@code outcomes}, {@code audit-exports} and {@code monitoring} (reports of monitoring checks).
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

    /** Opens a blob for reading; a missing blob is a {@link health.vigil.error.NotFoundException}. */
    InputStream open(String container, String name);

    Optional<StoredArtifact> describe(String container, String name);

    List<StoredArtifact> list(String container, String prefix);

    /**
     * What the store knows about a blob; sha256 may be null where the store has not computed it. {@code uploadedBy}
     * is the principal the platform recorded when it stored the blob or, locally, the operating-system user who
     * owns a file dropped into the folder (a pipeline identity); null when neither is known.
     */
    record StoredArtifact(String container, String name, long size, String sha256, String etag, String uploadedBy) {
        public StoredArtifact(String container, String name, long size, String sha256, String etag) {
            this(container, name, size, sha256, etag, null);
        }
    }
}

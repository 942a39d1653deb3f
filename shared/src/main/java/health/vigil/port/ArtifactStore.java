package health.vigil.port;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Blob storage for model packages, datasets, outcome files and audit exports. Containers are {@code models},
 * {@code datasets}, {@code outcomes}, {@code audit-exports} and {@code monitoring} (reports of monitoring checks). Implementations stream and compute the sha256 while they do.
 */
public interface ArtifactStore {
    String MODELS = "models";
    String DATASETS = "datasets";
    String OUTCOMES = "outcomes";
    String AUDIT_EXPORTS = "audit-exports";
    String MONITORING = "monitoring";

    /**
     * Stores {@code content} as {@code container/name}. With {@code overwrite} false an existing blob is
     * never replaced: the call fails with a {@link health.vigil.error.ConflictException}.
     */
    StoredArtifact put(String container, String name, InputStream content, boolean overwrite);

    /** Opens a blob for reading; a missing blob is a {@link health.vigil.error.NotFoundException}. */
    InputStream open(String container, String name);

    Optional<StoredArtifact> describe(String container, String name);

    List<StoredArtifact> list(String container, String prefix);

    /** What the store knows about a blob; sha256 may be null where the store has not computed it. */
    record StoredArtifact(String container, String name, long size, String sha256, String etag) {}
}

package health.vigil.port;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;

/**
 * JSON documents in one container of an artifact store, each written once: the plans, partial results and outcomes
 * of work done partition by partition (ADR 0013). Of two writers of one name, one creates it and the other reads
 * what the first wrote, so a redelivered message or two concurrent completions leave one document.
 */
public final class StoredJson {
    private final ArtifactStore artifacts;
    private final String container;

    public StoredJson(ArtifactStore artifacts, String container) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.container = Objects.requireNonNull(container, "container");
    }

    public boolean exists(String name) {
        return artifacts.describe(container, name).isPresent();
    }

    public <T> Optional<T> find(String name, Class<T> type) {
        if (!exists(name)) {
            return Optional.empty();
        }
        try (InputStream in = artifacts.open(container, name)) {
            return Optional.of(Json.read(container + "/" + name, in.readAllBytes(), type));
        } catch (NotFoundException gone) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read " + container + "/" + name, e);
        }
    }

    /** Writes {@code value} under {@code name} unless a document is there; returns the document now stored. */
    @SuppressWarnings("unchecked")
    public <T> T createOnce(String name, T value) {
        try {
            artifacts.put(container, name, new ByteArrayInputStream(Json.writeBytes(value)), false);
            return value;
        } catch (ConflictException writtenElsewhere) {
            return find(name, (Class<T>) value.getClass()).orElseThrow(() -> writtenElsewhere);
        }
    }
}

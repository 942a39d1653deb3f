package health.vigil.gates;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The gates' documents in the {@code datasets} container (dataset files and manifests, policies, reports): each is
 * written once and never replaced, so whoever finds a name taken finds the same content there.
 */
final class DatasetsContainer {
    private DatasetsContainer() {}

    /** The JSON document at {@code name}, or empty when there is none. */
    static <T> Optional<T> readJson(ArtifactStore artifacts, String name, Class<T> type) {
        return read(artifacts, name).map(bytes -> Json.read(name, bytes, type));
    }

    /** The bytes of the document at {@code name}, or empty when there is none. */
    static Optional<byte[]> read(ArtifactStore artifacts, String name) {
        try (InputStream in = artifacts.open(ArtifactStore.DATASETS, name)) {
            return Optional.of(in.readAllBytes());
        } catch (NotFoundException missing) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("could not read " + name + " from the datasets container", e);
        }
    }

    /** Stores {@code bytes} at {@code name} unless something is there already; true when this call stored them. */
    static boolean putOnce(ArtifactStore artifacts, String name, byte[] bytes) {
        try {
            artifacts.put(ArtifactStore.DATASETS, name, new ByteArrayInputStream(bytes), false);
            return true;
        } catch (ConflictException taken) {
            return false;
        }
    }
}

package health.vigil.port;

import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An artifact store that hands every call to another: a test overrides the call it watches or changes (to fail one
 * removal, write a blob anew just before another call) and the store underneath does the rest. The port's own
 * defaults (an undigested put, a read of one version) stay the port's, made of the calls here, so they see an
 * override too.
 */
public class ForwardingArtifactStore implements ArtifactStore {
    protected final ArtifactStore store;

    public ForwardingArtifactStore(ArtifactStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
            String uploadedBy) {
        return store.put(container, name, content, overwrite, uploadedBy);
    }

    @Override
    public StoredArtifact replace(String container, String name, InputStream content, String ifMatch) {
        return store.replace(container, name, content, ifMatch);
    }

    @Override
    public InputStream open(String container, String name) {
        return store.open(container, name);
    }

    @Override
    public InputStream open(String container, String name, long offset) {
        return store.open(container, name, offset);
    }

    @Override
    public Optional<StoredArtifact> describe(String container, String name) {
        return store.describe(container, name);
    }

    @Override
    public boolean computesItsOwnSha256() {
        return store.computesItsOwnSha256();
    }

    @Override
    public List<StoredArtifact> list(String container, String prefix) {
        return store.list(container, prefix);
    }

    @Override
    public void delete(String container, String name) {
        store.delete(container, name);
    }

    @Override
    public boolean delete(String container, String name, String ifMatch) {
        return store.delete(container, name, ifMatch);
    }
}

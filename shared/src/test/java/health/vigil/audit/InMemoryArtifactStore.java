package health.vigil.audit;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.hash.Sha256;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Blobs in memory with the port's create-only semantics, and direct access to the bytes so tests can tamper
 * with evidence the way someone with write access to a copy of it could.
 */
public final class InMemoryArtifactStore implements ArtifactStore {
    private final TreeMap<String, byte[]> blobs = new TreeMap<>();
    /** Each blob's ETag: a new one on every write. */
    private final java.util.HashMap<String, String> etags = new java.util.HashMap<>();
    private long writes;

    @Override
    public synchronized StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
            String uploadedBy) {
        String key = container + "/" + name;
        if (!overwrite && blobs.containsKey(key)) {
            throw new ConflictException(ErrorCode.CONFLICT, key + " exists");
        }
        try {
            byte[] bytes = content.readAllBytes();
            blobs.put(key, bytes);
            etags.put(key, "\"" + (++writes) + "\"");
            return new StoredArtifact(container, name, bytes.length, Sha256.hex(bytes), etags.get(key), uploadedBy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized StoredArtifact replace(String container, String name, InputStream content, String ifMatch) {
        String key = container + "/" + name;
        if (!ifMatch.equals(etags.get(key)) || !blobs.containsKey(key)) {
            throw new ConflictException(ErrorCode.CONFLICT, key + " changed or is gone");
        }
        return put(container, name, content, true, null);
    }

    @Override
    public synchronized void delete(String container, String name) {
        blobs.remove(container + "/" + name);
        etags.remove(container + "/" + name);
    }

    @Override
    public synchronized boolean delete(String container, String name, String ifMatch) {
        String key = container + "/" + name;
        if (!blobs.containsKey(key)) {
            return false;
        }
        if (!ifMatch.equals(etags.get(key))) {
            throw ArtifactStore.changedSinceRead(container, name);
        }
        delete(container, name);
        return true;
    }

    @Override
    public synchronized InputStream open(String container, String name) {
        byte[] bytes = blobs.get(container + "/" + name);
        if (bytes == null) {
            throw new NotFoundException(ErrorCode.NOT_FOUND, container + "/" + name + " does not exist");
        }
        return new ByteArrayInputStream(bytes);
    }

    @Override
    public synchronized Optional<StoredArtifact> describe(String container, String name) {
        byte[] bytes = blobs.get(container + "/" + name);
        return bytes == null ? Optional.empty()
                : Optional.of(new StoredArtifact(container, name, bytes.length, Sha256.hex(bytes),
                        etags.get(container + "/" + name)));
    }

    @Override
    public synchronized List<StoredArtifact> list(String container, String prefix) {
        String start = container + "/" + prefix;
        return blobs.tailMap(start, true).entrySet().stream().takeWhile(e -> e.getKey().startsWith(start))
                .map(e -> new StoredArtifact(container, e.getKey().substring(container.length() + 1),
                        e.getValue().length, null, etags.get(e.getKey()))).toList();
    }

    /** The bytes of an evidence file in {@code audit-exports}, or null. */
    public synchronized byte[] get(String name) {
        byte[] bytes = blobs.get(AUDIT_EXPORTS + "/" + name);
        return bytes == null ? null : bytes.clone();
    }

    /** Replaces (or with null removes) an evidence file in {@code audit-exports}, bypassing create-only. */
    public synchronized void set(String name, byte[] bytes) {
        if (bytes == null) {
            blobs.remove(AUDIT_EXPORTS + "/" + name);
        } else {
            blobs.put(AUDIT_EXPORTS + "/" + name, bytes.clone());
            etags.put(AUDIT_EXPORTS + "/" + name, "\"" + (++writes) + "\"");
        }
    }

    public synchronized int size() {
        return blobs.size();
    }

    public synchronized InMemoryArtifactStore copy() {
        InMemoryArtifactStore copy = new InMemoryArtifactStore();
        copy.blobs.putAll(blobs);
        copy.etags.putAll(etags);
        copy.writes = writes;
        return copy;
    }
}

package health.vigil.audit;

import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An audit store that hands every call to another: a test overrides the one or two calls it watches or changes (to
 * order two requests by a latch, to list a day that holds nothing) and the store underneath does the rest.
 */
public class ForwardingAuditStore implements AuditStore {
    private final AuditStore store;

    public ForwardingAuditStore(AuditStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public Optional<AuditRecord> last(String partition) {
        return store.last(partition);
    }

    @Override
    public boolean tryAppend(AuditRecord record) {
        return store.tryAppend(record);
    }

    @Override
    public KeyedAppend tryAppendOnce(String key, AuditRecord record) {
        return store.tryAppendOnce(key, record);
    }

    @Override
    public Optional<AuditRecord> findByKey(String key) {
        return store.findByKey(key);
    }

    @Override
    public List<AuditRecord> read(String partition) {
        return store.read(partition);
    }

    @Override
    public List<AuditRecord> read(String partition, long fromSequence, int limit) {
        return store.read(partition, fromSequence, limit);
    }

    @Override
    public List<String> partitions() {
        return store.partitions();
    }
}

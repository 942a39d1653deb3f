package health.vigil.audit;

import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * An audit store in memory with the port's conditional-append semantics, plus ways to tamper with what
 * it holds (as an attacker with write access to the database could) so tests can check verification.
 */
public final class InMemoryAuditStore implements AuditStore {
    private final TreeMap<String, List<AuditRecord>> partitions = new TreeMap<>();
    private final Map<String, AuditRecord> keys = new HashMap<>();

    @Override
    public synchronized Optional<AuditRecord> last(String partition) {
        List<AuditRecord> records = partitions.get(partition);
        return records == null || records.isEmpty() ? Optional.empty() : Optional.of(records.get(records.size() - 1));
    }

    @Override
    public synchronized boolean tryAppend(AuditRecord record) {
        List<AuditRecord> records = partitions.computeIfAbsent(record.partition(), p -> new ArrayList<>());
        long expected = records.isEmpty() ? 1 : records.get(records.size() - 1).sequence() + 1;
        if (record.sequence() != expected) {
            return false;
        }
        records.add(record);
        return true;
    }

    @Override
    public synchronized KeyedAppend tryAppendOnce(String key, AuditRecord record) {
        AuditRecord earlier = keys.get(key);
        if (earlier != null) {
            return KeyedAppend.alreadyRecorded(earlier);
        }
        if (!tryAppend(record)) {
            return KeyedAppend.SEQUENCE_TAKEN;
        }
        keys.put(key, record);
        return KeyedAppend.APPENDED;
    }

    @Override
    public synchronized Optional<AuditRecord> findByKey(String key) {
        return Optional.ofNullable(keys.get(key));
    }

    @Override
    public synchronized List<AuditRecord> read(String partition) {
        return List.copyOf(partitions.getOrDefault(partition, List.of()));
    }

    @Override
    public synchronized List<AuditRecord> read(String partition, long fromSequence, int limit) {
        return partitions.getOrDefault(partition, List.of()).stream().filter(r -> r.sequence() >= fromSequence)
                .limit(limit).toList();
    }

    @Override
    public synchronized List<String> partitions() {
        return partitions.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(e -> e.getKey()).toList();
    }

    /** Replaces the record with {@code sequence} in {@code partition} by what {@code change} makes of it. */
    public synchronized void tamper(String partition, long sequence, UnaryOperator<AuditRecord> change) {
        List<AuditRecord> records = partitions.get(partition);
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i).sequence() == sequence) {
                records.set(i, change.apply(records.get(i)));
                return;
            }
        }
        throw new IllegalArgumentException("no record " + sequence + " in " + partition);
    }

    public synchronized void delete(String partition, long sequence) {
        partitions.get(partition).removeIf(r -> r.sequence() == sequence);
    }

    public synchronized void dropPartition(String partition) {
        partitions.remove(partition);
    }

    /** Replaces a partition's records wholesale, as an attacker rewriting the database could. */
    public synchronized void replace(String partition, List<AuditRecord> records) {
        partitions.put(partition, new ArrayList<>(records));
    }

    /** A store holding the same records, to tamper with while this one stays as it was. */
    public synchronized InMemoryAuditStore copy() {
        InMemoryAuditStore copy = new InMemoryAuditStore();
        partitions.forEach((partition, records) -> copy.partitions.put(partition, new ArrayList<>(records)));
        return copy;
    }
}

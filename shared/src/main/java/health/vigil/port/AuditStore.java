package health.vigil.port;

import health.vigil.model.AuditRecord;
import java.util.List;
import java.util.Optional;

/** Append-only storage of audit records, kept in per-day partitions. */
public interface AuditStore {

    /** The record with the highest sequence in a partition. */
    Optional<AuditRecord> last(String partition);

    /**
     * Appends a record whose sequence is one more than the partition's last; returns false (and writes
     * nothing) when another writer appended that sequence first, so the caller re-chains and retries.
     */
    boolean tryAppend(AuditRecord record);

    /** The records of one partition in sequence order. */
    List<AuditRecord> read(String partition);

    /** The partitions that hold records, in order. */
    List<String> partitions();
}

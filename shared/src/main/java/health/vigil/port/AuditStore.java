package health.vigil.port;

import health.vigil.model.AuditRecord;
import java.util.List;
import java.util.Optional;

/**
 * Append-only storage of audit records, kept in per-day partitions, with an index from idempotency keys to the
 * record each key was recorded as (see {@link health.vigil.audit.AuditLog#recordOnce}).
 */
public interface AuditStore {

    /** What {@link #tryAppendOnce} did: appended the record, found the key already recorded, or lost the sequence. */
    record KeyedAppend(boolean appended, AuditRecord existing) {
        public static final KeyedAppend APPENDED = new KeyedAppend(true, null);
        public static final KeyedAppend SEQUENCE_TAKEN = new KeyedAppend(false, null);

        public static KeyedAppend alreadyRecorded(AuditRecord existing) {
            return new KeyedAppend(false, java.util.Objects.requireNonNull(existing, "existing"));
        }

        /** True when nothing was written because another writer appended this sequence first. */
        public boolean sequenceTaken() {
            return !appended && existing == null;
        }
    }

    /** The record with the highest sequence in a partition. */
    Optional<AuditRecord> last(String partition);

    /**
     * Appends a record whose sequence is one more than the partition's last; returns false (and writes
     * nothing) when another writer appended that sequence first, so the caller re-chains and retries.
     */
    boolean tryAppend(AuditRecord record);

    /**
     * Appends {@code record} and binds {@code key} to it as one step: either both happen or neither does, and
     * of any number of concurrent callers with the same key (in any process, on any day) exactly one appends.
     * Returns {@link KeyedAppend#APPENDED}; the record {@code key} is already bound to (nothing written); or
     * {@link KeyedAppend#SEQUENCE_TAKEN} when the sequence is taken and the key unbound, so the caller re-chains
     * and calls again <em>with the same record id</em> (a store may use the id to recognise its own claim on
     * the key). A store may block briefly while another caller holding the key finishes.
     */
    KeyedAppend tryAppendOnce(String key, AuditRecord record);

    /** The record {@code key} is bound to, if a record was appended under it. */
    Optional<AuditRecord> findByKey(String key);

    /**
     * The records of one partition in sequence order. A record that cannot be read back is an
     * {@link health.vigil.port.AuditRecordUnreadableException} naming the first such record.
     */
    List<AuditRecord> read(String partition);

    /**
     * At most {@code limit} records of one partition whose sequence is {@code fromSequence} or more, in sequence
     * order (a page of {@link #read(String)}, with the same treatment of records that cannot be read).
     */
    List<AuditRecord> read(String partition, long fromSequence, int limit);

    /** The partitions that hold records, in order. */
    List<String> partitions();
}

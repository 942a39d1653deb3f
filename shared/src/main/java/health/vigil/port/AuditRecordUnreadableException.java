package health.vigil.port;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.model.AuditRecord;
import java.util.List;

/**
 * A stored audit record that cannot be read back as a record (its document was damaged or replaced below the
 * store): names the record, so verification can report where the chain breaks and an operator knows what to
 * restore. The message says where, never what the document held.
 */
public class AuditRecordUnreadableException extends VigilException {
    private static final long serialVersionUID = 1L;

    private final String partition;
    private final long sequence;
    private final transient List<AuditRecord> readBefore;

    /** {@code readBefore}: the records of the partition before this one that did read, in sequence order. */
    public AuditRecordUnreadableException(String partition, long sequence, String why, Throwable cause,
            List<AuditRecord> readBefore) {
        super(ErrorCode.INTEGRITY_FAILURE, "audit record " + partition + "#" + sequence + " cannot be read (" + why
                + "): it was damaged or replaced after it was written; verify the chain and restore the record from a"
                + " backup or an export", cause);
        this.partition = partition;
        this.sequence = sequence;
        this.readBefore = List.copyOf(readBefore);
    }

    public String partition() {
        return partition;
    }

    public long sequence() {
        return sequence;
    }

    /** The records of the partition read before this one (from the first sequence asked for), in order. */
    public List<AuditRecord> readBefore() {
        return readBefore == null ? List.of() : readBefore;
    }
}

package health.vigil.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One entry of the tamper-evident audit log. Records are chained per partition (one UTC day):
 * {@code hash = sha256(previousHash + canonical content)}, so changing or removing any record breaks every
 * hash after it. {@code details} holds ids and outcomes, never patient data.
 */
public record AuditRecord(
        String id,
        String partition,
        long sequence,
        Instant time,
        String actor,
        String action,
        String subject,
        String outcome,
        Map<String, String> details,
        String previousHash,
        String hash) {

    public AuditRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(outcome, "outcome");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(details));
    }
}

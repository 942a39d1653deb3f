package health.vigil.audit;

import health.vigil.model.AuditRecord;
import java.util.ArrayList;
import java.util.List;

/** What an attacker with write access to the records does to hide a change: recompute the chain after it. */
public final class Tampering {
    private Tampering() {}

    /** Recomputes hashes and links from {@code from} on, so the chain is consistent again. */
    public static List<AuditRecord> rechain(List<AuditRecord> records, int from) {
        List<AuditRecord> out = new ArrayList<>(records);
        for (int k = from; k < out.size(); k++) {
            AuditRecord r = out.get(k);
            String link = k == 0 ? r.previousHash() : out.get(k - 1).hash();
            AuditRecord unsigned = new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(), r.action(),
                    r.subject(), r.outcome(), r.details(), link, null);
            AuditRecord signed = AuditChain.withHash(unsigned, AuditChain.hashOf(unsigned));
            out.set(k, signed);
        }
        return out;
    }

}

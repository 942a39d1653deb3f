package health.vigil.audit;

import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * How an audit record's hash is computed: sha256 over a canonical serialisation of every field except the
 * hash itself (so {@code previousHash} is covered and records form a chain).
 *
 * <p>The serialisation is a sequence of netstrings ({@code <byte length>:<UTF-8 bytes>,}) in a fixed field
 * order, preceded by a format tag. Length prefixes make it unambiguous: no choice of field contents can
 * make two different records serialise to the same bytes, which a separator-joined string cannot promise.
 * It deliberately does not go through the JSON mapper, whose settings may change without anyone meaning
 * to change every audit hash.
 */
public final class AuditChain {
    /** The {@code previousHash} of the first record ever written. */
    public static final String GENESIS_HASH = "0".repeat(64);
    static final String FORMAT = "vigil-audit-record/1";

    private AuditChain() {}

    /** The hash a record must carry, computed from its other fields. */
    public static String hashOf(AuditRecord record) {
        MessageDigest digest = Sha256.newDigest();
        digest.update(canonicalForm(record));
        return Sha256.hex(digest);
    }

    /** The bytes that {@link #hashOf} digests. */
    public static byte[] canonicalForm(AuditRecord record) {
        StringBuilder out = new StringBuilder(256);
        netstring(out, FORMAT);
        netstring(out, record.id());
        netstring(out, record.partition());
        netstring(out, Long.toString(record.sequence()));
        netstring(out, DateTimeFormatter.ISO_INSTANT.format(record.time()));
        netstring(out, record.actor());
        netstring(out, record.action());
        netstring(out, record.subject());
        netstring(out, record.outcome());
        Map<String, String> details = new TreeMap<>(record.details());
        netstring(out, Integer.toString(details.size()));
        details.forEach((key, value) -> {
            netstring(out, key);
            netstring(out, value);
        });
        netstring(out, record.previousHash() == null ? "" : record.previousHash());
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void netstring(StringBuilder out, String value) {
        Netstrings.append(out, value);
    }

    static AuditRecord withHash(AuditRecord r, String hash) {
        return new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(), r.action(), r.subject(),
                r.outcome(), r.details(), r.previousHash(), hash);
    }
}

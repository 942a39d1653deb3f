package health.vigil.audit;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Where audit evidence lives in the {@code audit-exports} container, and the same layout in a folder an
 * auditor receives: {@code exports/} (JSON Lines of records), {@code digests/} (one signed digest per export,
 * numbered, each naming the previous), {@code anchors/} (one signed chain head per hour, each naming the
 * previous) and {@code keys/} (the public keys, named by their sha256).
 */
public final class EvidenceLayout {
    public static final String EXPORTS = "exports/";
    public static final String DIGESTS = "digests/";
    public static final String ANCHORS = "anchors/";
    public static final String KEYS = "keys/";
    public static final String DIGEST_FORMAT = "vigil-audit-digest/1";
    public static final String ANCHOR_FORMAT = "vigil-audit-anchor/1";
    static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH'Z'").withZone(ZoneOffset.UTC);

    /** The order fields are written in, for people reading a digest file; the signature does not depend on it. */
    static final List<String> DIGEST_ORDER = List.of("format", "number", "from", "to", "records", "sha256", "count",
            "firstRecord", "firstRecordHash", "lastRecord", "lastRecordHash", "dayLastRecords", "chainHeadRecord",
            "chainHeadHash", "previousDigest", "previousDigestSha256", "latestAnchor", "latestAnchorSha256", "readAt",
            "exportedAt", "exportedBy", "algorithm");
    static final List<String> ANCHOR_ORDER = List.of("format", "hour", "chainHeadRecord", "chainHeadHash",
            "chainHeadTime", "previousAnchor", "previousAnchorSha256", "anchoredAt", "algorithm");

    private EvidenceLayout() {}

    public static String digestName(long number) {
        return DIGESTS + String.format("%08d", number) + ".json";
    }

    public static String anchorName(Instant hour) {
        return ANCHORS + HOUR.format(hour) + ".json";
    }

    public static String keyName(String keyId) {
        return KEYS + SigningKeys.fileName(keyId);
    }

    /** {@code partition#sequence}, the way evidence names one record. */
    static String recordRef(String partition, long sequence) {
        return partition + "#" + sequence;
    }
}

package health.vigil.model;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Prediction ids are time-ordered UUIDs (RFC 9562 version 7): the first 48 bits are the prediction's time in
 * milliseconds, the rest random. The time in the id lets a prediction be found again by a point read in a store
 * partitioned by hour (the Cosmos DB prediction log), with no index and no query.
 */
public final class PredictionIds {
    /** The 8-4-4-4-12 hexadecimal form, in either case ({@link UUID#fromString} alone also reads shorter groups). */
    private static final Pattern UUID_TEXT = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private PredictionIds() {}

    /**
     * What a text offered as a prediction id is, as far as its form can tell. Vigil has issued RFC 9562 UUIDs (variant
     * {@code 10}) of three versions only: 7 since ADR 0014, 4 ({@link UUID#randomUUID()}) for answered predictions
     * before it, 3 (MD5 of job and row) for batch rows before its addendum; the last two stay in the log for the
     * retention period. Any other text was never a prediction id.
     */
    public enum Form {
        /** A version 7 id, as every prediction gets one now: its time says where the log holds it. */
        VERSION_7,
        /** A version 4 or 3 id, as predictions made before ADR 0014 have: it carries no time. */
        EARLIER_VERSION,
        /** Not a UUID in its 8-4-4-4-12 hexadecimal form. */
        NOT_A_UUID,
        /** The nil UUID (all zeros), which senders put where they have no id. */
        NIL,
        /** A UUID of another variant than RFC 9562's, which no UUID Vigil makes has. */
        OTHER_VARIANT,
        /** An RFC 9562 UUID of a version Vigil never made prediction ids of (1, 2, 5, 6, 8 and the rest). */
        OTHER_VERSION
    }

    /** The form of {@code id}, in either case. */
    public static Form formOf(String id) {
        if (id == null || !UUID_TEXT.matcher(id).matches()) {
            return Form.NOT_A_UUID;
        }
        UUID uuid = UUID.fromString(id);
        if (uuid.getMostSignificantBits() == 0 && uuid.getLeastSignificantBits() == 0) {
            return Form.NIL;
        }
        if (uuid.variant() != 2) {
            return Form.OTHER_VARIANT;
        }
        return switch (uuid.version()) {
            case 7 -> Form.VERSION_7;
            case 3, 4 -> Form.EARLIER_VERSION;
            default -> Form.OTHER_VERSION;
        };
    }

    public static String next(Instant time) {
        long millis = time.toEpochMilli();
        // 74 random bits (12 and 62), from one draw of this thread's generator.
        byte[] bits = new byte[10];
        RandomIds.fill(bits);
        long random = 0;
        for (int i = 0; i < 8; i++) {
            random = (random << 8) | (bits[i] & 0xff);
        }
        long high = (millis << 16) | 0x7000L | (((bits[8] & 0xff) << 8 | (bits[9] & 0xff)) & 0x0FFFL);
        long low = (random & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** The time (to the millisecond) written in a version 7 id in its canonical lower-case form; empty for anything else. */
    public static Optional<Instant> timeOf(String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
        if (uuid.version() != 7 || uuid.variant() != 2 || !uuid.toString().equals(id)) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16));
    }
}

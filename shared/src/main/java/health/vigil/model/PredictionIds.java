package health.vigil.model;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Prediction ids are time-ordered UUIDs (RFC 9562 version 7): the first 48 bits are the prediction's time in
 * milliseconds, the rest random. The time in the id lets a prediction be found again by a point read in a store
 * partitioned by hour (the Cosmos DB prediction log), with no index and no query.
 */
public final class PredictionIds {
    private PredictionIds() {}

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

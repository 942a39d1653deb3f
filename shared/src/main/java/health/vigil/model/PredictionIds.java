package health.vigil.model;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Prediction ids are time-ordered UUIDs (RFC 9562 version 7): the first 48 bits are the prediction's time in
 * milliseconds, the rest random. The time in the id lets a prediction be found again by a point read in a store
 * partitioned by hour (the Cosmos DB prediction log), with no index and no query.
 */
public final class PredictionIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private PredictionIds() {}

    public static String next(Instant time) {
        long millis = time.toEpochMilli();
        long high = (millis << 16) | 0x7000L | (RANDOM.nextInt() & 0x0FFFL);
        long low = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
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

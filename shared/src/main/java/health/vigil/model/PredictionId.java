package health.vigil.model;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Prediction ids: version 7 UUIDs (RFC 9562), whose first 48 bits are the prediction's time in Unix
 * milliseconds and the rest random. The time in the id lets the prediction log find one record by its id in the
 * hour (and, locally, the millisecond) it was written, without an index of every id; the random 74 bits keep ids
 * unguessable.
 */
public final class PredictionId {
    private static final SecureRandom RANDOM = new SecureRandom();

    private PredictionId() {}

    /** A new id for a prediction made at {@code time}. */
    public static String next(Instant time) {
        long millis = time.toEpochMilli();
        long randomHigh = RANDOM.nextLong();
        long randomLow = RANDOM.nextLong();
        long most = (millis << 16) | 0x7000L | (randomHigh & 0x0FFFL);
        long least = (randomLow & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(most, least).toString();
    }

    /**
     * The time (to the millisecond) a prediction id was made at; empty for anything that is not a version 7
     * UUID in its canonical lower-case form (ids from before version 7 ids, or not an id at all).
     */
    public static Optional<Instant> timeOf(String id) {
        if (id == null || id.length() != 36) {
            return Optional.empty();
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (uuid.version() != 7 || uuid.variant() != 2 || !uuid.toString().equals(id)) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16));
    }
}

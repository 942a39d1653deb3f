package health.vigil.model;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Random bits for ids made on every request (request ids, prediction ids), from a cryptographically strong
 * generator of each thread's own: SHA-256 Hash_DRBG (NIST SP 800-90A), seeded from the system's entropy when the
 * thread first asks. {@link UUID#randomUUID()} and {@code new SecureRandom()} share one native generator behind one
 * lock, which read {@code /dev/urandom} every few ids: on the scoring path, where a request takes a request id and a
 * prediction id, every thread queued there for each id.
 */
public final class RandomIds {
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(() -> {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java 9+ runtime provides DRBG", e);
        }
    });

    private RandomIds() {}

    /** Fills {@code bytes} with random bits from this thread's generator. */
    public static void fill(byte[] bytes) {
        RANDOM.get().nextBytes(bytes);
    }

    /** A random (version 4) UUID in its canonical text, as {@link UUID#randomUUID()} makes one. */
    public static String uuid() {
        byte[] bits = new byte[16];
        fill(bits);
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (bits[i] & 0xff);
            low = (low << 8) | (bits[i + 8] & 0xff);
        }
        high = (high & ~0xF000L) | 0x4000L;
        low = (low & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}

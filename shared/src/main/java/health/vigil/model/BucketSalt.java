package health.vigil.model;

import health.vigil.error.ValidationException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The salt of a canary ramp's or experiment's patient buckets: 16 lower-case hex digits (64 bits), drawn at random
 * when it starts and kept with it, so that each new version is tried first on another share of patients. It is kept
 * apart from any patient identifier or pseudonym.
 */
public final class BucketSalt {
    private static final Pattern FORM = Pattern.compile("[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private BucketSalt() {}

    /** A new ramp's salt. */
    public static String draw() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Refuses a stored salt that is not one {@link #draw()} gives; null (a ramp from before salts) is taken. */
    public static String require(String salt) {
        if (salt != null && !FORM.matcher(salt).matches()) {
            throw new ValidationException("a ramp's bucket salt is 16 lower-case hex digits; the stored document"
                    + " holds another value: restore the deployment document from its last good revision");
        }
        return salt;
    }
}

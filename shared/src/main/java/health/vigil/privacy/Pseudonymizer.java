package health.vigil.privacy;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns a patient identifier into a stable pseudonym with HMAC-SHA256 under a secret key, before the
 * identifier is routed, logged or stored. Without the key the pseudonym cannot be linked back.
 */
public final class Pseudonymizer {
    private static final String ALGORITHM = "HmacSHA256";
    private final SecretKeySpec key;
    /** One initialised MAC per thread: looking up the provider and keying a new one cost more than the HMAC. */
    private final ThreadLocal<Mac> macs;

    public Pseudonymizer(byte[] key) {
        if (key == null || key.length < 32) {
            throw new IllegalArgumentException("the pseudonymisation key must be at least 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /**
     * The hex HMAC of the identifier without the spaces around it. Every path reads an identifier differently (a batch
     * or outcome CSV cell is trimmed, a JSON string is not), so the spaces are dropped here, where every path meets:
     * {@code " MRN1 "} scored over JSON and {@code MRN1} in an outcome file are one patient. Spaces include the no-break
     * ones, which {@link String#strip} keeps. A blank identifier is rejected without echoing it.
     */
    public String pseudonym(String identifier) {
        String patientId = identifier == null ? null : withoutSurroundingSpace(identifier);
        if (patientId == null || patientId.isEmpty()) {
            throw new ValidationException("patientId is missing or blank: send the patient identifier the"
                    + " caller uses; Vigil pseudonymises it before use");
        }
        // Characters as a person counts them (code points): 129 emoji are 258 UTF-16 units but 129 characters.
        if (patientId.length() > 256 && patientId.codePointCount(0, patientId.length()) > 256) {
            throw new ValidationException("patientId is longer than 256 characters");
        }
        if (!Json.isIntactText(patientId)) {
            // A lone surrogate or U+FFFD (what a lossy decoder leaves of invalid UTF-8) would give different
            // identifiers the same bytes, and so the same pseudonym: different patients merged.
            throw new ValidationException("patientId is not valid UTF-8 text (it holds an unpaired surrogate or"
                    + " U+FFFD, the mark of bytes that were not UTF-8); send the identifier as UTF-8");
        }
        // doFinal leaves the MAC reset and keyed for the next identifier.
        return HexFormat.of().formatHex(macs.get().doFinal(patientId.getBytes(StandardCharsets.UTF_8)));
    }

    private static String withoutSurroundingSpace(String text) {
        int from = 0;
        int to = text.length();
        while (from < to && isSpace(text.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(text.charAt(to - 1))) {
            to--;
        }
        return from == 0 && to == text.length() ? text : text.substring(from, to);
    }

    /** White space and the space separators (no-break spaces among them); none is a surrogate. */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** How many traffic buckets there are: one per basis point (0.01 %) of live traffic. */
    public static final int BUCKETS = 10_000;

    /**
     * A bucket 0-9999 from the pseudonym, so a patient always lands in the same traffic slot. The first seven hex
     * digits give 2^28 values; taking them modulo 10,000 favours the lowest 5,456 buckets by one value in 26,843,
     * far below anything a traffic share could show.
     */
    public static int bucket(String pseudonym) {
        int value = Integer.parseInt(pseudonym.substring(0, 7), 16);
        return value % BUCKETS;
    }
}

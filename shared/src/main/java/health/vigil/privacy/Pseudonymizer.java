package health.vigil.privacy;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Turns a patient identifier into a stable pseudonym with HMAC-SHA256 under a secret key, before the
 * identifier is routed, logged or stored. Without the key the pseudonym cannot be linked back.
 */
public final class Pseudonymizer {
    private static final String DIGEST = "SHA-256";
    /** SHA-256's block: a longer key is hashed first, a shorter one padded with zeros (RFC 2104). */
    private static final int BLOCK = 64;
    private static final byte INNER_PAD = 0x36;
    private static final byte OUTER_PAD = 0x5c;
    /**
     * Per thread, SHA-256 with the key's inner and outer pads already absorbed. A MAC object absorbs both pads again
     * for every identifier, two of the four compressions an identifier under 56 bytes costs; a copy of these starts
     * where the pads left off, the RFC's own suggestion for a key used many times.
     */
    private final ThreadLocal<Keyed> keyed;

    public Pseudonymizer(byte[] key) {
        if (key == null || key.length < 32) {
            throw new IllegalArgumentException("the pseudonymisation key must be at least 32 bytes");
        }
        byte[] block = Arrays.copyOf(key.length > BLOCK ? sha256().digest(key) : key, BLOCK);
        byte[] inner = new byte[BLOCK];
        byte[] outer = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            inner[i] = (byte) (block[i] ^ INNER_PAD);
            outer[i] = (byte) (block[i] ^ OUTER_PAD);
        }
        Arrays.fill(block, (byte) 0);
        this.keyed = ThreadLocal.withInitial(() -> new Keyed(inner, outer));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance(DIGEST);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** HMAC-SHA256 under one key, from digests that have absorbed its pads. */
    private static final class Keyed {
        private final MessageDigest innerStart;
        private final MessageDigest outerStart;
        private final byte[] innerPad;
        private final byte[] outerPad;
        /** Whether the digests can be copied; without that each identifier absorbs the pads again. */
        private final boolean copies;
        private final MessageDigest work = sha256();

        Keyed(byte[] innerPad, byte[] outerPad) {
            this.innerPad = innerPad;
            this.outerPad = outerPad;
            this.innerStart = sha256();
            this.outerStart = sha256();
            innerStart.update(innerPad);
            outerStart.update(outerPad);
            this.copies = copyable(innerStart);
        }

        private static boolean copyable(MessageDigest digest) {
            try {
                digest.clone();
                return true;
            } catch (CloneNotSupportedException e) {
                return false;
            }
        }

        byte[] mac(byte[] message) {
            MessageDigest inner = start(innerStart, innerPad);
            inner.update(message);
            byte[] innerHash = inner.digest();
            MessageDigest outer = start(outerStart, outerPad);
            outer.update(innerHash);
            return outer.digest();
        }

        private MessageDigest start(MessageDigest absorbed, byte[] pad) {
            if (copies) {
                try {
                    return (MessageDigest) absorbed.clone();
                } catch (CloneNotSupportedException e) {
                    throw new IllegalStateException("a SHA-256 digest that could be copied no longer can", e);
                }
            }
            work.reset();
            work.update(pad);
            return work;
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
        return HexFormat.of().formatHex(keyed.get().mac(patientId.getBytes(StandardCharsets.UTF_8)));
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

package health.vigil.model;

import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * A signed approval or rejection of a version, kept on the version as 21 CFR Part 11 asks of a signed record
 * (section 11.50): the signer's printed name and id, the time, and what the signature means; and (section
 * 11.70) bound to the exact package it signs by the package's sha256, so it cannot be carried over to another
 * package. {@code justification} is the signer's own words. {@code gateRun} is the number of the gate run whose report
 * the signer read ({@link VersionRecord#gateRun()}), so that an approval made before the gates ran again is known as
 * such by that number rather than by comparing two machines' clocks; signatures stored before it was kept have none.
 */
public record ElectronicSignature(
        String signerId,
        String printedName,
        Instant signedAt,
        Meaning meaning,
        String packageSha256,
        String justification,
        Integer gateRun) {

    /** A signature whose gate run is not known (one stored before the run was kept with it). */
    public ElectronicSignature(String signerId, String printedName, Instant signedAt, Meaning meaning,
            String packageSha256, String justification) {
        this(signerId, printedName, signedAt, meaning, packageSha256, justification, null);
    }

    /** What a signature means; the phrase is written on the record as the signer saw it. */
    public enum Meaning {
        APPROVED_FOR_CANARY("approved for canary"),
        REJECTED("rejected");

        private final String phrase;

        Meaning(String phrase) {
            this.phrase = phrase;
        }

        public String phrase() {
            return phrase;
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ElectronicSignature {
        requireText("signerId", signerId);
        requireText("printedName", printedName);
        requireText("justification", justification);
        Objects.requireNonNull(signedAt, "signedAt");
        Objects.requireNonNull(meaning, "meaning");
        if (packageSha256 == null || !packageSha256.matches("[0-9a-f]{64}")) {
            throw new ValidationException("a signature is bound to the sha256 of the package it signs (64 lower-case"
                    + " hex digits)");
        }
        if (gateRun != null && gateRun < 1) {
            throw new ValidationException("a signature's gate run is counted from 1; it is " + gateRun);
        }
    }

    /** True when this signature was made on the package with {@code sha256}; a signature never covers another one. */
    public boolean covers(String sha256) {
        return packageSha256.equals(sha256);
    }

    private static void requireText(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new ValidationException("a signature needs its " + name);
        }
    }
}

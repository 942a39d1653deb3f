package health.vigil.routing;

import health.vigil.model.BucketSalt;
import health.vigil.model.Deployment;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.privacy.Pseudonymizer;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides which live slot of a deployment scores a patient. A patient's pseudonym falls in a bucket 0-9999 (one per
 * basis point), and buckets below the canary's weight go to the canary. The bucket is salted per ramp: a canary or
 * experiment draws its own salt when it starts ({@link BucketSalt}), so each new version is tried first on another
 * share of patients rather than always the same one; a ramp stored without a salt keeps the unsalted bucket, so no
 * patient of a ramp started before salts moves. The decision needs nothing but the deployment and the pseudonym, so
 * every instance routes a patient the same way; within a ramp a patient stays on the same version for as long as the
 * weights stay the same, and a rising ramp (1, 5, 25, 50 %) only ever moves patients from stable to canary, never back
 * and forth.
 */
public final class TrafficRouter {
    private TrafficRouter() {}

    /**
     * The patient's bucket 0-9999 under a ramp's {@code salt}; without one (a ramp stored before salts), the unsalted
     * {@link Pseudonymizer#bucket}. The pseudonym is already a keyed HMAC, so its leading 64 bits are uniform: the salt
     * only has to make one ramp's buckets independent of another's, which XOR and a full-avalanche 64-bit mix (the
     * MurmurHash3 finaliser) do at a few nanoseconds per patient, on the scoring path. It says nothing about a patient
     * without the pseudonym, which only the platform holds, but with one it tells the patient's arm: the stored
     * document keeps it and no answer shows it.
     */
    public static int bucket(String salt, String pseudonym) {
        if (salt == null) {
            return Pseudonymizer.bucket(pseudonym);
        }
        long leading = 0;
        int n = Math.min(16, pseudonym.length());
        for (int i = 0; i < n && Character.digit(pseudonym.charAt(i), 16) >= 0; i++) {
            leading = (leading << 4) | Character.digit(pseudonym.charAt(i), 16);
        }
        long h = leading ^ Long.parseUnsignedLong(salt, 16);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, Pseudonymizer.BUCKETS);
    }

    /**
     * The slot that serves the patient with this pseudonym (the hex HMAC from {@link Pseudonymizer}).
     * Shadow slots never answer a request, so they are never returned.
     */
    public static TrafficSlot route(Deployment deployment, String pseudonym) {
        Objects.requireNonNull(deployment, "deployment");
        if (!startsWithSevenHexDigits(pseudonym)) {
            throw new IllegalArgumentException("route by the pseudonym from Pseudonymizer (hex), never by a raw patient id");
        }
        // Loops, not streams: this runs for every scored patient.
        TrafficSlot stable = null;
        TrafficSlot canary = null;
        for (TrafficSlot slot : deployment.slots()) {
            if (slot.slot() == Slot.STABLE) {
                stable = slot;
            } else if (slot.slot() == Slot.CANARY) {
                canary = slot;
            }
        }
        if (canary != null && bucket(deployment.bucketSalt(), pseudonym) < canary.weightBasisPoints()) {
            return canary;
        }
        return stable;
    }

    /**
     * Whether routing with {@code canaryBasisPoints} on the canary slot, under the ramp's {@code salt}, sends this
     * patient there: empty for a pseudonym routing cannot use (none, or not the hex HMAC).
     */
    public static Optional<Boolean> toCanary(int canaryBasisPoints, String salt, String pseudonym) {
        return startsWithSevenHexDigits(pseudonym)
                ? Optional.of(bucket(salt, pseudonym) < canaryBasisPoints) : Optional.empty();
    }

    private static boolean startsWithSevenHexDigits(String pseudonym) {
        if (pseudonym == null || pseudonym.length() < 7) {
            return false;
        }
        for (int i = 0; i < 7; i++) {
            if (!isHex(pseudonym.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}

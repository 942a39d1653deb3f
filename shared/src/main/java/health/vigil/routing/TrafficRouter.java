package health.vigil.routing;

import health.vigil.model.Deployment;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.privacy.Pseudonymizer;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides which live slot of a deployment scores a patient. A patient's pseudonym falls in a fixed bucket
 * 0-9999 (one per basis point), and buckets below the canary's weight go to the canary. The decision needs
 * nothing but the deployment and the pseudonym, so every instance routes a patient the same way; a patient stays
 * on the same version for as long as the weights stay the same, and a rising ramp (1, 5, 25, 50 %) only ever
 * moves patients from stable to canary, never back and forth.
 */
public final class TrafficRouter {
    private TrafficRouter() {}

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
        if (canary != null && Pseudonymizer.bucket(pseudonym) < canary.weightBasisPoints()) {
            return canary;
        }
        return stable;
    }

    /**
     * Whether routing with {@code canaryBasisPoints} on the canary slot sends this patient there: empty for a
     * pseudonym routing cannot use (none, or not the hex HMAC).
     */
    public static Optional<Boolean> toCanary(int canaryBasisPoints, String pseudonym) {
        return startsWithSevenHexDigits(pseudonym)
                ? Optional.of(Pseudonymizer.bucket(pseudonym) < canaryBasisPoints) : Optional.empty();
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

package health.vigil.routing;

import health.vigil.model.TrafficSlot;
import java.util.Objects;

/**
 * Which live predictions are mirrored to a shadow version: those whose prediction id falls in the first
 * {@code basisPoints} of 10,000 buckets. Prediction ids are random, so this is a random share of requests (not of
 * patients, who would then be mirrored every time or never), and it needs nothing but the id: the scoring path
 * picks the rows with it and the shadow report counts, from the log alone, how many live predictions should have a
 * shadow partner.
 */
public final class MirrorSampling {
    private MirrorSampling() {}

    public static boolean mirrored(String predictionId, int basisPoints) {
        Objects.requireNonNull(predictionId, "predictionId");
        if (basisPoints <= 0) {
            return false;
        }
        if (basisPoints >= TrafficSlot.ALL) {
            return true;
        }
        return bucket(predictionId) < basisPoints;
    }

    /** 0-9999; String.hashCode is specified, so every process agrees, and the finaliser spreads similar ids. */
    static int bucket(String predictionId) {
        int h = predictionId.hashCode();
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return Math.floorMod(h, TrafficSlot.ALL);
    }
}

package health.vigil.canary;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded prediction streams for canary tests: scores from a Beta-like distribution (the mean of two uniforms raised
 * to a power), flagged above 0.5, a model input missing with a given probability. A degraded canary shifts its
 * scores up. Each prediction is of a patient whom routing puts in its slot at any step of a ramp: the canary's
 * pseudonyms fall in bucket 0, stable's in bucket 9999.
 */
final class CanaryTraffic {
    /** A pseudonym in routing bucket 0: on the canary at every weight. */
    static final String CANARY_PATIENT = "0".repeat(64);
    /** A pseudonym in routing bucket 9999 (0x270f): on stable at every step a ramp judges. */
    static final String STABLE_PATIENT = "000270f" + "0".repeat(57);

    private final SplittableRandom random;

    CanaryTraffic(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** {@code count} predictions of one slot spread evenly over {@code window} from {@code from}. */
    void write(PredictionLog log, ModelName model, Slot slot, int version, int count, Instant from, Duration window,
            double scoreShift, double missingRate) {
        write(log, model, slot, version, count, from, window, scoreShift, missingRate,
                slot == Slot.CANARY ? CANARY_PATIENT : STABLE_PATIENT);
    }

    /** As above, every prediction of the patient with {@code pseudonym}. */
    void write(PredictionLog log, ModelName model, Slot slot, int version, int count, Instant from, Duration window,
            double scoreShift, double missingRate, String pseudonym) {
        List<PredictionRecord> batch = new ArrayList<>();
        long step = Math.max(1, window.toMillis() / Math.max(1, count));
        for (int i = 0; i < count; i++) {
            double score = Math.min(1, Math.pow((random.nextDouble() + random.nextDouble()) / 2, 1.3) + scoreShift);
            float[] features = {1f, random.nextDouble() < missingRate ? Float.NaN : 2f};
            batch.add(new PredictionRecord(UUID.randomUUID().toString(), model, version, slot, pseudonym,
                    from.plusMillis(i * step), features, score, score >= 0.5, null));
        }
        log.append(batch);
    }
}

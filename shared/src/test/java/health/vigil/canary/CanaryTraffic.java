package health.vigil.canary;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.routing.RoutedPatients;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Seeded prediction streams for canary tests: scores from a Beta-like distribution (the mean of two uniforms raised
 * to a power), flagged above 0.5, a model input missing with a given probability. A degraded canary shifts its
 * scores up. Each prediction is of a patient whom the model's running ramp routes to its slot at any step: the
 * canary's pseudonyms fall in bucket 0 under the ramp's salt, stable's in bucket 9999.
 */
final class CanaryTraffic {
    private final SplittableRandom random;
    private final RegistryStore store;

    /** @param store where the model's deployment, whose ramp salts the patients' buckets, is read */
    CanaryTraffic(long seed, RegistryStore store) {
        this.random = new SplittableRandom(seed);
        this.store = store;
    }

    /** A patient on the model's canary at every weight. */
    String canaryPatient(ModelName model) {
        return RoutedPatients.onCanary(store.findDeployment(model).orElseThrow());
    }

    /** A patient on the model's stable version at every step its ramp judges. */
    String stablePatient(ModelName model) {
        return RoutedPatients.onStable(store.findDeployment(model).orElseThrow());
    }

    /** {@code count} predictions of one slot spread evenly over {@code window} from {@code from}. */
    void write(PredictionLog log, ModelName model, Slot slot, int version, int count, Instant from, Duration window,
            double scoreShift, double missingRate) {
        write(log, model, slot, version, count, from, window, scoreShift, missingRate,
                slot == Slot.CANARY ? canaryPatient(model) : stablePatient(model));
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

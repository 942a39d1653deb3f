package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The log of scoring decisions. {@link #append} returns once the records are durable, so an answered
 * request is never lost; implementations commit many callers' records together (group commit).
 */
public interface PredictionLog extends AutoCloseable {

    void append(List<PredictionRecord> records);

    /** Streams a model's records with {@code from <= time < to}, in time order. */
    void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink);

    /**
     * The record of {@code predictionId} of {@code model}, logged at {@code time} (to the millisecond, as the
     * prediction id carries it); a point read within that hour, never a scan of the log.
     */
    Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time);

    /**
     * The record of {@code predictionId} in whichever of {@code models} logged it, the time read from the id
     * (one point read per model); empty when the id is not a prediction id or no model has it.
     */
    default Optional<PredictionRecord> find(String predictionId, Collection<ModelName> models) {
        Optional<Instant> time = PredictionIds.timeOf(predictionId);
        if (time.isEmpty()) {
            return Optional.empty();
        }
        for (ModelName model : models) {
            Optional<PredictionRecord> found = find(model, predictionId, time.get());
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** Deletes records older than {@code cutoff}; returns how many went. */
    long purgeOlderThan(Instant cutoff);

    @Override
    void close();
}

package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import java.time.Instant;
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
     * The record of one prediction, by the id scoring gave it; empty when no record has that id (never made, or
     * purged at the end of its retention). Ids carry their time ({@link health.vigil.model.PredictionId}), so
     * the log looks only where that time's records are; an id without a time is never found.
     */
    Optional<PredictionRecord> find(String predictionId);

    /** Deletes records older than {@code cutoff}; returns how many went. */
    long purgeOlderThan(Instant cutoff);

    @Override
    void close();
}

package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The log of scoring decisions. {@link #append} returns once the records are durable, so an answered
 * request is never lost; implementations commit many callers' records together (group commit).
 */
public interface PredictionLog extends AutoCloseable {

    void append(List<PredictionRecord> records);

    /** Streams a model's records with {@code from <= time < to}, in time order. */
    void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink);

    /** Deletes records older than {@code cutoff}; returns how many went. */
    long purgeOlderThan(Instant cutoff);

    @Override
    void close();
}

package health.vigil.canary;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A prediction log in a list, for the canary service's unit tests. */
public final class InMemoryPredictionLog implements PredictionLog {
    private final List<PredictionRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public void append(List<PredictionRecord> batch) {
        records.addAll(batch);
    }

    @Override
    public void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink) {
        records.stream().filter(r -> r.modelName().equals(model) && !r.time().isBefore(from) && r.time().isBefore(to))
                .sorted(Comparator.comparing(PredictionRecord::time)).forEach(sink);
    }

    @Override
    public Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time) {
        return records.stream().filter(r -> r.modelName().equals(model) && r.predictionId().equals(predictionId))
                .findFirst();
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        return 0;
    }

    @Override
    public void close() {}
}

package health.vigil.canary;

import health.vigil.model.ModelName;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link RequestStatsStore} in a map, for unit tests of the services that read and write it. */
public final class InMemoryRequestStatsStore implements RequestStatsStore {
    private final Map<String, SlotMinuteStats> records = new ConcurrentHashMap<>();

    @Override
    public void upsert(List<SlotMinuteStats> stats) {
        stats.forEach(s -> records.put(s.model().value() + "|" + s.key(), s));
    }

    @Override
    public List<SlotMinuteStats> read(ModelName model, Instant from, Instant to) {
        Instant first = from.truncatedTo(ChronoUnit.MINUTES);
        return records.values().stream().filter(s -> s.model().equals(model))
                .filter(s -> !s.minute().isBefore(first) && s.minute().isBefore(to)).toList();
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        List<String> old = records.entrySet().stream().filter(e -> e.getValue().minute().isBefore(cutoff))
                .map(Map.Entry::getKey).toList();
        old.forEach(records::remove);
        return old.size();
    }

    @Override
    public void close() {}
}

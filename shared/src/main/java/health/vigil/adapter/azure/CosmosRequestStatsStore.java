package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.model.ModelName;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-minute request statistics in the {@code predictions} container (its TTL and access already fit: the scoring
 * app writes, the control app reads), partitioned by {@code stats:<model>:<yyyyMMddHH>}, so a canary window is read
 * with one partition read per hour and no query. A record's id is its key (version, slot, minute, instance and canary
 * step; a document written before steps were recorded has no step and keeps its id); an instance's later count of the
 * same minute and step replaces the earlier one (upsert). Each record carries {@code ttl} = the
 * prediction retention. Index documents (in the prediction log's index partition) list the models and each model's
 * hours, so a purge finds its partitions with point reads.
 */
final class CosmosRequestStatsStore implements RequestStatsStore {
    static final String TYPE_STATS = "request-stats";
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    private final CosmosContainer container;
    private final Duration retention;
    private final CosmosStringSet models;
    /** Index entries this process knows are stored, so each is written once per process. */
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();

    CosmosRequestStatsStore(CosmosContainer container, Duration retention) {
        this.container = Objects.requireNonNull(container, "container");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.models = new CosmosStringSet(container, CosmosPredictionLog.PARTITION_PROPERTY,
                CosmosPredictionLog.INDEX_PARTITION, "request-stats-models");
    }

    private CosmosStringSet hoursIndex(ModelName model) {
        return new CosmosStringSet(container, CosmosPredictionLog.PARTITION_PROPERTY, CosmosPredictionLog.INDEX_PARTITION,
                "request-stats-hours:" + model.value());
    }

    private void index(SlotMinuteStats r) {
        String hour = HOUR.format(r.minute());
        String model = r.model().value();
        if (indexed.add(model + "|" + hour)) {
            try {
                if (indexed.add(model)) {
                    models.add(model);
                }
                hoursIndex(r.model()).add(hour);
            } catch (RuntimeException e) {
                indexed.remove(model + "|" + hour);
                indexed.remove(model);
                throw e;
            }
        }
    }

    static String partition(ModelName model, Instant minute) {
        return "stats:" + model.value() + ":" + HOUR.format(minute);
    }

    @Override
    public void upsert(List<SlotMinuteStats> records) {
        long ttl = Math.min(Integer.MAX_VALUE, Math.max(1, retention.toSeconds()));
        for (SlotMinuteStats r : records) {
            index(r);
            String partition = partition(r.model(), r.minute());
            ObjectNode doc = CosmosDocuments.document(r.key(), CosmosPredictionLog.PARTITION_PROPERTY, partition,
                    TYPE_STATS);
            doc.put("ttl", ttl);
            CosmosDocuments.withBody(doc, r);
            try {
                container.upsertItem(doc, new PartitionKey(partition), new CosmosItemRequestOptions());
            } catch (CosmosException e) {
                throw CosmosFailures.translate("storing request statistics of " + r.model(), e);
            }
        }
    }

    @Override
    public List<SlotMinuteStats> read(ModelName model, Instant from, Instant to) {
        Objects.requireNonNull(model, "model");
        List<SlotMinuteStats> found = new ArrayList<>();
        Instant first = from.truncatedTo(ChronoUnit.MINUTES);
        for (Instant hour = from.truncatedTo(ChronoUnit.HOURS); hour.isBefore(to); hour = hour.plus(1, ChronoUnit.HOURS)) {
            for (ObjectNode doc : readPartition(partition(model, hour))) {
                SlotMinuteStats r = CosmosDocuments.body(doc, SlotMinuteStats.class);
                if (!r.minute().isBefore(first) && r.minute().isBefore(to)) {
                    found.add(r);
                }
            }
        }
        found.sort(Comparator.comparing(SlotMinuteStats::minute).thenComparing(SlotMinuteStats::key));
        return found;
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        long purged = 0;
        for (String model : models.read()) {
            ModelName name = new ModelName(model);
            CosmosStringSet hours = hoursIndex(name);
            List<String> emptied = new ArrayList<>();
            for (String hour : hours.read()) {
                Instant start = HOUR.parse(hour, java.time.LocalDateTime::from).toInstant(ZoneOffset.UTC);
                if (!start.isBefore(cutoff)) {
                    continue;
                }
                String partition = partition(name, start);
                for (ObjectNode doc : readPartition(partition)) {
                    if (CosmosDocuments.body(doc, SlotMinuteStats.class).minute().isBefore(cutoff)) {
                        delete(doc.path(CosmosDocuments.ID).asText(), partition);
                        purged++;
                    }
                }
                if (!start.plus(1, ChronoUnit.HOURS).isAfter(cutoff)) {
                    emptied.add(hour);
                }
            }
            if (!emptied.isEmpty()) {
                hours.removeAll(emptied);
                emptied.forEach(h -> indexed.remove(model + "|" + h));
            }
        }
        return purged;
    }

    private void delete(String id, String partition) {
        CosmosDocuments.deleteIfPresent(container, id, partition, "purging request statistics");
    }

    private List<ObjectNode> readPartition(String partition) {
        return CosmosDocuments.readPartition(container, partition, TYPE_STATS, "reading request statistics");
    }

    @Override
    public void close() {
        // The Cosmos DB client belongs to AzureAdapters, which closes it.
    }
}

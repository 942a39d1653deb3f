package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The prediction log in the Cosmos DB container {@code predictions}, partitioned by {@code /partition} =
 * {@code <model>:<yyyyMMddHH>:<shard>}: one logical partition per model, UTC hour and shard, so writes spread over
 * shards and a drift check reads whole partitions instead of querying. Each record's id is its prediction id, so a
 * retried append is idempotent; each carries {@code ttl} = the retention, which Cosmos DB enforces when the
 * container has TTL on. An index document per model lists its hours (with the shard count they were written with),
 * so scans and purges find their partitions with point reads.
 *
 * <p>{@link #append} writes a batch's records in parallel and returns when all are stored; concurrent callers'
 * writes share the connection pool, which is the Cosmos DB form of group commit.
 */
final class CosmosPredictionLog implements PredictionLog {
    static final String CONTAINER = "predictions";
    static final String PARTITION_PROPERTY = "partition";
    static final String TYPE_PREDICTION = "prediction";
    static final String INDEX_PARTITION = "_index";
    static final String MODELS_INDEX_ID = "models";
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    private final CosmosContainer container;
    private final int shards;
    private final long ttlSeconds;
    private final ExecutorService writers;
    private final CosmosStringSet models;
    /** Index entries this process knows are stored, so the index is written once per model, hour and process. */
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    CosmosPredictionLog(CosmosContainer container, int shards, Duration retention, int parallelism) {
        this.container = Objects.requireNonNull(container, "container");
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1");
        }
        this.shards = shards;
        this.ttlSeconds = Math.min(Integer.MAX_VALUE, Math.max(1, retention.toSeconds()));
        AtomicInteger n = new AtomicInteger();
        this.writers = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "vigil-prediction-log-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.models = new CosmosStringSet(container, PARTITION_PROPERTY, INDEX_PARTITION, MODELS_INDEX_ID);
    }

    static String partition(ModelName model, String hour, int shard) {
        return model.value() + ":" + hour + ":" + shard;
    }

    /** A stable shard: String.hashCode is specified, so every process puts a prediction id in the same shard. */
    static int shardOf(String predictionId, int shards) {
        return Math.floorMod(predictionId.hashCode(), shards);
    }

    @Override
    public void append(List<PredictionRecord> records) {
        Objects.requireNonNull(records, "records");
        checkOpen();
        if (records.isEmpty()) {
            return;
        }
        records.forEach(r -> checkId(r.predictionId()));
        indexHours(records);
        List<Future<?>> writes = new ArrayList<>(records.size());
        for (PredictionRecord record : records) {
            writes.add(writers.submit(() -> create(record)));
        }
        awaitAll(writes, "storing " + records.size() + " prediction records");
    }

    private void indexHours(List<PredictionRecord> records) {
        Map<ModelName, Set<String>> hours = new LinkedHashMap<>();
        for (PredictionRecord r : records) {
            String entry = HOUR.format(r.time()) + "/" + shards;
            if (!indexed.contains(r.modelName().value() + "|" + entry)) {
                hours.computeIfAbsent(r.modelName(), m -> new java.util.TreeSet<>()).add(entry);
            }
        }
        for (Map.Entry<ModelName, Set<String>> e : hours.entrySet()) {
            String model = e.getKey().value();
            if (!indexed.contains(model)) {
                models.add(model);
                indexed.add(model);
            }
            hoursIndex(e.getKey()).addAll(e.getValue());
            e.getValue().forEach(entry -> indexed.add(model + "|" + entry));
        }
    }

    private void create(PredictionRecord record) {
        String hour = HOUR.format(record.time());
        String partition = partition(record.modelName(), hour, shardOf(record.predictionId(), shards));
        ObjectNode doc = CosmosDocuments.document(record.predictionId(), PARTITION_PROPERTY, partition, TYPE_PREDICTION);
        doc.put("modelName", record.modelName().value());
        doc.put("time", record.time().toString());
        doc.put("ttl", ttlSeconds);
        CosmosDocuments.withBody(doc, record);
        try {
            container.createItem(doc, new PartitionKey(partition), new CosmosItemRequestOptions());
        } catch (CosmosException e) {
            if (e.getStatusCode() != 409) {
                throw CosmosFailures.translate("storing a prediction record of " + record.modelName(), e);
            }
            // Already stored by an earlier attempt of the same append.
        }
    }

    @Override
    public void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sink, "sink");
        checkOpen();
        if (!from.isBefore(to)) {
            return;
        }
        for (Map.Entry<Instant, Integer> hour : hours(model).entrySet()) {
            Instant start = hour.getKey();
            if (!start.isBefore(to) || !start.plus(1, ChronoUnit.HOURS).isAfter(from)) {
                continue;
            }
            List<PredictionRecord> inHour = new ArrayList<>();
            for (int shard = 0; shard < hour.getValue(); shard++) {
                for (ObjectNode doc : readPartition(partition(model, HOUR.format(start), shard))) {
                    PredictionRecord r = CosmosDocuments.body(doc, PredictionRecord.class);
                    if (!r.time().isBefore(from) && r.time().isBefore(to)) {
                        inHour.add(r);
                    }
                }
            }
            inHour.sort(Comparator.comparing(PredictionRecord::time).thenComparing(PredictionRecord::predictionId));
            inHour.forEach(sink);
        }
    }

    /** Every shard of every hour of the window that the model's hours index lists. */
    @Override
    public List<Partition> partitions(ModelName model, Instant from, Instant to) {
        Objects.requireNonNull(model, "model");
        checkOpen();
        List<Partition> out = new ArrayList<>();
        for (Map.Entry<Instant, Integer> hour : hours(model).entrySet()) {
            Instant start = hour.getKey();
            if (start.isBefore(to) && start.plus(1, ChronoUnit.HOURS).isAfter(from)) {
                for (int shard = 0; shard < hour.getValue(); shard++) {
                    out.add(new Partition(start, shard));
                }
            }
        }
        return out;
    }

    /**
     * One logical partition (it is read whole anyway), in time order so that every reader of it sums its records in
     * the same order.
     */
    @Override
    public void scan(ModelName model, Partition partition, Instant from, Instant to, Consumer<PredictionRecord> sink) {
        Objects.requireNonNull(sink, "sink");
        checkOpen();
        List<PredictionRecord> inWindow = new ArrayList<>();
        for (ObjectNode doc : readPartition(partition(model, HOUR.format(partition.hour()), partition.shard()))) {
            PredictionRecord r = CosmosDocuments.body(doc, PredictionRecord.class);
            if (!r.time().isBefore(from) && r.time().isBefore(to)) {
                inWindow.add(r);
            }
        }
        inWindow.sort(Comparator.comparing(PredictionRecord::time).thenComparing(PredictionRecord::predictionId));
        inWindow.forEach(sink);
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        checkOpen();
        long purged = 0;
        for (String name : models.read()) {
            ModelName model = new ModelName(name);
            CosmosStringSet index = hoursIndex(model);
            java.util.SortedSet<String> entries = index.read();
            List<String> emptied = new ArrayList<>();
            for (Map.Entry<Instant, Integer> hour : hours(entries).entrySet()) {
                Instant start = hour.getKey();
                if (!start.isBefore(cutoff)) {
                    continue;
                }
                List<Future<?>> deletes = new ArrayList<>();
                for (int shard = 0; shard < hour.getValue(); shard++) {
                    String partition = partition(model, HOUR.format(start), shard);
                    for (ObjectNode doc : readPartition(partition)) {
                        if (Instant.parse(doc.path("time").asText()).isBefore(cutoff)) {
                            String id = doc.path(CosmosDocuments.ID).asText();
                            deletes.add(writers.submit(() -> delete(id, partition)));
                        }
                    }
                }
                awaitAll(deletes, "purging prediction records of " + model);
                purged += deletes.size();
                if (!start.plus(1, ChronoUnit.HOURS).isAfter(cutoff)) {
                    String key = HOUR.format(start) + "/";
                    entries.stream().filter(e -> e.startsWith(key)).forEach(emptied::add);
                }
            }
            if (!emptied.isEmpty()) {
                index.removeAll(emptied);
                emptied.forEach(e -> indexed.remove(name + "|" + e));
            }
        }
        return purged;
    }

    private void delete(String id, String partition) {
        CosmosDocuments.deleteIfPresent(container, id, partition, "purging a prediction record");
    }

    @Override
    public Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time) {
        Objects.requireNonNull(model, "model");
        checkOpen();
        Instant hour = time.truncatedTo(ChronoUnit.HOURS);
        Integer shards = hours(model).get(hour);
        return shards == null ? Optional.empty() : read(model, predictionId, hour, shards);
    }

    /**
     * Point reads, in parallel on the writers' pool, of each version 7 id in the hour it carries, if the model's hours
     * index (read once) lists that hour; an id of another form, or of an hour without records, costs no read.
     */
    @Override
    public Set<String> logged(ModelName model, Collection<String> predictionIds) {
        Objects.requireNonNull(model, "model");
        checkOpen();
        TreeMap<Instant, Integer> hours = null;
        Set<String> found = ConcurrentHashMap.newKeySet();
        List<Future<?>> reads = new ArrayList<>();
        for (String id : new LinkedHashSet<>(predictionIds)) {
            Optional<Instant> time = PredictionIds.timeOf(id);
            if (time.isEmpty()) {
                continue;
            }
            hours = hours == null ? hours(model) : hours;
            Instant hour = time.get().truncatedTo(ChronoUnit.HOURS);
            Integer shards = hours.get(hour);
            if (shards != null) {
                reads.add(writers.submit(() -> read(model, id, hour, shards).ifPresent(r -> found.add(id))));
            }
        }
        awaitAll(reads, "looking up " + reads.size() + " prediction ids of " + model);
        return Set.copyOf(found);
    }

    /**
     * The record of {@code predictionId} in {@code hour}, whose shard count is the largest any writer used: the id's
     * shard under it is read first, then the others.
     */
    private Optional<PredictionRecord> read(ModelName model, String predictionId, Instant hour, int shards) {
        int first = shardOf(predictionId, shards);
        for (int k = 0; k < shards; k++) {
            String partition = partition(model, HOUR.format(hour), (first + k) % shards);
            try {
                ObjectNode doc = container.readItem(predictionId, new PartitionKey(partition), ObjectNode.class).getItem();
                return Optional.of(CosmosDocuments.body(doc, PredictionRecord.class));
            } catch (CosmosException e) {
                // Only a missing item means "not in this shard": a missing container (404/1003) or a session not yet
                // readable (404/1002) would otherwise answer that a logged prediction does not exist.
                if (!CosmosDocuments.isMissingItem(e)) {
                    throw CosmosFailures.translate("reading a prediction record", e);
                }
            }
        }
        return Optional.empty();
    }

    /** The hours a model has records in, with the largest shard count each was written with. */
    private TreeMap<Instant, Integer> hours(ModelName model) {
        return hours(hoursIndex(model).read());
    }

    private static TreeMap<Instant, Integer> hours(java.util.SortedSet<String> entries) {
        TreeMap<Instant, Integer> hours = new TreeMap<>();
        for (String entry : entries) {
            int slash = entry.indexOf('/');
            Instant start = java.time.LocalDateTime.parse(entry.substring(0, slash),
                    DateTimeFormatter.ofPattern("yyyyMMddHH")).toInstant(ZoneOffset.UTC);
            hours.merge(start, Integer.parseInt(entry.substring(slash + 1)), Math::max);
        }
        return hours;
    }

    private CosmosStringSet hoursIndex(ModelName model) {
        return new CosmosStringSet(container, PARTITION_PROPERTY, INDEX_PARTITION, "hours:" + model.value());
    }

    private List<ObjectNode> readPartition(String partition) {
        return CosmosDocuments.readPartition(container, partition, TYPE_PREDICTION, "reading prediction records");
    }

    private static void awaitAll(List<Future<?>> futures, String what) {
        RuntimeException first = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException re ? re : new StoreException(what + " failed", e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while " + what, e);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Prediction ids are document ids, where Cosmos DB forbids / \ ? and #. Vigil makes them (UUIDs). */
    private static void checkId(String id) {
        if (id.isBlank() || id.length() > 255
                || id.chars().anyMatch(c -> c == '/' || c == '\\' || c == '?' || c == '#' || c < 0x20)) {
            throw new ValidationException("prediction id is not valid: use a UUID (no / \\ ? #, at most 255 characters)");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreException("the prediction log is closed; the app is shutting down", null);
        }
    }

    @Override
    public void close() {
        closed = true;
        writers.shutdown();
    }
}

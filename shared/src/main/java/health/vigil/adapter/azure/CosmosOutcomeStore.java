package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemIdentity;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.StoreException;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Outcomes in the Cosmos DB container {@code outcomes}, partitioned by {@code /partition} =
 * {@code <model>:<bucket>}, the bucket a stable hash of the outcome key. The item id is the key, so writing an
 * outcome is one create (a 409 means one is there already: it is read and returned, never replaced), and the
 * monitoring join reads a window's outcomes with {@code readMany} by id and partition: point operations only, no
 * query. Buckets spread one model's writes over several logical partitions.
 *
 * <p>Each outcome carries {@code ttl}: the seconds from its write until the prediction log's retention cut-off passes
 * the predictions it labels ({@link Outcome#labelsPredictionsBefore}), which Cosmos DB enforces with TTL on in the
 * container. Expiry, not a delete by the platform: no identity needs the right to delete an outcome.
 */
final class CosmosOutcomeStore implements OutcomeStore {
    static final String CONTAINER = "outcomes";
    static final String PARTITION_PROPERTY = "partition";
    static final String TYPE_OUTCOME = "outcome";
    static final int BUCKETS = 16;
    /** Items per readMany call. */
    private static final int IDS_PER_READ = 500;

    private final CosmosContainer container;
    private final Duration retention;

    CosmosOutcomeStore(CosmosContainer container, Duration retention) {
        this.container = Objects.requireNonNull(container, "container");
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    /**
     * The seconds an outcome written at {@code recordedAt} is kept: until {@code retention} after the predictions it
     * labels, so that it goes when they do; at least 1 (an outcome of predictions already past it goes at once).
     */
    static long ttlSeconds(Outcome outcome, Duration retention) {
        Instant expires = outcome.labelsPredictionsBefore().plus(retention);
        long seconds = Duration.between(outcome.recordedAt(), expires).toSeconds();
        return Math.min(Integer.MAX_VALUE, Math.max(1, seconds));
    }

    /** A stable bucket: String.hashCode is specified, so every process puts a key in the same partition. */
    static String partition(ModelName model, String key) {
        return model.value() + ":" + Math.floorMod(key.hashCode(), BUCKETS);
    }

    @Override
    public Optional<Outcome> putIfAbsent(Outcome outcome) {
        Objects.requireNonNull(outcome, "outcome");
        String partition = partition(outcome.model(), outcome.key());
        ObjectNode doc = CosmosDocuments.document(outcome.key(), PARTITION_PROPERTY, partition, TYPE_OUTCOME);
        doc.put("model", outcome.model().value());
        doc.put("positive", outcome.positive());
        doc.put("recordedAt", outcome.recordedAt().toString());
        doc.put("source", outcome.source());
        doc.put("ttl", ttlSeconds(outcome, retention));
        PartitionKey pk = new PartitionKey(partition);
        try {
            container.createItem(doc, pk, new CosmosItemRequestOptions());
            return Optional.empty();
        } catch (CosmosException e) {
            if (!CosmosFailures.isStatus(e, 409)) {
                throw CosmosFailures.translate("recording an outcome of " + outcome.model(), e);
            }
        }
        ObjectNode stored = CosmosDocuments.readOrNull(container, outcome.key(), pk,
                "reading the stored outcome of " + outcome.model());
        if (stored == null) {
            throw new StoreException("an outcome of " + outcome.model() + " was reported as present and then not"
                    + " found; send the batch again", null);
        }
        return Optional.of(outcome(outcome.model(), stored));
    }

    @Override
    public Map<String, Outcome> get(ModelName model, Collection<String> keys) {
        Objects.requireNonNull(model, "model");
        List<CosmosItemIdentity> ids = new ArrayList<>(keys.size());
        for (String key : keys) {
            ids.add(new CosmosItemIdentity(new PartitionKey(partition(model, key)), key));
        }
        Map<String, Outcome> found = new HashMap<>();
        for (int from = 0; from < ids.size(); from += IDS_PER_READ) {
            List<CosmosItemIdentity> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_READ));
            try {
                for (ObjectNode doc : container.readMany(chunk, ObjectNode.class).getResults()) {
                    Outcome o = outcome(model, doc);
                    found.put(o.key(), o);
                }
            } catch (CosmosException e) {
                throw CosmosFailures.translate("reading " + chunk.size() + " outcomes of " + model, e);
            }
        }
        return found;
    }

    /** Cosmos DB removes expired outcomes by their {@code ttl}; nothing is deleted here. */
    @Override
    public long purgeBefore(Instant cutoff, LongConsumer beforeRemoval) {
        Objects.requireNonNull(cutoff, "cutoff");
        return 0;
    }

    @Override
    public boolean expiresByTimeToLive() {
        return true;
    }

    private static Outcome outcome(ModelName model, ObjectNode doc) {
        return new Outcome(model, doc.path(CosmosDocuments.ID).asText(), doc.path("positive").asBoolean(),
                Instant.parse(doc.path("recordedAt").asText()), doc.path("source").asText());
    }
}

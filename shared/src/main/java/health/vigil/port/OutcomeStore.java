package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Realised outcomes of predictions, written once: a second outcome under the same key never replaces the first.
 * Reads are by key only (point reads), so the Cosmos DB adapter needs no query.
 */
public interface OutcomeStore {

    /**
     * Stores {@code outcome} unless an outcome is already stored under its model and key, atomically: returns empty
     * when it was stored now, or the earlier outcome (whose value may differ), which stays as it was.
     */
    Optional<Outcome> putIfAbsent(Outcome outcome);

    /**
     * {@link #putIfAbsent} for each outcome in order, as one durable write where the store can (one transaction
     * locally; Cosmos DB has no transaction across the partitions outcomes are spread over, so there each outcome is
     * its own create-once write). Answers in the same order: empty where stored now, else the earlier outcome. A key
     * twice in the list is stored once: the second finds the first.
     */
    default List<Optional<Outcome>> putAllIfAbsent(List<Outcome> outcomes) {
        List<Optional<Outcome>> out = new ArrayList<>(outcomes.size());
        for (Outcome outcome : outcomes) {
            out.add(putIfAbsent(outcome));
        }
        return out;
    }

    /** The outcomes stored under these keys of {@code model}; keys without an outcome are absent from the map. */
    Map<String, Outcome> get(ModelName model, Collection<String> keys);

    /**
     * Removes the outcomes of every model that label only predictions made before {@code cutoff}
     * ({@link Outcome#labelsPredictionsBefore} at or before it), telling {@code beforeRemoval} how many, once and
     * before any goes when there are some; returns how many this call removed. A store whose records expire by a
     * time to live it gives each when writing it (Cosmos DB) removes none here and returns 0.
     */
    long purgeBefore(Instant cutoff, LongConsumer beforeRemoval);

    /**
     * Whether the store removes outcomes itself, by a time to live it gives each when writing it (Cosmos DB), so that
     * {@link #purgeBefore} removes none and nobody can count the expired ones.
     */
    default boolean expiresByTimeToLive() {
        return false;
    }
}

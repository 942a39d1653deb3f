package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.StoreException;
import java.util.Collection;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A sorted set of strings kept in one Cosmos DB document and changed only with ETag-conditional writes, so
 * concurrent adds and removes all land. It stands in for the cross-partition queries that would otherwise list
 * models, audit days or prediction hours: reading it is one point read. Sets stay small (one entry per model,
 * day or hour), well under the 2 MB document limit.
 */
final class CosmosStringSet {
    private static final String MEMBERS = "members";
    private static final int MAX_ATTEMPTS = 100;

    private final CosmosContainer container;
    private final String partitionProperty;
    private final String partitionValue;
    private final String id;

    CosmosStringSet(CosmosContainer container, String partitionProperty, String partitionValue, String id) {
        this.container = container;
        this.partitionProperty = partitionProperty;
        this.partitionValue = partitionValue;
        this.id = id;
    }

    SortedSet<String> read() {
        ObjectNode doc = readDocument();
        return doc == null ? Collections.emptySortedSet() : members(doc);
    }

    void add(String value) {
        addAll(java.util.List.of(value));
    }

    void addAll(Collection<String> values) {
        update(set -> set.addAll(values), set -> set.containsAll(values));
    }

    void removeAll(Collection<String> values) {
        update(set -> set.removeAll(values), set -> values.stream().noneMatch(set::contains));
    }

    private void update(Consumer<SortedSet<String>> change, java.util.function.Predicate<SortedSet<String>> done) {
        PartitionKey pk = new PartitionKey(partitionValue);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ObjectNode doc = readDocument();
            SortedSet<String> set = doc == null ? new TreeSet<>() : members(doc);
            if (done.test(set)) {
                return;
            }
            change.accept(set);
            ObjectNode next = CosmosDocuments.document(id, partitionProperty, partitionValue, "set");
            ArrayNode array = next.putArray(MEMBERS);
            set.forEach(array::add);
            try {
                if (doc == null) {
                    container.createItem(next, pk, new CosmosItemRequestOptions());
                } else {
                    container.replaceItem(next, id, pk, new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(doc)));
                }
                return;
            } catch (CosmosException e) {
                if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
                    throw CosmosFailures.translate("updating the index " + id, e);
                }
                backOff(attempt);
            }
        }
        throw new StoreException("the index " + id + " changed under " + MAX_ATTEMPTS + " attempts in a row; retry", null);
    }

    private ObjectNode readDocument() {
        return CosmosDocuments.readOrNull(container, id, new PartitionKey(partitionValue), "reading the index " + id);
    }

    private static SortedSet<String> members(ObjectNode doc) {
        SortedSet<String> set = new TreeSet<>();
        for (JsonNode member : doc.path(MEMBERS)) {
            set.add(member.asText());
        }
        return set;
    }

    /** A short random pause so writers racing for one document do not collide again in lockstep. */
    static void backOff(int attempt) {
        long millis = ThreadLocalRandom.current().nextLong(1, 2 + Math.min(attempt, 10) * 3L);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while retrying a Cosmos DB update", e);
        }
    }
}

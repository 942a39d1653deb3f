package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.models.CosmosItemIdentity;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.json.Json;
import health.vigil.testing.emulators.AzureEmulators;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code readMany}, which the outcome join uses, on the Cosmos DB server the tests and {@code vigil up
 * --azure-emulators} run: the server answers the SDK's (id, partition key) query without its SQL parser (see
 * {@code emulators/cosmos-server.js}), and must answer it as Cosmos DB does: by the pair, never by the id alone,
 * every item found whatever the number asked for, nothing for what is absent.
 */
@ExtendWith(AzureEmulators.class)
class CosmosReadManyIT {
    private static final String PARTITION = CosmosOutcomeStore.PARTITION_PROPERTY;

    private CosmosTestDatabase db;
    private CosmosContainer container;

    @BeforeEach
    void createContainer() {
        db = CosmosTestDatabase.create(CosmosOutcomeStore.CONTAINER);
        container = db.container(CosmosOutcomeStore.CONTAINER);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void anItemIsFoundByItsIdAndPartitionNotByItsIdAlone() {
        put("shared-id", "left", 1);
        put("shared-id", "right", 2);
        put("other", "left", 3);

        assertThat(read(List.of(identity("shared-id", "right")))).containsExactly(Map.entry("right/shared-id", 2));
        assertThat(read(List.of(identity("shared-id", "nowhere"), identity("other", "right")))).isEmpty();
        assertThat(read(List.of(identity("shared-id", "left"), identity("other", "left"),
                identity("missing", "left")))).containsExactly(Map.entry("left/other", 3), Map.entry("left/shared-id", 1));
    }

    @Test
    void aLargeReadFindsEveryStoredItemAcrossPartitionsAndNothingElse() {
        List<CosmosItemIdentity> asked = new ArrayList<>();
        Map<String, Integer> expected = new TreeMap<>();
        for (int i = 0; i < 600; i++) {
            String id = "item-" + i;
            String partition = "bucket-" + (i % 16);
            if (i % 3 != 0) {
                put(id, partition, i);
                expected.put(partition + "/" + id, i);
            }
            asked.add(identity(id, partition));
        }
        put("item-1", "bucket-99", -1); // the same id as a wanted item, in a partition nobody asked for

        assertThat(read(asked)).isEqualTo(expected);
    }

    private void put(String id, String partition, int value) {
        ObjectNode doc = Json.mapper().createObjectNode();
        doc.put("id", id);
        doc.put(PARTITION, partition);
        doc.put("value", value);
        container.createItem(doc, new PartitionKey(partition), new CosmosItemRequestOptions());
    }

    private static CosmosItemIdentity identity(String id, String partition) {
        return new CosmosItemIdentity(new PartitionKey(partition), id);
    }

    /** "partition/id" to the stored value, for every item the read returned. */
    private Map<String, Integer> read(List<CosmosItemIdentity> identities) {
        Map<String, Integer> found = new TreeMap<>();
        for (ObjectNode doc : container.readMany(identities, ObjectNode.class).getResults()) {
            String key = doc.path(PARTITION).asText() + "/" + doc.path("id").asText();
            assertThat(found.put(key, doc.path("value").asInt())).as("returned twice: " + key).isNull();
        }
        return found;
    }
}

package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosClient;
import com.azure.cosmos.CosmosClientBuilder;
import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosDatabase;
import com.azure.cosmos.models.CosmosContainerProperties;
import health.vigil.testing.emulators.AzureEmulators;
import java.util.Map;
import java.util.UUID;

/** A fresh Cosmos DB database per test, on the server {@link AzureEmulators#cosmos()} gives, deleted afterwards. */
final class CosmosTestDatabase implements AutoCloseable {
    private static final Map<String, String> PARTITION_KEYS = Map.of(
            CosmosRegistryStore.CONTAINER, "/" + CosmosRegistryStore.PARTITION_PROPERTY,
            CosmosAuditStore.CONTAINER, "/" + CosmosAuditStore.PARTITION_PROPERTY,
            CosmosPredictionLog.CONTAINER, "/" + CosmosPredictionLog.PARTITION_PROPERTY,
            CosmosOutcomeStore.CONTAINER, "/" + CosmosOutcomeStore.PARTITION_PROPERTY);
    private static CosmosClient client;
    private static String clientEndpoint;

    private final CosmosDatabase database;

    private CosmosTestDatabase(CosmosDatabase database) {
        this.database = database;
    }

    /** Creates a database holding the named containers, with the partition keys Vigil's Bicep templates use. */
    static CosmosTestDatabase create(String... containers) {
        CosmosClient c = client();
        String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
        c.createDatabase(name);
        CosmosDatabase db = c.getDatabase(name);
        for (String container : containers) {
            CosmosContainerProperties props = new CosmosContainerProperties(container, PARTITION_KEYS.get(container));
            if (container.equals(CosmosPredictionLog.CONTAINER)) {
                props.setDefaultTimeToLiveInSeconds(-1);
            }
            db.createContainer(props);
        }
        return new CosmosTestDatabase(db);
    }

    static synchronized CosmosClient client() {
        AzureEmulators.CosmosTarget target = AzureEmulators.cosmos();
        if (client == null || !target.endpoint().equals(clientEndpoint)) {
            client = new CosmosClientBuilder().endpoint(target.endpoint()).key(target.key()).gatewayMode()
                    .throttlingRetryOptions(AzureAdapters.THROTTLING).contentResponseOnWriteEnabled(false)
                    .buildClient();
            clientEndpoint = target.endpoint();
        }
        return client;
    }

    CosmosContainer container(String name) {
        return database.getContainer(name);
    }

    String name() {
        return database.getId();
    }

    @Override
    public void close() {
        database.delete();
    }
}

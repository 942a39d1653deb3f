package health.vigil.adapter.azure;

import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.contract.RegistryStoreContract;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.port.AuditStore;
import health.vigil.port.RegistryStore;
import health.vigil.testing.emulators.AzureEmulators;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the {@link RegistryStore} contract against {@link CosmosRegistryStore} on a real Cosmos DB server. */
@ExtendWith(AzureEmulators.class)
class CosmosRegistryStoreContractIT extends RegistryStoreContract {
    private static CosmosTestDatabase db;

    @Override
    protected RegistryStore newStore() {
        // Model names are unique per test, so one database serves the whole class.
        if (db == null) {
            db = CosmosTestDatabase.create(CosmosRegistryStore.CONTAINER, CosmosAuditStore.CONTAINER);
        }
        return new CosmosRegistryStore(db.container(CosmosRegistryStore.CONTAINER));
    }

    @Override
    protected AuditStore newAuditStore() {
        return new CosmosAuditStore(db.container(CosmosAuditStore.CONTAINER));
    }

    @Override
    protected void storeDeploymentAsWrittenEarlier(ModelName model, String document) {
        db.container(CosmosRegistryStore.CONTAINER).createItem(CosmosDocuments.withBody(
                CosmosDocuments.document(CosmosRegistryStore.DEPLOYMENT_ID, CosmosRegistryStore.PARTITION_PROPERTY,
                        model.value(), CosmosRegistryStore.TYPE_DEPLOYMENT),
                Json.readTree("a deployment as an earlier release stored it", document)),
                new PartitionKey(model.value()), new CosmosItemRequestOptions());
    }

    @Override
    protected void replaceVersionAsWrittenEarlier(ModelName model, int version, String document) {
        var container = db.container(CosmosRegistryStore.CONTAINER);
        PartitionKey partition = new PartitionKey(model.value());
        String id = CosmosRegistryStore.versionId(version);
        ObjectNode stored = container.readItem(id, partition, ObjectNode.class).getItem();
        stored.set(CosmosDocuments.BODY, Json.readTree("a version as an earlier release stored it", document));
        container.replaceItem(stored, id, partition, new CosmosItemRequestOptions());
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
            db = null;
        }
    }
}

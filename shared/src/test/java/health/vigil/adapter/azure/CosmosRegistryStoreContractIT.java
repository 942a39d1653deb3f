package health.vigil.adapter.azure;

import health.vigil.contract.RegistryStoreContract;
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

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
            db = null;
        }
    }
}

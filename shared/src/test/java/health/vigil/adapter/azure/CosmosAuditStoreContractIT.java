package health.vigil.adapter.azure;

import health.vigil.contract.AuditStoreContract;
import health.vigil.port.AuditStore;
import health.vigil.testing.emulators.AzureEmulators;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the {@link AuditStore} contract against {@link CosmosAuditStore} on a real Cosmos DB server. */
@ExtendWith(AzureEmulators.class)
class CosmosAuditStoreContractIT extends AuditStoreContract {
    private static CosmosTestDatabase db;

    @Override
    protected AuditStore newStore() {
        // Partitions are unique per test, so one database serves the whole class.
        if (db == null) {
            db = CosmosTestDatabase.create(CosmosAuditStore.CONTAINER);
        }
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

package health.vigil.adapter.azure;

import health.vigil.contract.RequestStatsStoreContract;
import health.vigil.port.RequestStatsStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the {@link RequestStatsStore} contract against {@link CosmosRequestStatsStore} on a real Cosmos DB server. */
@ExtendWith(AzureEmulators.class)
class CosmosRequestStatsStoreContractIT extends RequestStatsStoreContract {
    private CosmosTestDatabase db;

    @Override
    protected RequestStatsStore newStore() {
        db = CosmosTestDatabase.create(CosmosPredictionLog.CONTAINER);
        return new CosmosRequestStatsStore(db.container(CosmosPredictionLog.CONTAINER), Duration.ofDays(400));
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }
}

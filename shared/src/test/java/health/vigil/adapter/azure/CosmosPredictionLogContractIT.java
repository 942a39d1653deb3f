package health.vigil.adapter.azure;

import health.vigil.contract.PredictionLogContract;
import health.vigil.port.PredictionLog;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the {@link PredictionLog} contract against {@link CosmosPredictionLog} on a real Cosmos DB server, with
 * three shards so records of one hour really spread over several partitions.
 */
@ExtendWith(AzureEmulators.class)
class CosmosPredictionLogContractIT extends PredictionLogContract {
    private CosmosTestDatabase db;

    @Override
    protected PredictionLog newLog() {
        // Purging is log-wide: every test gets its own database.
        db = CosmosTestDatabase.create(CosmosPredictionLog.CONTAINER);
        return new CosmosPredictionLog(db.container(CosmosPredictionLog.CONTAINER), 3, Duration.ofDays(400), 8);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }
}

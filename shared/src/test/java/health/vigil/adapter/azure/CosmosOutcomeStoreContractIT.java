package health.vigil.adapter.azure;

import health.vigil.contract.OutcomeStoreContract;
import health.vigil.port.OutcomeStore;
import health.vigil.testing.emulators.AzureEmulators;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the {@link OutcomeStore} contract against {@link CosmosOutcomeStore} on a real Cosmos DB server. */
@ExtendWith(AzureEmulators.class)
class CosmosOutcomeStoreContractIT extends OutcomeStoreContract {
    private CosmosTestDatabase db;

    @Override
    protected OutcomeStore newStore() {
        db = CosmosTestDatabase.create(CosmosOutcomeStore.CONTAINER);
        return new CosmosOutcomeStore(db.container(CosmosOutcomeStore.CONTAINER));
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }
}

package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.contract.OutcomeStoreContract;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the {@link OutcomeStore} contract against {@link CosmosOutcomeStore} on a real Cosmos DB server. */
@ExtendWith(AzureEmulators.class)
class CosmosOutcomeStoreContractIT extends OutcomeStoreContract {
    private static final Duration RETENTION = Duration.ofDays(90);
    private CosmosTestDatabase db;
    private CosmosOutcomeStore store;

    @Override
    protected OutcomeStore newStore() {
        db = CosmosTestDatabase.create(CosmosOutcomeStore.CONTAINER);
        store = new CosmosOutcomeStore(db.container(CosmosOutcomeStore.CONTAINER), RETENTION);
        return store;
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    /** Cosmos DB removes an outcome by the {@code ttl} it is written with: the run itself removes none. */
    @Test
    void anOutcomeIsWrittenWithTheTimeToLiveOfItsPredictions() {
        ModelName model = new ModelName("readmission");
        Instant recorded = Instant.parse("2026-12-01T09:00:00Z");
        Outcome outcome = new Outcome(model, Outcome.patientDayKey("pseudo", Instant.parse("2026-11-20T15:00:00Z")),
                true, recorded, "api");
        store.putIfAbsent(outcome);

        ObjectNode doc = db.container(CosmosOutcomeStore.CONTAINER).readItem(outcome.key(),
                new PartitionKey(CosmosOutcomeStore.partition(model, outcome.key())), ObjectNode.class).getItem();

        assertThat(doc.path("ttl").asLong()).isEqualTo(CosmosOutcomeStore.ttlSeconds(outcome, RETENTION))
                .isEqualTo(Duration.between(recorded, Instant.parse("2027-02-19T00:00:00Z")).toSeconds());
        assertThat(store.purgeBefore(recorded, count -> { })).isZero();
        assertThat(store.get(model, java.util.List.of(outcome.key()))).containsOnlyKeys(outcome.key());
    }
}

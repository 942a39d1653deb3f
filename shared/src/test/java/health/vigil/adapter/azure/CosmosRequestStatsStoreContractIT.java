package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.contract.RequestStatsStoreContract;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

    @Test
    void aDocumentWrittenBeforeStepsWereRecordedIsReadWithoutAStep() {
        ModelName model = new ModelName("readmission");
        Instant minute = Instant.parse("2026-03-01T08:59:00Z");
        SlotMinuteStats older = new SlotMinuteStats(model, 2, Slot.CANARY, null, minute, "a", 40, 1, 3,
                LatencyHistogram.empty());
        String partition = CosmosRequestStatsStore.partition(model, minute);
        ObjectNode doc = CosmosDocuments.withBody(CosmosDocuments.document(older.key(),
                CosmosPredictionLog.PARTITION_PROPERTY, partition, CosmosRequestStatsStore.TYPE_STATS), older);
        ((ObjectNode) doc.get(CosmosDocuments.BODY)).remove("step");
        db.container(CosmosPredictionLog.CONTAINER).createItem(doc, new PartitionKey(partition),
                new CosmosItemRequestOptions());

        assertThat(store.read(model, minute, minute.plusSeconds(60))).singleElement().satisfies(r -> {
            assertThat(r.step()).isNull();
            assertThat(List.of(r.answered(), r.refused(), r.failed())).containsExactly(40L, 1L, 3L);
        });
    }
}

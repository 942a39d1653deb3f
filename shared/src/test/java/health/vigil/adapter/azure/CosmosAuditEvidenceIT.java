package health.vigil.adapter.azure;

import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.contract.AuditEvidenceContract;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed evidence on the Cosmos DB audit store (a fresh database per test, since anchors cover the whole log),
 * tampered with through the Cosmos API directly. The evidence itself goes to a folder here: Azurite's
 * {@code audit-exports} container is shared by every test, and the platform test on the emulators
 * ({@code AzureEmulatorsPlatformIT}) writes and verifies evidence in Blob Storage.
 */
@ExtendWith(AzureEmulators.class)
class CosmosAuditEvidenceIT extends AuditEvidenceContract {
    @TempDir
    Path folder;

    private CosmosTestDatabase db;

    @Override
    protected AuditStore newStore() {
        db = CosmosTestDatabase.create(CosmosAuditStore.CONTAINER);
        return new CosmosAuditStore(db.container(CosmosAuditStore.CONTAINER));
    }

    @Override
    protected ArtifactStore newArtifacts() {
        return LocalAdapters.at(folder, VigilConfig.PredictionLogDurability.DEFAULT).artifactStore();
    }

    @Override
    protected void overwrite(AuditRecord record) {
        ObjectNode doc = CosmosDocuments.document(CosmosAuditStore.recordId(record.partition(), record.sequence()),
                CosmosAuditStore.PARTITION_PROPERTY, record.partition(), CosmosAuditStore.TYPE_RECORD);
        doc.put("sequence", record.sequence());
        CosmosDocuments.withBody(doc, record);
        db.container(CosmosAuditStore.CONTAINER).upsertItem(doc, new PartitionKey(record.partition()),
                new CosmosItemRequestOptions());
    }

    @Override
    protected void corrupt(String partition, long sequence) {
        ObjectNode doc = CosmosDocuments.document(CosmosAuditStore.recordId(partition, sequence),
                CosmosAuditStore.PARTITION_PROPERTY, partition, CosmosAuditStore.TYPE_RECORD);
        doc.put("sequence", sequence);
        doc.put("body", "damaged");
        db.container(CosmosAuditStore.CONTAINER).upsertItem(doc, new PartitionKey(partition),
                new CosmosItemRequestOptions());
    }

    @Override
    protected void remove(String partition, long sequence) {
        db.container(CosmosAuditStore.CONTAINER).deleteItem(CosmosAuditStore.recordId(partition, sequence),
                new PartitionKey(partition), new CosmosItemRequestOptions());
    }

    @AfterEach
    void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }
}

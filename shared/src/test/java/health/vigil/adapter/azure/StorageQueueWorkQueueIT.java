package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.QueueServiceClientBuilder;
import com.azure.storage.queue.models.QueueMessageItem;
import health.vigil.config.VigilConfig;
import health.vigil.error.StoreException;
import health.vigil.port.WorkQueue;
import health.vigil.testing.emulators.AzureEmulators;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The work queue the scoring and control apps put batch partitions and monitoring partitions on, against Azurite's
 * Queue service: built by the apps' own factory from app settings, it creates the queue and writes messages Base64
 * encoded, which is how the Functions host's queue trigger reads them.
 */
@ExtendWith(AzureEmulators.class)
class StorageQueueWorkQueueIT {

    @Test
    void messagesArriveBase64EncodedAsTheFunctionsQueueTriggerReadsThem() throws Exception {
        QueueClient raw = rawService().getQueueClient(WorkQueue.BATCH_PARTITIONS);
        raw.deleteIfExists(); // the factory must create it
        List<String> sent = List.of("{\"batchId\":\"4f1c2a7e-9b3d-4c1e-8f00-123456789abc\",\"partition\":0}",
                "{\"batchId\":\"4f1c2a7e-9b3d-4c1e-8f00-123456789abc\",\"partition\":1}");

        try (AzureAdapters adapters = AzureAdapters.create(VigilConfig.fromEnvironment(
                Fixtures.emulatorSettings(AzureEmulators.azuriteQueue().connectionString(), true)))) {
            WorkQueue queue = adapters.workQueue();
            queue.send(WorkQueue.BATCH_PARTITIONS, "job-0", sent.get(0));
            queue.send(WorkQueue.BATCH_PARTITIONS, "job-1", sent.get(1));
        }

        List<String> received = new ArrayList<>();
        for (QueueMessageItem m : raw.receiveMessages(32)) {
            received.add(new String(Base64.getDecoder().decode(m.getBody().toString()), StandardCharsets.UTF_8));
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void aQueueThatDoesNotExistIsAStoreErrorNamingTheQueue() {
        StorageQueueWorkQueue queue = new StorageQueueWorkQueue(rawService(), false);

        assertThatThrownBy(() -> queue.send("no-such-queue", "m-1", "{}")).isInstanceOf(StoreException.class)
                .hasMessageContaining("no-such-queue").hasMessageContaining("HTTP 404");
    }

    private static QueueServiceClient rawService() {
        return new QueueServiceClientBuilder().connectionString(AzureEmulators.azuriteQueue().connectionString())
                .httpClient(new JdkHttpClientBuilder().build()).buildClient();
    }
}

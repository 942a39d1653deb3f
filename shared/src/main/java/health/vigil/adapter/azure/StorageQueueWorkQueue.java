package health.vigil.adapter.azure;

import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueServiceClient;
import com.azure.storage.queue.models.QueueStorageException;
import health.vigil.error.StoreException;
import health.vigil.port.WorkQueue;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Work queues on Azure Storage queues in the Function App's own storage account, where the Functions host's queue
 * trigger reads them. Messages are Base64, as the trigger expects. A Storage queue cannot refuse a second copy of a
 * work item; the handlers are safe to run twice (the message id is not used here).
 */
final class StorageQueueWorkQueue implements WorkQueue {
    private final QueueServiceClient service;
    private final boolean createQueues;
    private final Map<String, QueueClient> queues = new ConcurrentHashMap<>();

    StorageQueueWorkQueue(QueueServiceClient service, boolean createQueues) {
        this.service = Objects.requireNonNull(service, "service");
        this.createQueues = createQueues;
    }

    @Override
    public void send(String queue, String messageId, String message) {
        try {
            QueueClient client = queues.computeIfAbsent(queue, name -> {
                QueueClient c = service.getQueueClient(name);
                if (createQueues) {
                    c.createIfNotExists();
                }
                return c;
            });
            client.sendMessage(message);
        } catch (QueueStorageException e) {
            throw new StoreException("could not put a message on the Storage queue " + queue + " (HTTP "
                    + e.getStatusCode() + "); the work is queued again when the caller retries", e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("putting a message on the Storage queue " + queue, "Queue Storage", e);
        }
    }
}

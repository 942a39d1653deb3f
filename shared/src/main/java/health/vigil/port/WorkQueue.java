package health.vigil.port;

/**
 * A queue of work items, each handled by one invocation of the function that listens on the queue (a Storage
 * queue in Azure, the local host's folder-backed queue under {@code vigil up}). Delivery is at least once: a
 * handler must be safe to run again on the same message.
 */
public interface WorkQueue {
    /** The ranges of batch files waiting to be scored, one message per range. */
    String BATCH_PARTITIONS = "batch-partitions";
    /** The log partitions of large monitoring windows waiting to be summarised, one message per partition. */
    String MONITORING_PARTITIONS = "monitoring-partitions";

    /**
     * Puts a message on a queue. {@code messageId} names the work item: where the queue can tell (locally), a second
     * send of the same id while the first is waiting adds nothing.
     */
    void send(String queue, String messageId, String message);
}

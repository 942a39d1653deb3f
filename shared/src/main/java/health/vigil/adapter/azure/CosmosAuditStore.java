package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The audit log in the Cosmos DB container {@code audit}, partitioned by {@code /partition} (one UTC day). A
 * record's id is {@code <partition>:<sequence>}, so two writers appending the same sequence clash on create (409)
 * and the loser re-chains. A {@code head} document per partition carries a copy of the last record, so finding
 * where to append is a point read; it may lag a writer that has just appended, so the store also probes the next
 * sequence before it answers. The list of days is an index document: no cross-partition query is ever needed.
 */
final class CosmosAuditStore implements AuditStore {
    static final String CONTAINER = "audit";
    static final String PARTITION_PROPERTY = "partition";
    static final String TYPE_RECORD = "record";
    static final String TYPE_HEAD = "head";
    static final String HEAD_ID = "head";
    /** Audit partitions are days; this value cannot be one. */
    static final String INDEX_PARTITION = "_index";
    private static final String SEQUENCE = "sequence";
    private static final int MAX_ATTEMPTS = 100;

    private final CosmosContainer container;
    private final CosmosStringSet index;
    /** Partitions this process has seen in the index, so the index is read once per day and process, not per append. */
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();
    /** The head each partition had when this process last read it: the first try to move it needs no read. */
    private final Map<String, ObjectNode> heads = new ConcurrentHashMap<>();

    CosmosAuditStore(CosmosContainer container) {
        this.container = Objects.requireNonNull(container, "container");
        this.index = new CosmosStringSet(container, PARTITION_PROPERTY, INDEX_PARTITION, "partitions");
    }

    static String recordId(String partition, long sequence) {
        return partition + ":" + sequence;
    }

    @Override
    public Optional<AuditRecord> last(String partition) {
        checkPartition(partition);
        PartitionKey pk = new PartitionKey(partition);
        ObjectNode head = CosmosDocuments.readOrNull(container, HEAD_ID, pk, "reading the audit head of " + partition);
        if (head == null) {
            heads.remove(partition);
            // A new day, or a writer died before it wrote the head: the partition itself is the truth.
            List<AuditRecord> records = read(partition);
            return records.isEmpty() ? Optional.empty() : Optional.of(records.get(records.size() - 1));
        }
        heads.put(partition, head);
        AuditRecord last = CosmosDocuments.body(head, AuditRecord.class);
        while (true) {
            ObjectNode next = CosmosDocuments.readOrNull(container, recordId(partition, last.sequence() + 1), pk, "reading the audit log of " + partition);
            if (next == null) {
                return Optional.of(last);
            }
            last = CosmosDocuments.body(next, AuditRecord.class);
        }
    }

    @Override
    public boolean tryAppend(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        String partition = record.partition();
        checkPartition(partition);
        // Indexed before the record exists, so an export that lists the days never misses one.
        if (!indexed.contains(partition)) {
            index.add(partition);
            indexed.add(partition);
        }
        PartitionKey pk = new PartitionKey(partition);
        ObjectNode doc = CosmosDocuments.document(recordId(partition, record.sequence()), PARTITION_PROPERTY, partition,
                TYPE_RECORD);
        doc.put(SEQUENCE, record.sequence());
        CosmosDocuments.withBody(doc, record);
        try {
            container.createItem(doc, pk, new CosmosItemRequestOptions());
        } catch (CosmosException e) {
            if (e.getStatusCode() == 409) {
                return false;
            }
            throw CosmosFailures.translate("appending audit record " + record.sequence() + " of " + partition, e);
        }
        advanceHead(record, pk);
        return true;
    }

    /** Moves the head to {@code record} unless another writer already moved it further. */
    private void advanceHead(AuditRecord record, PartitionKey pk) {
        ObjectNode known = heads.remove(record.partition());
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ObjectNode head = attempt == 1 && known != null ? known
                    : CosmosDocuments.readOrNull(container, HEAD_ID, pk, "reading the audit head of " + record.partition());
            if (head != null && head.path(SEQUENCE).asLong() >= record.sequence()) {
                return;
            }
            ObjectNode next = CosmosDocuments.document(HEAD_ID, PARTITION_PROPERTY, record.partition(), TYPE_HEAD);
            next.put(SEQUENCE, record.sequence());
            CosmosDocuments.withBody(next, record);
            try {
                if (head == null) {
                    container.createItem(next, pk, new CosmosItemRequestOptions());
                } else {
                    container.replaceItem(next, HEAD_ID, pk,
                            new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(head)));
                }
                return;
            } catch (CosmosException e) {
                if (CosmosDocuments.isMissingItem(e) && head != null) {
                    // The remembered head is gone (deleted by hand): read it again.
                    CosmosStringSet.backOff(attempt);
                    continue;
                }
                if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
                    throw CosmosFailures.translate("moving the audit head of " + record.partition(), e);
                }
                CosmosStringSet.backOff(attempt);
            }
        }
        // The record is stored; a lagging head only costs the next reader one more probe.
    }

    @Override
    public List<AuditRecord> read(String partition) {
        checkPartition(partition);
        List<AuditRecord> records = new ArrayList<>();
        try {
            for (ObjectNode doc : container.readAllItems(new PartitionKey(partition), ObjectNode.class)) {
                if (TYPE_RECORD.equals(CosmosDocuments.type(doc))) {
                    records.add(CosmosDocuments.body(doc, AuditRecord.class));
                }
            }
        } catch (CosmosException e) {
            throw CosmosFailures.translate("reading the audit log of " + partition, e);
        }
        records.sort(Comparator.comparingLong(AuditRecord::sequence));
        return records;
    }

    @Override
    public List<String> partitions() {
        return List.copyOf(index.read());
    }

    /** Partition values become parts of document ids, where Cosmos DB forbids / \ ? and #. */
    static void checkPartition(String partition) {
        if (partition == null || partition.isBlank() || partition.startsWith("_") || partition.length() > 100
                || partition.chars().anyMatch(c -> c == '/' || c == '\\' || c == '?' || c == '#' || c < 0x20)) {
            throw new ValidationException("audit partition is not valid: use a day such as 2026-01-31 (no / \\ ? #,"
                    + " not starting with _, at most 100 characters)");
        }
    }

}

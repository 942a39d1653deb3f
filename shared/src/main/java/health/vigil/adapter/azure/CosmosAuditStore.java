package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosEndToEndOperationLatencyPolicyConfigBuilder;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemIdentity;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.CosmosItemResponse;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.port.AuditRecordUnreadableException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
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
 *
 * <p>Idempotency keys live in the partition {@code _keys}, one document per key (its id is the key's sha256). A key
 * cannot be bound in the same write as its record, which sits in a day's partition (Cosmos DB transactions never
 * span partitions), so the key document is a claim first: creating it is atomic, and only its holder appends the
 * record; the holder then binds the key to the record's place. Everyone else waits for the binding. A claim left
 * unbound for longer than {@link #KEY_LEASE} belongs to a writer that died: whoever finds it looks for the
 * claimant's record (by id, from the day of the claim on) and binds it, or, if it was never appended, takes the claim
 * over with an ETag-conditional replace. A holder renews its claim before appending once half the lease has passed.
 * The claim and the record sit in different partitions, so no write can be conditional on both; instead the holder's
 * create of the record, with all the SDK's retries of it, is given up a quarter of a lease before the claim could be
 * taken over, and a create given up is reported as failed unless the record is found stored.
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
    /** The partition of idempotency key documents; like the index's, it cannot be a day. */
    static final String KEYS_PARTITION = "_keys";
    static final String TYPE_KEY = "key";
    /** How long a claim on a key may stay unbound before another writer may take it over. */
    static final Duration KEY_LEASE = Duration.ofSeconds(60);
    /** How long a writer waits for another writer's live claim to be bound before it gives up (retryable). */
    static final Duration KEY_WAIT = Duration.ofSeconds(15);
    private static final PartitionKey KEYS_PK = new PartitionKey(KEYS_PARTITION);
    private static final String RECORD_ID = "recordId";
    private static final String CLAIMED_AT = "claimedAt";
    private static final String FIRST_PARTITION = "firstPartition";
    private static final String RECORD_PARTITION = "recordPartition";
    private static final String RECORD_SEQUENCE = "recordSequence";

    private final CosmosContainer container;
    private final CosmosStringSet index;
    /** Partitions this process has seen in the index, so the index is read once per day and process, not per append. */
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();
    /** The head each partition had when this process last read it: the first try to move it needs no read. */
    private final Map<String, ObjectNode> heads = new ConcurrentHashMap<>();

    private final Duration keyLease;
    private final Duration keyWait;
    /**
     * How long before its claim could be taken over a holder's create of its record must have been answered: room for
     * writers' clocks that disagree, and for a request the SDK gave up on that still reaches the server.
     */
    private final Duration keyLeaseMargin;
    private final Clock clock;

    CosmosAuditStore(CosmosContainer container) {
        this(container, KEY_LEASE, KEY_WAIT);
    }

    /** With other lease and wait times, so tests can play a writer that died holding a key. */
    CosmosAuditStore(CosmosContainer container, Duration keyLease, Duration keyWait) {
        this(container, keyLease, keyWait, Clock.systemUTC());
    }

    /** With the clock the claims' times are read from, so tests can play a writer held up past its lease. */
    CosmosAuditStore(CosmosContainer container, Duration keyLease, Duration keyWait, Clock clock) {
        this.container = Objects.requireNonNull(container, "container");
        this.index = new CosmosStringSet(container, PARTITION_PROPERTY, INDEX_PARTITION, "partitions");
        this.keyLease = Objects.requireNonNull(keyLease, "keyLease");
        this.keyWait = Objects.requireNonNull(keyWait, "keyWait");
        this.keyLeaseMargin = keyLease.dividedBy(4);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Ids per point-read batch of a page. */
    private static final int READ_BATCH = 100;

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
        checkPartition(record.partition());
        return append(record, null);
    }

    /** Lists a day in the index before its first record exists, so an export that lists the days never misses one. */
    private void index(String partition) {
        if (!indexed.contains(partition)) {
            index.add(partition);
            indexed.add(partition);
        }
    }

    /**
     * Creates the record at its sequence, then moves the head. With a {@code deadline}, the create and the SDK's
     * retries of it (throttling alone may retry for 30 s) are given up at that moment.
     */
    private boolean append(AuditRecord record, Instant deadline) {
        String partition = record.partition();
        index(partition);
        PartitionKey pk = new PartitionKey(partition);
        ObjectNode doc = CosmosDocuments.document(recordId(partition, record.sequence()), PARTITION_PROPERTY, partition,
                TYPE_RECORD);
        doc.put(SEQUENCE, record.sequence());
        CosmosDocuments.withBody(doc, record);
        String id = doc.path(CosmosDocuments.ID).asText();
        CosmosItemRequestOptions options = new CosmosItemRequestOptions();
        if (deadline != null) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (left.isNegative() || left.isZero()) {
                throw new StoreException("the claim of an audit idempotency key ran out before audit record "
                        + record.sequence() + " of " + partition + " was written; nothing was written: retry", null);
            }
            options.setCosmosEndToEndOperationLatencyPolicyConfig(
                    new CosmosEndToEndOperationLatencyPolicyConfigBuilder(left).build());
        }
        try {
            container.createItem(doc, pk, options);
        } catch (CosmosException e) {
            if (e.getStatusCode() == 409) {
                // Usually another writer's record; but a try of this very create may have landed unanswered before
                // the SDK sent it again, and re-chaining would then store the record twice.
                ObjectNode there = CosmosDocuments.readOrNull(container, id, pk, "reading back audit record "
                        + record.sequence() + " of " + partition + " after a conflict");
                if (!isThisRecord(there, record)) {
                    return false;
                }
            } else {
                StoreException failed = CosmosFailures.translate("appending audit record " + record.sequence()
                        + " of " + partition, e);
                if (!unanswered(e)) {
                    throw failed;
                }
                // The create may have landed. Only one write can create the id: the record there says whose it was.
                ObjectNode there = readAfter(failed, id, pk);
                if (there == null) {
                    throw failed;
                }
                if (!isThisRecord(there, record)) {
                    return false;
                }
            }
        }
        try {
            advanceHead(record, pk);
        } catch (StoreException e) {
            // The record is stored: an append reported as failed would be written again by the caller's retry. A
            // head left behind only costs the next reader one more probe.
        }
        return true;
    }

    /**
     * Whether a stored record document is {@code record} itself: the same id, the same details (which hold the key it
     * was recorded once under) and the same hash. Another writer's record has its own id, and so its own hash.
     */
    private static boolean isThisRecord(ObjectNode doc, AuditRecord record) {
        if (doc == null) {
            return false;
        }
        JsonNode body = doc.path(CosmosDocuments.BODY);
        return record.id().equals(body.path("id").asText(null)) && record.hash().equals(body.path("hash").asText(null))
                && Json.mapper().valueToTree(record.details()).equals(body.path("details"));
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
    public KeyedAppend tryAppendOnce(String key, AuditRecord record) {
        Objects.requireNonNull(record, "record");
        checkPartition(record.partition());
        String id = keyId(key);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            KeyClaim claim = claim(key, id, record);
            if (claim.existing() != null) {
                return KeyedAppend.alreadyRecorded(claim.existing());
            }
            ObjectNode mine = claim.mine();
            index(record.partition());
            if (claimedAt(mine).plus(keyLease.dividedBy(2)).isBefore(clock.instant())) {
                // Held for a while (this writer lost many sequence races, or was paused): renew before appending,
                // so nobody takes the claim over while the record is being written.
                mine = renewed(mine);
                if (mine == null) {
                    continue;
                }
            }
            // The record must be stored, or its create given up, while the claim is surely still this writer's.
            Instant deadline = claimedAt(mine).plus(keyLease).minus(keyLeaseMargin);
            if (!deadline.isAfter(clock.instant())) {
                // The renewal itself took most of the lease: renew again.
                continue;
            }
            if (!append(record, deadline)) {
                return KeyedAppend.SEQUENCE_TAKEN;
            }
            bind(mine, record);
            return KeyedAppend.APPENDED;
        }
        throw new StoreException("the idempotency key of an audit record changed hands " + MAX_ATTEMPTS
                + " times in a row; retry", null);
    }

    @Override
    public Optional<AuditRecord> findByKey(String key) {
        ObjectNode claim = CosmosDocuments.readOrNull(container, keyId(key), KEYS_PK, "reading an audit idempotency key");
        return claim == null ? Optional.empty() : boundRecord(claim);
    }

    /** Either the record the key is bound to, or the key's claim document, now held by this writer. */
    private record KeyClaim(AuditRecord existing, ObjectNode mine) {}

    /**
     * Creates the key's claim, or finds what holds the key. A claim that answers 409 to its create but is gone when
     * read, or that another writer changes while this one recovers it, is tried again, at most {@link #MAX_ATTEMPTS}
     * times: key documents removed or rewritten over and over (by hand, or by a cleanup job) end in an error.
     */
    private KeyClaim claim(String key, String id, AuditRecord record) {
        Instant giveUp = clock.instant().plus(keyWait);
        int changed = 0;
        for (int attempt = 1; ; attempt++) {
            if (changed >= MAX_ATTEMPTS) {
                throw new StoreException("the claim of an audit idempotency key (document " + id + " in partition "
                        + KEYS_PARTITION + " of the audit container) was gone or changed between two reads "
                        + MAX_ATTEMPTS + " times while it was being claimed; documents of that partition must not be"
                        + " removed or edited: stop whatever changes them, then retry", null);
            }
            ObjectNode fresh = keyDocument(key, id, record);
            ObjectNode theirs;
            try {
                return new KeyClaim(null, withEtag(fresh, container.createItem(fresh, KEYS_PK, new CosmosItemRequestOptions())));
            } catch (CosmosException e) {
                if (e.getStatusCode() == 409) {
                    theirs = CosmosDocuments.readOrNull(container, id, KEYS_PK, "reading an audit idempotency key");
                } else if (unanswered(e)) {
                    // The claim may have landed; if it did, it names this writer's record and is taken as its own.
                    StoreException failed = CosmosFailures.translate("claiming an audit idempotency key", e);
                    theirs = readAfter(failed, id, KEYS_PK);
                    if (theirs == null) {
                        throw failed;
                    }
                } else {
                    throw CosmosFailures.translate("claiming an audit idempotency key", e);
                }
            }
            if (theirs == null) {
                // Created by someone, yet gone when read: removed meanwhile. Create it again.
                changed++;
                CosmosStringSet.backOff(attempt);
                continue;
            }
            Optional<AuditRecord> bound = boundRecord(theirs);
            if (bound.isPresent()) {
                return new KeyClaim(bound.get(), null);
            }
            if (record.id().equals(theirs.path(RECORD_ID).asText())) {
                // This writer's own claim, from its attempt before it lost a sequence race.
                return new KeyClaim(null, theirs);
            }
            if (claimedAt(theirs).plus(keyLease).isBefore(clock.instant())) {
                KeyClaim recovered = recover(key, id, theirs, record);
                if (recovered != null) {
                    return recovered;
                }
                changed++;
                continue;
            }
            if (clock.instant().isAfter(giveUp)) {
                throw new StoreException("another writer has been recording the same decision for more than "
                        + keyWait.toSeconds() + " s without finishing; retry in a minute", null);
            }
            CosmosStringSet.backOff(attempt);
        }
    }

    /**
     * The claim of a writer that died: binds the key to the claimant's record if it was stored, else takes the claim
     * over. Null when another writer changed the claim meanwhile (read it again).
     */
    private KeyClaim recover(String key, String id, ObjectNode theirs, AuditRecord record) {
        String claimantRecord = theirs.path(RECORD_ID).asText();
        String firstDay = theirs.path(FIRST_PARTITION).asText("");
        for (String partition : partitions()) {
            if (partition.compareTo(firstDay) < 0) {
                continue;
            }
            for (AuditRecord stored : read(partition)) {
                if (stored.id().equals(claimantRecord)) {
                    bind(theirs, stored);
                    return new KeyClaim(stored, null);
                }
            }
        }
        ObjectNode mine = keyDocument(key, id, record);
        try {
            return new KeyClaim(null, withEtag(mine, container.replaceItem(mine, id, KEYS_PK,
                    new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(theirs)))));
        } catch (CosmosException e) {
            if (e.getStatusCode() == 412 || CosmosDocuments.isMissingItem(e)) {
                return null;
            }
            throw CosmosFailures.translate("taking over an audit idempotency key", e);
        }
    }

    /** A write that failed without the server's answer (timed out, or unreachable): it may have happened. */
    private static boolean unanswered(CosmosException e) {
        return e.getStatusCode() == 408 || e.getStatusCode() == 503;
    }

    /**
     * The document at {@code id} after a create that was not answered, or null when there is none; when it cannot be
     * read either, the create's own failure.
     */
    private ObjectNode readAfter(StoreException failed, String id, PartitionKey pk) {
        try {
            return CosmosDocuments.readOrNull(container, id, pk, "reading back a write that was not answered");
        } catch (StoreException unreadable) {
            failed.addSuppressed(unreadable);
            throw failed;
        }
    }

    /** The claim with a fresh time, or null when it is no longer this writer's. */
    private ObjectNode renewed(ObjectNode mine) {
        ObjectNode next = mine.deepCopy();
        next.remove(CosmosDocuments.ETAG);
        next.put(CLAIMED_AT, clock.instant().toString());
        try {
            return withEtag(next, container.replaceItem(next, next.path(CosmosDocuments.ID).asText(), KEYS_PK,
                    new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(mine))));
        } catch (CosmosException e) {
            if (e.getStatusCode() == 412 || CosmosDocuments.isMissingItem(e)) {
                return null;
            }
            throw CosmosFailures.translate("renewing an audit idempotency key", e);
        }
    }

    /**
     * Binds the claimed key to the record's place. Losing this write is harmless: the claim still names the record's
     * id, and whoever finds it unbound after the lease binds it. So a failure here (a timeout, throttling the SDK
     * could not retry away) is not the append's: the record is stored, and its caller must not be told otherwise.
     */
    private void bind(ObjectNode claim, AuditRecord record) {
        ObjectNode bound = claim.deepCopy();
        bound.remove(CosmosDocuments.ETAG);
        bound.put(RECORD_ID, record.id());
        bound.put(RECORD_PARTITION, record.partition());
        bound.put(RECORD_SEQUENCE, record.sequence());
        try {
            container.replaceItem(bound, bound.path(CosmosDocuments.ID).asText(), KEYS_PK,
                    new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(claim)));
        } catch (CosmosException e) {
            // Taken over (412), removed by hand (404) or not answered: either way the record is stored.
        }
    }

    private Optional<AuditRecord> boundRecord(ObjectNode claim) {
        String partition = claim.path(RECORD_PARTITION).asText(null);
        if (partition == null) {
            return Optional.empty();
        }
        long sequence = claim.path(RECORD_SEQUENCE).asLong();
        ObjectNode doc = CosmosDocuments.readOrNull(container, recordId(partition, sequence), new PartitionKey(partition),
                "reading the audit log of " + partition);
        if (doc == null) {
            throw new StoreException("an audit idempotency key names record " + sequence + " of " + partition
                    + ", which is not in the audit container; verify the chain of " + partition, null);
        }
        return Optional.of(CosmosDocuments.body(doc, AuditRecord.class));
    }

    /** A claim names the record its holder will append and the day it tries first (later tries are later days). */
    private ObjectNode keyDocument(String key, String id, AuditRecord record) {
        ObjectNode doc = CosmosDocuments.document(id, PARTITION_PROPERTY, KEYS_PARTITION, TYPE_KEY);
        doc.put("key", key);
        doc.put(RECORD_ID, record.id());
        doc.put(FIRST_PARTITION, record.partition());
        doc.put(CLAIMED_AT, clock.instant().toString());
        return doc;
    }

    private static Instant claimedAt(ObjectNode claim) {
        try {
            return Instant.parse(claim.path(CLAIMED_AT).asText());
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    /** The document as written, with the ETag the write answered (writes return no content). */
    private static ObjectNode withEtag(ObjectNode written, CosmosItemResponse<ObjectNode> response) {
        ObjectNode copy = written.deepCopy();
        copy.put(CosmosDocuments.ETAG, response.getETag());
        return copy;
    }

    /** Keys come from callers and may hold characters Cosmos DB ids cannot: the id is their hash. */
    static String keyId(String key) {
        if (key == null || key.isBlank()) {
            throw new ValidationException("the idempotency key of an audit record is missing: name the decision it records");
        }
        return Sha256.hex(key);
    }

    @Override
    public List<AuditRecord> read(String partition) {
        checkPartition(partition);
        List<ObjectNode> docs = new ArrayList<>();
        try {
            for (ObjectNode doc : container.readAllItems(new PartitionKey(partition), ObjectNode.class)) {
                if (TYPE_RECORD.equals(CosmosDocuments.type(doc))) {
                    docs.add(doc);
                }
            }
        } catch (CosmosException e) {
            throw CosmosFailures.translate("reading the audit log of " + partition, e);
        }
        return records(partition, docs);
    }

    /**
     * Point reads of the ids {@code <partition>:<sequence>} in batches (no query: a page costs what it returns),
     * past missing sequences up to the partition's last record.
     */
    @Override
    public List<AuditRecord> read(String partition, long fromSequence, int limit) {
        checkPartition(partition);
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative");
        }
        PartitionKey pk = new PartitionKey(partition);
        List<AuditRecord> out = new ArrayList<>();
        long next = Math.max(1, fromSequence);
        long lastSequence = -1;
        while (out.size() < limit) {
            // No id past Long.MAX_VALUE: a batch ending there would overflow and the read never end (a continuation
            // token is the caller's to send, so any start may be asked for).
            int want = (int) Math.min(Math.min(limit - out.size(), READ_BATCH), Long.MAX_VALUE - next);
            if (want <= 0) {
                break;
            }
            List<CosmosItemIdentity> ids = new ArrayList<>(want);
            for (long sequence = next; sequence < next + want; sequence++) {
                ids.add(new CosmosItemIdentity(pk, recordId(partition, sequence)));
            }
            List<ObjectNode> docs;
            try {
                docs = container.readMany(ids, ObjectNode.class).getResults();
            } catch (CosmosException e) {
                throw CosmosFailures.translate("reading the audit log of " + partition, e);
            }
            try {
                out.addAll(records(partition, docs));
            } catch (AuditRecordUnreadableException e) {
                List<AuditRecord> before = new ArrayList<>(out);
                before.addAll(e.readBefore());
                throw new AuditRecordUnreadableException(e.partition(), e.sequence(), "Cosmos DB document "
                        + recordId(partition, e.sequence()) + " holds no valid audit record", e.getCause(), before);
            }
            next += want;
            if (docs.size() < want) {
                if (lastSequence < 0) {
                    lastSequence = last(partition).map(AuditRecord::sequence).orElse(0L);
                }
                if (next > lastSequence) {
                    break;
                }
            }
        }
        return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
    }

    /** The records in sequence order; the first document that does not read as a record is named. */
    private static List<AuditRecord> records(String partition, List<ObjectNode> docs) {
        List<ObjectNode> sorted = new ArrayList<>(docs);
        sorted.sort(Comparator.comparingLong(doc -> sequenceOf(partition, doc)));
        List<AuditRecord> records = new ArrayList<>(sorted.size());
        for (ObjectNode doc : sorted) {
            try {
                records.add(CosmosDocuments.body(doc, AuditRecord.class));
            } catch (StoreException e) {
                throw new AuditRecordUnreadableException(partition, sequenceOf(partition, doc),
                        "Cosmos DB document " + doc.path("id").asText() + " holds no valid audit record", e, records);
            }
        }
        return records;
    }

    /** A record document's sequence: its own field, else the one in its id {@code <partition>:<sequence>}. */
    private static long sequenceOf(String partition, ObjectNode doc) {
        if (doc.path(SEQUENCE).canConvertToLong()) {
            return doc.path(SEQUENCE).asLong();
        }
        String id = doc.path("id").asText();
        try {
            return Long.parseLong(id.substring(partition.length() + 1));
        } catch (RuntimeException e) {
            return Long.MAX_VALUE;
        }
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

package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosEndToEndOperationLatencyPolicyConfig;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.implementation.ImplementationBridgeHelpers;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.CosmosItemResponse;
import com.azure.cosmos.models.PartitionKey;
import com.azure.cosmos.util.CosmosPagedIterable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore.KeyedAppend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the Cosmos DB audit store does when a write fails after, or while, it lands: a timeout (408, 503) whose write
 * may have happened, or a failure of the bookkeeping that follows a stored record. The container is a map of
 * documents with conditional writes; a fault makes one write fail once, before or after it lands, and a throttle
 * holds one create up as the SDK's retries of it would, up to the request's end-to-end timeout.
 */
class CosmosAuditStoreFailuresTest {
    private static final String DAY = "2026-03-01";
    private static final String KEY = "model.register:readmission:3";

    private final Map<String, ObjectNode> documents = new HashMap<>();
    private final Map<String, Fault> faults = new HashMap<>();
    private final CosmosContainer container = container();
    private final CosmosAuditStore store = new CosmosAuditStore(container);
    /**
     * Documents another writer creates again just before each create of the same id, and that are removed (by hand)
     * before each read of it.
     */
    private final Map<String, ObjectNode> churned = new HashMap<>();
    /** Creates held up by throttling: the SDK retries them for {@code lasts}, while {@code meanwhile} happens. */
    private final Map<String, Throttle> throttles = new HashMap<>();
    private MutableClock clock;
    private int etags;
    private int creates;

    private record Fault(int status, boolean lands) {}

    private record Throttle(Duration lasts, Runnable meanwhile) {}

    @Test
    void aHeadThatCannotBeMovedAfterTheRecordIsStoredDoesNotFailTheAppend() {
        AuditRecord record = Fixtures.audit(DAY, 1, "prev");
        faults.put("create head", new Fault(503, false));

        assertThat(store.tryAppend(record)).as("the record is stored; the head is a hint").isTrue();

        assertThat(stored(DAY + ":1")).isNotNull();
        assertThat(store.last(DAY)).contains(record);
    }

    @Test
    void aBindingThatTimesOutAfterTheRecordIsStoredStillReportsTheAppend() {
        AuditRecord record = Fixtures.audit(DAY, 1, "prev");
        faults.put("replace " + CosmosAuditStore.keyId(KEY), new Fault(408, false));

        assertThat(store.tryAppendOnce(KEY, record)).isEqualTo(KeyedAppend.APPENDED);

        assertThat(stored(DAY + ":1")).isNotNull();
        assertThat(stored(CosmosAuditStore.keyId(KEY)).path("recordId").asText())
                .as("the unbound claim still names the record, for whoever finds it after the lease")
                .isEqualTo(record.id());
    }

    @Test
    void aRecordCreateThatTimedOutButLandedIsAppendedOnceAndItsKeyBound() {
        AuditRecord record = Fixtures.audit(DAY, 1, "prev");
        faults.put("create " + DAY + ":1", new Fault(408, true));

        assertThat(store.tryAppendOnce(KEY, record)).isEqualTo(KeyedAppend.APPENDED);

        assertThat(store.findByKey(KEY)).contains(record);
        assertThat(store.read(DAY)).containsExactly(record);
    }

    @Test
    void aKeyClaimThatTimedOutButLandedIsThisWritersClaim() {
        AuditRecord record = Fixtures.audit(DAY, 1, "prev");
        faults.put("create " + CosmosAuditStore.keyId(KEY), new Fault(503, true));

        assertThat(store.tryAppendOnce(KEY, record)).isEqualTo(KeyedAppend.APPENDED);

        assertThat(store.findByKey(KEY)).contains(record);
    }

    @Test
    void aRecordCreateThatTimedOutWhereAnotherWritersRecordLandedIsALostSequence() {
        AuditRecord theirs = Fixtures.audit(DAY, 1, "prev");
        AuditRecord mine = new AuditRecord("mine", DAY, 1, theirs.time(), "bob", "model.approve", theirs.subject(),
                "ok", Map.of(), "prev", "f".repeat(64));
        assertThat(store.tryAppend(theirs)).isTrue();
        // Not answered, where the server would have answered 409.
        faults.put("create " + DAY + ":1", new Fault(408, false));

        assertThat(store.tryAppend(mine)).as("the sequence is taken: re-chain").isFalse();
        assertThat(store.read(DAY)).containsExactly(theirs);
    }

    @Test
    void aConflictWithThisWritersOwnEarlierTryOfACreateIsItsAppendNotALostSequence() {
        AuditLog log = new AuditLog(store, Clock.fixed(Fixtures.T0, ZoneOffset.UTC));
        // The first try lands, its answer is lost, and the SDK's second try of the same create answers 409.
        faults.put("create " + DAY + ":1", new Fault(409, true));

        AuditRecord recorded = log.recordOnce(KEY, "alice", "model.register", "/models/readmission/versions/3", "ok",
                Map.of("version", "3"));

        assertThat(store.read(DAY)).as("the record once, not again at the next sequence").containsExactly(recorded);
        assertThat(store.findByKey(KEY)).contains(recorded);
    }

    @Test
    void aConflictWithAnotherWritersRecordIsALostSequence() {
        AuditRecord theirs = Fixtures.audit(DAY, 1, "prev");
        AuditRecord mine = new AuditRecord("mine", DAY, 1, theirs.time(), "alice", "model.approve", theirs.subject(),
                "ok", theirs.details(), "prev", "f".repeat(64));
        assertThat(store.tryAppend(theirs)).isTrue();

        assertThat(store.tryAppend(mine)).as("the sequence is taken: re-chain").isFalse();
        assertThat(store.read(DAY)).containsExactly(theirs);
    }

    @Test
    void aHolderThrottledPastItsLeaseGivesItsCreateUpSoTheWriterWhoTakesTheKeyOverRecordsTheDecisionOnce() {
        clock = new MutableClock(Instant.parse("2026-03-01T23:59:30Z"));
        CosmosAuditStore holderStore = new CosmosAuditStore(container, CosmosAuditStore.KEY_LEASE,
                CosmosAuditStore.KEY_WAIT, clock);
        CosmosAuditStore otherStore = new CosmosAuditStore(container, CosmosAuditStore.KEY_LEASE,
                CosmosAuditStore.KEY_WAIT, clock);
        AuditLog holder = new AuditLog(holderStore, clock);
        AuditLog other = new AuditLog(otherStore, clock);
        List<AuditRecord> othersRecord = new ArrayList<>();
        // Past the holder's lease (and its day): the other writer finds no record and takes the key over.
        Runnable otherWriter = () -> {
            clock.set(Instant.parse("2026-03-02T00:00:40Z"));
            othersRecord.add(other.recordOnce(KEY, "bob", "model.register", "/models/readmission/versions/3", "ok",
                    Map.of("version", "3")));
        };
        // The holder's create is throttled for 70 s, longer than its lease: the other writer comes meanwhile.
        throttles.put("2026-03-01:1", new Throttle(Duration.ofSeconds(70), otherWriter));

        Throwable holderFailed = catchThrowable(() -> holder.recordOnce(KEY, "alice", "model.register",
                "/models/readmission/versions/3", "ok", Map.of("version", "3")));
        if (othersRecord.isEmpty()) {
            otherWriter.run();
        }

        List<AuditRecord> recorded = new ArrayList<>(otherStore.read("2026-03-01"));
        recorded.addAll(otherStore.read("2026-03-02"));
        assertThat(recorded).as("one record of the decision, by the writer holding its key")
                .containsExactly(othersRecord.get(0));
        assertThat(otherStore.findByKey(KEY)).contains(othersRecord.get(0));
        assertThat(holderFailed).as("the holder's create was given up before its lease ran out: retryable")
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE));
    }

    @Test
    void aRecordCreateThatTimedOutAndDidNotLandStillFailsAsRetryable() {
        faults.put("create " + DAY + ":1", new Fault(503, false));

        assertThatThrownBy(() -> store.tryAppend(Fixtures.audit(DAY, 1, "prev")))
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
                .hasMessageContaining("timed out");
        assertThat(stored(DAY + ":1")).isNull();
    }

    @Test
    void aKeyClaimRemovedEveryTimeBeforeItCanBeReadEndsInAnErrorNotALoop() {
        String keyId = CosmosAuditStore.keyId(KEY);
        ObjectNode theirs = CosmosDocuments.document(keyId, CosmosAuditStore.PARTITION_PROPERTY,
                CosmosAuditStore.KEYS_PARTITION, CosmosAuditStore.TYPE_KEY);
        theirs.put("recordId", "another-writers-record");
        theirs.put("claimedAt", Instant.now().toString());
        churned.put(keyId, theirs);

        assertThatThrownBy(() -> store.tryAppendOnce(KEY, Fixtures.audit(DAY, 1, "prev")))
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
                .hasMessageContaining(keyId)
                .hasMessageContaining("must not be removed or edited");
        assertThat(stored(DAY + ":1")).as("no record without its key").isNull();
    }

    private ObjectNode stored(String id) {
        return documents.values().stream().filter(doc -> id.equals(doc.path("id").asText())).findFirst().orElse(null);
    }

    private static String slot(PartitionKey pk, String id) {
        return pk + "|" + id;
    }

    private static CosmosException status(int status) {
        return new Status(status);
    }

    /** A failure as the SDK raises it (a mocked exception has no stack trace for a failing test's report). */
    private static final class Status extends CosmosException {
        private static final long serialVersionUID = 1L;

        Status(int status) {
            super(status, "Cosmos DB answered " + status);
        }
    }

    private CosmosItemResponse<ObjectNode> written(String slot, ObjectNode doc) {
        ObjectNode copy = doc.deepCopy();
        copy.put(CosmosDocuments.ETAG, "\"" + ++etags + "\"");
        documents.put(slot, copy);
        @SuppressWarnings("unchecked")
        CosmosItemResponse<ObjectNode> response = mock(CosmosItemResponse.class);
        when(response.getETag()).thenReturn(copy.path(CosmosDocuments.ETAG).asText());
        return response;
    }

    /**
     * Throws the fault planned for this write, if any: after storing the document when the fault lands (a create lands
     * only where no document is).
     */
    private void inject(String operation, String slot, ObjectNode doc) {
        Fault fault = faults.remove(operation + " " + doc.path("id").asText());
        if (fault != null) {
            if (fault.lands() && (operation.equals("replace") || !documents.containsKey(slot))) {
                written(slot, doc);
            }
            throw status(fault.status());
        }
    }

    /**
     * Plays the SDK retrying a throttled create: until the throttling ends, or until the request's end-to-end timeout,
     * when it gives the create up (408) without it having landed.
     */
    private void throttle(String id, CosmosItemRequestOptions options) {
        Throttle throttle = throttles.remove(id);
        if (throttle == null) {
            return;
        }
        CosmosEndToEndOperationLatencyPolicyConfig endToEnd = ImplementationBridgeHelpers
                .CosmosItemRequestOptionsHelper.getCosmosItemRequestOptionsAccessor()
                .getEndToEndOperationLatencyPolicyConfig(options);
        if (endToEnd != null && endToEnd.isEnabled()
                && endToEnd.getEndToEndOperationTimeout().compareTo(throttle.lasts()) < 0) {
            clock.advance(endToEnd.getEndToEndOperationTimeout());
            throw status(408);
        }
        clock.advance(throttle.lasts());
        throttle.meanwhile().run();
    }

    @SuppressWarnings("unchecked")
    private CosmosContainer container() {
        CosmosContainer c = mock(CosmosContainer.class);
        when(c.readItem(anyString(), any(PartitionKey.class), eq(ObjectNode.class))).thenAnswer(call -> {
            if (churned.containsKey(call.<String>getArgument(0))) {
                documents.remove(slot(call.getArgument(1), call.getArgument(0)));
            }
            ObjectNode doc = documents.get(slot(call.getArgument(1), call.getArgument(0)));
            if (doc == null) {
                throw status(404);
            }
            CosmosItemResponse<ObjectNode> response = mock(CosmosItemResponse.class);
            when(response.getItem()).thenReturn(doc.deepCopy());
            return response;
        });
        when(c.readAllItems(any(PartitionKey.class), eq(ObjectNode.class))).thenAnswer(call -> {
            String prefix = call.getArgument(0) + "|";
            List<ObjectNode> partition = documents.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(e -> e.getValue().deepCopy()).toList();
            CosmosPagedIterable<ObjectNode> pages = mock(CosmosPagedIterable.class);
            when(pages.iterator()).thenAnswer(ignored -> partition.iterator());
            return pages;
        });
        when(c.createItem(any(ObjectNode.class), any(PartitionKey.class), any(CosmosItemRequestOptions.class)))
                .thenAnswer(call -> {
                    ObjectNode doc = call.getArgument(0);
                    String slot = slot(call.getArgument(1), doc.path("id").asText());
                    throttle(doc.path("id").asText(), call.getArgument(2));
                    if (++creates > 1_000) {
                        throw new AssertionError("the store sent 1,000 creates without giving up");
                    }
                    ObjectNode recreated = churned.get(doc.path("id").asText());
                    if (recreated != null) {
                        written(slot, recreated);
                    }
                    inject("create", slot, doc);
                    if (documents.containsKey(slot)) {
                        throw status(409);
                    }
                    return written(slot, doc);
                });
        when(c.replaceItem(any(ObjectNode.class), anyString(), any(PartitionKey.class),
                any(CosmosItemRequestOptions.class))).thenAnswer(call -> {
                    ObjectNode doc = call.getArgument(0);
                    String slot = slot(call.getArgument(2), call.getArgument(1));
                    ObjectNode current = documents.get(slot);
                    if (current == null) {
                        throw status(404);
                    }
                    String ifMatch = ((CosmosItemRequestOptions) call.getArgument(3)).getIfMatchETag();
                    if (ifMatch != null && !ifMatch.equals(current.path(CosmosDocuments.ETAG).asText())) {
                        throw status(412);
                    }
                    inject("replace", slot, doc);
                    return written(slot, doc);
                });
        return c;
    }
}

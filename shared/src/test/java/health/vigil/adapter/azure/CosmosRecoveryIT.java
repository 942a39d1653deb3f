package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.audit.AuditLog;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.VersionRecord;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the Cosmos DB adapters add to the port contracts: a writer that died between its two writes (the item and
 * the counter or head that points at it) leaves nothing a later writer or reader gets wrong; ids Cosmos DB would
 * refuse never reach it; and prediction records land in the partitions and with the ttl the design describes.
 */
@ExtendWith(AzureEmulators.class)
class CosmosRecoveryIT {
    private static final ModelName MODEL = new ModelName("readmission");
    private CosmosTestDatabase db;

    @BeforeEach
    void freshDatabase() {
        db = CosmosTestDatabase.create(CosmosRegistryStore.CONTAINER, CosmosAuditStore.CONTAINER,
                CosmosPredictionLog.CONTAINER);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void aVersionCounterLeftBehindByACrashedWriterNeitherReusesNorSkipsANumber() {
        CosmosContainer models = db.container(CosmosRegistryStore.CONTAINER);
        CosmosRegistryStore store = new CosmosRegistryStore(models);
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "a".repeat(64)));
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "b".repeat(64)));
        // A writer that stored version 2 and died before advancing the counter leaves it at 1.
        setProperty(models, CosmosRegistryStore.COUNTER_ID, MODEL.value(), "last", 1);

        VersionRecord third = store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "c".repeat(64)));

        assertThat(third.version()).isEqualTo(3);
        assertThat(store.listVersions(MODEL)).extracting(VersionRecord::packageSha256)
                .containsExactly("a".repeat(64), "b".repeat(64), "c".repeat(64));
        assertThat(read(models, CosmosRegistryStore.COUNTER_ID, MODEL.value()).path("last").asInt()).isEqualTo(3);
    }

    @Test
    void aVersionCreatedBeforeItsCounterExistedIsNotOverwritten() {
        CosmosContainer models = db.container(CosmosRegistryStore.CONTAINER);
        CosmosRegistryStore store = new CosmosRegistryStore(models);
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "a".repeat(64)));
        models.deleteItem(CosmosRegistryStore.COUNTER_ID, new PartitionKey(MODEL.value()), new CosmosItemRequestOptions());

        assertThat(store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "b".repeat(64))).version()).isEqualTo(2);
        assertThat(store.findVersion(MODEL, 1).orElseThrow().packageSha256()).isEqualTo("a".repeat(64));
    }

    @Test
    void aPackageClaimLeftWithoutAVersionIsTakenOverOnceStaleAndOnlyThen() {
        CosmosContainer models = db.container(CosmosRegistryStore.CONTAINER);
        CosmosRegistryStore store = new CosmosRegistryStore(models);
        String sha = "d".repeat(64);
        // A writer claimed the package and died before numbering it.
        ObjectNode claim = CosmosDocuments.document("package-" + sha, CosmosRegistryStore.PARTITION_PROPERTY, MODEL.value(),
                CosmosRegistryStore.TYPE_PACKAGE_CLAIM);
        claim.put("version", 0);
        claim.put("claimedAt", java.time.Instant.now().minus(CosmosRegistryStore.CLAIM_TAKEOVER.multipliedBy(2)).toString());
        models.createItem(claim, new PartitionKey(MODEL.value()), new CosmosItemRequestOptions());

        VersionRecord registered = store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, sha));
        VersionRecord again = store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, sha));

        assertThat(registered.version()).isEqualTo(1);
        assertThat(again.version()).isEqualTo(1);
        assertThat(store.listVersions(MODEL)).hasSize(1);
        assertThat(read(models, "package-" + sha, MODEL.value()).path("version").asInt()).isEqualTo(1);
    }

    @Test
    void aClaimWhoseWriterDiedAfterNumberingPointsAtTheVersionItMade() {
        CosmosContainer models = db.container(CosmosRegistryStore.CONTAINER);
        CosmosRegistryStore store = new CosmosRegistryStore(models);
        String sha = "e".repeat(64);
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, sha));
        // As if the writer died between creating the version and recording it in the claim, long ago.
        ObjectNode claim = read(models, "package-" + sha, MODEL.value());
        claim.put("version", 0);
        claim.put("claimedAt", java.time.Instant.now().minus(CosmosRegistryStore.CLAIM_TAKEOVER.multipliedBy(2)).toString());
        models.replaceItem(claim, "package-" + sha, new PartitionKey(MODEL.value()), new CosmosItemRequestOptions());

        assertThat(store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, sha)).version()).isEqualTo(1);
        assertThat(store.listVersions(MODEL)).hasSize(1);
    }

    @Test
    void anAuditHeadThatLagsBehindTheLogIsCaughtUpByTheReader() {
        CosmosContainer audit = db.container(CosmosAuditStore.CONTAINER);
        CosmosAuditStore store = new CosmosAuditStore(audit);
        String day = "2026-03-01";
        AuditRecord first = Fixtures.audit(day, 1, null);
        AuditRecord second = Fixtures.audit(day, 2, first.hash());
        AuditRecord third = Fixtures.audit(day, 3, second.hash());
        store.tryAppend(first);
        store.tryAppend(second);
        store.tryAppend(third);
        // Writers of records 2 and 3 died before they moved the head.
        ObjectNode head = read(audit, CosmosAuditStore.HEAD_ID, day);
        head.put("sequence", 1);
        head.set(CosmosDocuments.BODY, health.vigil.json.Json.mapper().valueToTree(first));
        audit.replaceItem(head, CosmosAuditStore.HEAD_ID, new PartitionKey(day), new CosmosItemRequestOptions());

        assertThat(store.last(day)).contains(third);
        // A writer that read the lagging head tries sequence 3 with its own record, and loses it.
        AuditRecord late = new AuditRecord("late-writer", day, 3, third.time(), "bob", third.action(),
                third.subject(), third.outcome(), third.details(), second.hash(), "f".repeat(64));
        assertThat(store.tryAppend(late)).isFalse();
        assertThat(store.tryAppend(Fixtures.audit(day, 4, third.hash()))).isTrue();
        assertThat(read(audit, CosmosAuditStore.HEAD_ID, day).path("sequence").asLong()).isEqualTo(4);
    }

    @Test
    void anAuditPartitionWhoseHeadWasNeverWrittenIsReadFromItsRecords() {
        CosmosContainer audit = db.container(CosmosAuditStore.CONTAINER);
        CosmosAuditStore store = new CosmosAuditStore(audit);
        String day = "2026-03-02";
        AuditRecord first = Fixtures.audit(day, 1, null);
        store.tryAppend(first);
        audit.deleteItem(CosmosAuditStore.HEAD_ID, new PartitionKey(day), new CosmosItemRequestOptions());

        assertThat(store.last(day)).contains(first);
        assertThat(store.partitions()).containsExactly(day);
    }

    @Test
    void refusesAuditPartitionsThatCannotBeCosmosIds() {
        CosmosAuditStore store = new CosmosAuditStore(db.container(CosmosAuditStore.CONTAINER));
        for (String bad : List.of("2026/03/01", "_index", "a?b", "a#b")) {
            assertThatThrownBy(() -> store.tryAppend(Fixtures.audit(bad, 1, null)))
                    .isInstanceOf(ValidationException.class);
        }
    }

    @Test
    void predictionsSpreadOverShardsOfTheirHourCarryTheRetentionAndAreWrittenOnce() {
        CosmosContainer predictions = db.container(CosmosPredictionLog.CONTAINER);
        try (CosmosPredictionLog log = new CosmosPredictionLog(predictions, 4, Duration.ofDays(30), 4)) {
            List<PredictionRecord> records = IntStream.range(0, 40)
                    .mapToObj(i -> new PredictionRecord("p-" + i, MODEL, 1, Slot.STABLE, "f".repeat(64),
                            Fixtures.T0.plusSeconds(i), new float[] {i}, 0.5, false, null))
                    .toList();
            log.append(records);
            log.append(records.subList(0, 10));

            Set<Integer> shardsUsed = new HashSet<>();
            int stored = 0;
            for (int shard = 0; shard < 4; shard++) {
                String partition = CosmosPredictionLog.partition(MODEL, "2026030110", shard);
                for (ObjectNode doc : predictions.readAllItems(new PartitionKey(partition), ObjectNode.class)) {
                    assertThat(doc.path("ttl").asLong()).isEqualTo(Duration.ofDays(30).toSeconds());
                    assertThat(CosmosPredictionLog.shardOf(doc.path("id").asText(), 4)).isEqualTo(shard);
                    shardsUsed.add(shard);
                    stored++;
                }
            }
            assertThat(stored).isEqualTo(40);
            assertThat(shardsUsed).hasSize(4);
            List<PredictionRecord> scanned = new ArrayList<>();
            log.scan(MODEL, Fixtures.T0, Fixtures.T0.plusSeconds(3600), scanned::add);
            assertThat(scanned).containsExactlyElementsOf(records);
        }
    }

    @Test
    void anAuditKeyWhoseWriterDiedAfterAppendingIsBoundToThatRecordAndNothingIsAppendedAgain() {
        CosmosContainer container = db.container(CosmosAuditStore.CONTAINER);
        AuditLog audit = new AuditLog(new CosmosAuditStore(container), Clock.systemUTC());
        String key = "deployment:readmission:revision-1";
        AuditRecord first = audit.recordOnce(key, "alice", "deployment.deploy", "/models/readmission/versions/1",
                "deployed", Map.of("revision", "1"));
        // As if the writer died between appending the record and binding the key to it, long ago.
        String keyId = CosmosAuditStore.keyId(key);
        ObjectNode claim = read(container, keyId, CosmosAuditStore.KEYS_PARTITION);
        claim.remove("recordPartition");
        claim.remove("recordSequence");
        claim.put("claimedAt", Instant.now().minus(CosmosAuditStore.KEY_LEASE.multipliedBy(2)).toString());
        container.replaceItem(claim, keyId, new PartitionKey(CosmosAuditStore.KEYS_PARTITION), new CosmosItemRequestOptions());

        AuditRecord replayed = audit.recordOnce(key, "bob", "deployment.deploy", "/models/readmission/versions/1",
                "deployed", Map.of("revision", "1"));

        assertThat(replayed).isEqualTo(first);
        assertThat(audit.read(LocalDate.now(ZoneOffset.UTC).minusDays(1), LocalDate.now(ZoneOffset.UTC))).hasSize(1);
        assertThat(read(container, keyId, CosmosAuditStore.KEYS_PARTITION).path("recordSequence").asLong())
                .isEqualTo(first.sequence());
    }

    @Test
    void anAuditKeyClaimedByAWriterThatDiedBeforeAppendingIsTakenOverOnceStale() {
        CosmosContainer container = db.container(CosmosAuditStore.CONTAINER);
        AuditLog audit = new AuditLog(new CosmosAuditStore(container), Clock.systemUTC());
        String key = "model.register:readmission:1";
        createClaim(container, key, Instant.now().minus(CosmosAuditStore.KEY_LEASE.multipliedBy(2)));

        AuditRecord recorded = audit.recordOnce(key, "blob:readmission.zip", "model.register",
                "/models/readmission/versions/1", "registered", Map.of());

        assertThat(audit.read(LocalDate.now(ZoneOffset.UTC).minusDays(1), LocalDate.now(ZoneOffset.UTC)))
                .containsExactly(recorded);
        assertThat(audit.findOnce(key)).contains(recorded);
    }

    @Test
    void aLiveAuditKeyClaimIsWaitedForAndNeverTakenOver() {
        CosmosContainer container = db.container(CosmosAuditStore.CONTAINER);
        AuditLog audit = new AuditLog(new CosmosAuditStore(container, CosmosAuditStore.KEY_LEASE, Duration.ofMillis(300)),
                Clock.systemUTC());
        String key = "deployment:readmission:revision-2";
        createClaim(container, key, Instant.now());

        assertThatThrownBy(() -> audit.recordOnce(key, "alice", "deployment.deploy", "/models/readmission/versions/2",
                "deployed", Map.of()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("retry");
        assertThat(audit.read(LocalDate.now(ZoneOffset.UTC).minusDays(1), LocalDate.now(ZoneOffset.UTC))).isEmpty();
    }

    /** A claim on {@code key} as a writer leaves it after claiming and before appending its record. */
    private static void createClaim(CosmosContainer container, String key, Instant claimedAt) {
        ObjectNode claim = CosmosDocuments.document(CosmosAuditStore.keyId(key), CosmosAuditStore.PARTITION_PROPERTY,
                CosmosAuditStore.KEYS_PARTITION, CosmosAuditStore.TYPE_KEY);
        claim.put("key", key);
        claim.put("recordId", "a-record-that-was-never-appended");
        claim.put("firstPartition", LocalDate.now(ZoneOffset.UTC).toString());
        claim.put("claimedAt", claimedAt.toString());
        container.createItem(claim, new PartitionKey(CosmosAuditStore.KEYS_PARTITION), new CosmosItemRequestOptions());
    }

    private static ObjectNode read(CosmosContainer container, String id, String partition) {
        return container.readItem(id, new PartitionKey(partition), ObjectNode.class).getItem();
    }

    private static void setProperty(CosmosContainer container, String id, String partition, String property, int value) {
        ObjectNode doc = read(container, id, partition);
        doc.put(property, value);
        container.replaceItem(doc, id, new PartitionKey(partition), new CosmosItemRequestOptions());
    }
}

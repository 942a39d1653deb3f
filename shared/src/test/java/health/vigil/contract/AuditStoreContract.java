package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.audit;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AuditStore} must do. Partitions are unique per test (a real store keys them by UTC day;
 * the store itself does not care), so a shared backend works too.
 */
public abstract class AuditStoreContract {

    /** A store for one test; closed afterwards if it is {@link AutoCloseable}. */
    protected abstract AuditStore newStore();

    protected AuditStore store;

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    protected static String uniquePartition() {
        return "2026-03-01-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void anEmptyPartitionHasNoRecords() {
        String partition = uniquePartition();

        assertThat(store.last(partition)).isEmpty();
        assertThat(store.read(partition)).isEmpty();
        assertThat(store.partitions()).doesNotContain(partition);
    }

    @Test
    void readsBackAChainInSequenceOrderWithEveryField() {
        String partition = uniquePartition();
        AuditRecord first = audit(partition, 1, "alice", null);
        AuditRecord second = audit(partition, 2, "bob", first.hash());
        AuditRecord third = audit(partition, 3, "carol", second.hash());

        assertThat(store.tryAppend(first)).isTrue();
        assertThat(store.tryAppend(second)).isTrue();
        assertThat(store.tryAppend(third)).isTrue();

        assertThat(store.read(partition)).containsExactly(first, second, third);
        assertThat(store.last(partition)).contains(third);
    }

    @Test
    void aPageFromAnySequenceEndsWithThePartitionEvenNearTheLargestSequence() throws Exception {
        // A page's start comes from a continuation token a caller sends back, so any sequence may be asked for; a
        // read from one near Long.MAX_VALUE once ran on for ever on Cosmos DB (the batch's end overflowed).
        String partition = uniquePartition();
        AuditRecord first = audit(partition, 1, "alice", null);
        AuditRecord second = audit(partition, 2, "bob", first.hash());
        assertThat(store.tryAppend(first)).isTrue();
        assertThat(store.tryAppend(second)).isTrue();

        assertThat(store.read(partition, 2, 10)).containsExactly(second);
        assertThat(store.read(partition, 3, 10)).isEmpty();
        for (long from : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MAX_VALUE - 5, 1L << 62}) {
            // A read that never ends fails here, at a bound far beyond any read of an empty range.
            assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> store.read(partition, from, 1001))
                    .get(60, java.util.concurrent.TimeUnit.SECONDS)).as("from " + from).isEmpty();
        }
    }

    @Test
    void aSequenceThatIsTakenIsRefusedAndTheFirstRecordStays() {
        String partition = uniquePartition();
        AuditRecord mine = audit(partition, 1, "alice", null);
        AuditRecord theirs = audit(partition, 1, "mallory", null);
        assertThat(store.tryAppend(mine)).isTrue();

        assertThat(store.tryAppend(theirs)).isFalse();

        assertThat(store.read(partition)).containsExactly(mine);
    }

    @Test
    void listsPartitionsInOrder() {
        String stem = uniquePartition();
        store.tryAppend(audit(stem + "-b", 1, "alice", null));
        store.tryAppend(audit(stem + "-a", 1, "alice", null));

        assertThat(store.partitions()).containsSubsequence(stem + "-a", stem + "-b");
    }

    @Test
    void concurrentWritersThatReChainOnAClashLoseNothingAndLeaveNoGap() throws Exception {
        String partition = uniquePartition();
        int threads = 6;
        int perThread = 10;

        List<List<String>> written = Parallel.run(threads, t -> {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                while (true) {
                    Optional<AuditRecord> last = store.last(partition);
                    AuditRecord next = audit(partition, last.map(r -> r.sequence() + 1).orElse(1L), "writer-" + t,
                            last.map(AuditRecord::hash).orElse(null));
                    if (store.tryAppend(next)) {
                        ids.add(next.id());
                        break;
                    }
                }
            }
            return ids;
        });

        List<AuditRecord> chain = store.read(partition);
        assertThat(chain).extracting(AuditRecord::sequence)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, threads * perThread).boxed().toList());
        assertThat(chain).extracting(AuditRecord::id)
                .containsExactlyInAnyOrderElementsOf(written.stream().flatMap(List::stream).toList());
        for (int i = 1; i < chain.size(); i++) {
            assertThat(chain.get(i).previousHash()).isEqualTo(chain.get(i - 1).hash());
        }
    }

    @Test
    void aKeyIsBoundOnceToTheRecordAppendedUnderIt() {
        String partition = uniquePartition();
        String key = "deployment:readmission:revision-" + UUID.randomUUID();
        AuditRecord first = audit(partition, 1, "alice", null);
        AuditRecord second = audit(partition, 2, "bob", first.hash());

        assertThat(store.tryAppendOnce(key, first)).isEqualTo(KeyedAppend.APPENDED);
        KeyedAppend replay = store.tryAppendOnce(key, second);

        assertThat(replay.existing()).isEqualTo(first);
        assertThat(replay.appended()).isFalse();
        assertThat(store.findByKey(key)).contains(first);
        assertThat(store.read(partition)).containsExactly(first);
    }

    @Test
    void aKeyWhoseSequenceWasTakenStaysUnboundUntilItsRecordIsAppended() {
        String partition = uniquePartition();
        String key = "model.register:readmission:" + UUID.randomUUID();
        AuditRecord theirs = audit(partition, 1, "mallory", null);
        AuditRecord mine = audit(partition, 1, "alice", null);
        store.tryAppend(theirs);

        assertThat(store.tryAppendOnce(key, mine).sequenceTaken()).isTrue();
        assertThat(store.findByKey(key)).isEmpty();

        // The same record re-chained onto the new last record, as AuditLog retries it (same id).
        AuditRecord rechained = new AuditRecord(mine.id(), partition, 2, mine.time(), mine.actor(), mine.action(),
                mine.subject(), mine.outcome(), mine.details(), theirs.hash(), mine.hash());
        assertThat(store.tryAppendOnce(key, rechained)).isEqualTo(KeyedAppend.APPENDED);
        assertThat(store.findByKey(key)).contains(rechained);
        assertThat(store.read(partition)).containsExactly(theirs, rechained);
    }

    @Test
    void concurrentRecordOnceWithOneKeyAppendsOneRecordAndEveryCallerGetsIt() throws Exception {
        LocalDate day = uniqueDay();
        AuditLog audit = new AuditLog(store, new MutableClock(day.atTime(10, 0).toInstant(ZoneOffset.UTC)));
        String key = "model.register:readmission:" + UUID.randomUUID();

        List<AuditRecord> returned = Parallel.run(8, t -> audit.recordOnce(key, "blob:readmission.zip",
                "model.register", "/models/readmission/versions/1", "registered", Map.of("caller", "thread-" + t)));

        List<AuditRecord> stored = store.read(day.toString());
        assertThat(stored).hasSize(1);
        assertThat(returned).allSatisfy(r -> assertThat(r).isEqualTo(stored.get(0)));
        assertThat(stored.get(0).details()).containsEntry(AuditLog.KEY_DETAIL, key);
    }

    @Test
    void concurrentKeyedAndPlainWritersKeepOneChainWithOneRecordPerKey() throws Exception {
        LocalDate day = uniqueDay();
        AuditLog audit = new AuditLog(store, new MutableClock(day.atTime(10, 0).toInstant(ZoneOffset.UTC)));
        String stem = "deployment:readmission:" + UUID.randomUUID() + ":revision-";

        Parallel.run(6, t -> {
            for (int revision = 1; revision <= 3; revision++) {
                audit.recordOnce(stem + revision, "operator-" + t, "deployment.deploy", "/models/readmission/versions/2",
                        "deployed", Map.of());
                audit.record("operator-" + t, "model.read", "/models/readmission", "succeeded", Map.of());
            }
            return null;
        });

        List<AuditRecord> chain = store.read(day.toString());
        assertThat(chain).hasSize(3 + 6 * 3);
        assertThat(chain).extracting(r -> r.details().get(AuditLog.KEY_DETAIL)).filteredOn(Objects::nonNull)
                .containsExactlyInAnyOrder(stem + 1, stem + 2, stem + 3);
        assertThat(chain).extracting(AuditRecord::sequence)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, chain.size()).boxed().toList());
        for (int i = 1; i < chain.size(); i++) {
            assertThat(chain.get(i).previousHash()).isEqualTo(chain.get(i - 1).hash());
        }
    }

    @Test
    void aReplayOnALaterDayReturnsTheFirstRecordAndWritesNothing() {
        LocalDate day = uniqueDay();
        MutableClock clock = new MutableClock(day.atTime(23, 59, 59).toInstant(ZoneOffset.UTC));
        AuditLog audit = new AuditLog(store, clock);
        String key = "deployment:readmission:revision-" + UUID.randomUUID();
        AuditRecord first = audit.recordOnce(key, "alice", "deployment.deploy", "/models/readmission/versions/2",
                "deployed", Map.of("revision", "1"));

        clock.set(day.plusDays(1).atTime(0, 0, 5).toInstant(ZoneOffset.UTC));
        AuditRecord replayed = audit.recordOnce(key, "alice", "deployment.deploy", "/models/readmission/versions/2",
                "deployed", Map.of("revision", "1"));

        assertThat(replayed).isEqualTo(first);
        assertThat(first.partition()).isEqualTo(day.toString());
        assertThat(store.read(day.plusDays(1).toString())).isEmpty();
        assertThat(audit.findOnce(key)).contains(first);
    }

    /** A real UTC day no other test of a shared backend writes to (AuditLog partitions by day). */
    private static LocalDate uniqueDay() {
        return LocalDate.of(1900, 1, 1).plusDays(ThreadLocalRandom.current().nextLong(0, 36_500));
    }
}

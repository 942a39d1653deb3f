package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.audit;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
}

package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.testing.emulators.AzureEmulators;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Cosmos DB registry's concurrency guarantees against a real Cosmos DB REST server: atomic version numbering,
 * ETag conflicts, and read-modify-write loops from many threads that lose no update.
 */
@ExtendWith(AzureEmulators.class)
class CosmosRegistryStoreIT {
    private static final ModelName MODEL = new ModelName("readmission");
    private CosmosTestDatabase db;
    private CosmosContainer container;
    private CosmosRegistryStore store;

    @BeforeEach
    void freshDatabase() {
        db = CosmosTestDatabase.create(CosmosRegistryStore.CONTAINER);
        container = db.container(CosmosRegistryStore.CONTAINER);
        store = new CosmosRegistryStore(container);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void concurrentRegistrationsGetDistinctNumbersWithoutGaps() throws Exception {
        int threads = 8;
        int perThread = 5;
        List<Callable<List<Integer>>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            tasks.add(() -> {
                List<Integer> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    String sha = "%064x".formatted(thread * 1000 + i);
                    mine.add(store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, sha)).version());
                }
                return mine;
            });
        }
        List<Integer> numbers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Future<List<Integer>> f : pool.invokeAll(tasks)) {
                numbers.addAll(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(numbers).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, threads * perThread).boxed().toList());
        assertThat(store.listVersions(MODEL)).extracting(VersionRecord::version)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, threads * perThread).boxed().toList());
        assertThat(store.listModels()).containsExactly(MODEL);
    }

    @Test
    void aCounterLeftBehindByACrashedWriterNeitherReusesNorSkipsANumber() {
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "a".repeat(64)));
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "b".repeat(64)));
        // A writer that stored version 2 and died before advancing the counter leaves it at 1.
        ObjectNode counter = container.readItem(CosmosRegistryStore.COUNTER_ID, new PartitionKey(MODEL.value()),
                ObjectNode.class).getItem();
        counter.put("last", 1);
        container.replaceItem(counter, CosmosRegistryStore.COUNTER_ID, new PartitionKey(MODEL.value()),
                new CosmosItemRequestOptions());

        VersionRecord third = store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "c".repeat(64)));

        assertThat(third.version()).isEqualTo(3);
        assertThat(store.findVersion(MODEL, 2)).get().extracting(VersionRecord::packageSha256).isEqualTo("b".repeat(64));
        assertThat(container.readItem(CosmosRegistryStore.COUNTER_ID, new PartitionKey(MODEL.value()), ObjectNode.class)
                .getItem().path("last").asInt()).isEqualTo(3);
    }

    @Test
    void anUpdateFromAStaleReadIsRefusedAndChangesNothing() {
        VersionRecord v1 = store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "a".repeat(64)));
        VersionRecord approved = store.updateVersion(v1.withStage(Stage.APPROVED, Fixtures.T0.plusSeconds(60)));

        assertThatThrownBy(() -> store.updateVersion(v1.withStage(Stage.REJECTED, Fixtures.T0.plusSeconds(61))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));

        VersionRecord stored = store.findVersion(MODEL, 1).orElseThrow();
        assertThat(stored.stage()).isEqualTo(Stage.APPROVED);
        assertThat(stored.etag()).isEqualTo(approved.etag()).isNotEqualTo(v1.etag());
        assertThat(stored.manifest()).isEqualTo(v1.manifest());
    }

    @Test
    void concurrentDeploymentChangesFromManyThreadsLoseNoUpdate() throws Exception {
        store.saveDeployment(Deployment.stableOnly(MODEL, 1, 0, "alice", Fixtures.T0, null));
        int threads = 8;
        int perThread = 10;
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            tasks.add(() -> {
                int conflicts = 0;
                for (int done = 0; done < perThread; ) {
                    Deployment current = store.findDeployment(MODEL).orElseThrow();
                    Deployment next = Deployment.stableOnly(MODEL, 1, current.revision() + 1, "bob", Fixtures.T0,
                            current.etag());
                    try {
                        store.saveDeployment(next);
                        done++;
                    } catch (ConflictException e) {
                        conflicts++;
                    }
                }
                return conflicts;
            });
        }
        int conflicts = 0;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (Future<Integer> f : pool.invokeAll(tasks)) {
                conflicts += f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // Every successful save moved the revision by exactly one, so a lost update would show as a smaller total.
        assertThat(store.findDeployment(MODEL).orElseThrow().revision()).isEqualTo(threads * perThread);
        assertThat(conflicts).as("the threads really raced").isPositive();
    }

    @Test
    void creatingADeploymentTwiceIsAConflict() {
        store.saveDeployment(Deployment.stableOnly(MODEL, 1, 0, "alice", Fixtures.T0, null));
        assertThatThrownBy(() -> store.saveDeployment(Deployment.stableOnly(MODEL, 2, 0, "bob", Fixtures.T0, null)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        assertThat(store.findDeployment(MODEL).orElseThrow().stable().version()).isEqualTo(1);
    }

    @Test
    void findsAVersionByPackageHashWithinTheModelOnly() {
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "a".repeat(64)));
        store.createNextVersion(MODEL, n -> Fixtures.version(MODEL, n, "b".repeat(64)));
        ModelName other = new ModelName("adherence");
        store.createNextVersion(other, n -> Fixtures.version(other, n, "b".repeat(64)));

        assertThat(store.findByPackageSha256(MODEL, "b".repeat(64))).get()
                .satisfies(v -> assertThat(v.id()).isEqualTo(health.vigil.model.ModelVersion.of("readmission", 2)));
        assertThat(store.findByPackageSha256(MODEL, "c".repeat(64))).isEmpty();
        assertThat(store.listModels()).containsExactly(other, MODEL);
    }

    @Test
    void anEventIsMarkedHandledOncePerHandlerWhateverItsIdLooksLike() {
        String eventId = "weird/id?with#chars";
        assertThat(store.isEventHandled("register", eventId)).isFalse();
        assertThat(store.markEventHandled("register", eventId)).isTrue();
        assertThat(store.markEventHandled("register", eventId)).isFalse();
        assertThat(store.isEventHandled("register", eventId)).isTrue();
        assertThat(store.isEventHandled("evaluate-gates", eventId)).isFalse();
        assertThat(store.markEventHandled("evaluate-gates", eventId)).isTrue();
    }
}

package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.sha256;
import static health.vigil.contract.ContractFixtures.uniqueModel;
import static health.vigil.contract.ContractFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.VigilException;
import health.vigil.model.Deployment;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RegistryStore} must do, whatever backs it. An adapter's test extends this class and
 * supplies the store; model names are unique per test, so a shared backend works too.
 */
public abstract class RegistryStoreContract {

    /** A store for one test; closed afterwards if it is {@link AutoCloseable}. */
    protected abstract RegistryStore newStore();

    protected RegistryStore store;

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

    @Test
    void numbersVersionsFromOnePerModel() {
        ModelName readmission = uniqueModel("readmission");
        ModelName adherence = uniqueModel("adherence");

        List<Integer> first = IntStream.range(0, 3)
                .mapToObj(i -> store.createNextVersion(readmission, n -> version(readmission, n, sha256("p" + i))))
                .map(VersionRecord::version).toList();
        VersionRecord other = store.createNextVersion(adherence, n -> version(adherence, n, sha256("q")));

        assertThat(first).containsExactly(1, 2, 3);
        assertThat(other.version()).isEqualTo(1);
    }

    @Test
    void concurrentRegistrationsOfOnePackageGiveOneVersion() throws Exception {
        ModelName model = uniqueModel("readmission");
        String sha = sha256("the same package, announced by two events");

        List<VersionRecord> results = Parallel.run(8, t -> store.createNextVersion(model, n -> version(model, n, sha)));

        assertThat(results).extracting(VersionRecord::version).containsOnly(1);
        assertThat(store.listVersions(model)).hasSize(1);
        VersionRecord other = store.createNextVersion(model, n -> version(model, n, sha256("another package")));
        assertThat(other.version()).isEqualTo(2);
    }

    @Test
    void returnsTheCreatedVersionWithAnEtagAndFindsIt() {
        ModelName model = uniqueModel("readmission");
        VersionRecord created = store.createNextVersion(model, n -> version(model, n, sha256("package")));

        assertThat(created.etag()).isNotBlank();
        assertThat(created.id().number()).isEqualTo(1);
        assertThat(store.findVersion(model, 1)).contains(created);
        assertThat(store.findVersion(model, 2)).isEmpty();
        assertThat(store.findVersion(uniqueModel("unknown"), 1)).isEmpty();
    }

    @Test
    void keepsEveryFieldOfTheDocument() {
        ModelName model = uniqueModel("readmission");
        VersionRecord[] built = new VersionRecord[1];
        VersionRecord created = store.createNextVersion(model, n -> built[0] = version(model, n, sha256("package")));

        VersionRecord read = store.findVersion(model, 1).orElseThrow();
        assertThat(read.withEtag(null)).isEqualTo(built[0]);
        assertThat(read.manifest()).isEqualTo(built[0].manifest());
        assertThat(read.etag()).isEqualTo(created.etag());
    }

    @Test
    void refusesARecordBuiltForAnotherNumberAndStoresNothing() {
        ModelName model = uniqueModel("readmission");

        assertThatThrownBy(() -> store.createNextVersion(model, n -> version(model, n + 1, sha256("package"))))
                .isInstanceOf(VigilException.class);

        assertThat(store.listVersions(model)).isEmpty();
    }

    @Test
    void concurrentRegistrationsNeverShareAVersionNumber() throws Exception {
        ModelName model = uniqueModel("readmission");
        int threads = 8;
        int perThread = 10;

        List<List<Integer>> numbers = Parallel.run(threads, t -> IntStream.range(0, perThread)
                .mapToObj(i -> store.createNextVersion(model, n -> version(model, n, sha256(t + "/" + i))).version())
                .toList());

        List<Integer> all = numbers.stream().flatMap(List::stream).sorted().toList();
        assertThat(all).containsExactlyElementsOf(IntStream.rangeClosed(1, threads * perThread).boxed().toList());
        assertThat(store.listVersions(model)).extracting(VersionRecord::version)
                .containsExactlyElementsOf(all);
    }

    @Test
    void findsAVersionByItsPackageSha256WithinItsModel() {
        ModelName model = uniqueModel("readmission");
        ModelName other = uniqueModel("adherence");
        store.createNextVersion(model, n -> version(model, n, sha256("first")));
        VersionRecord second = store.createNextVersion(model, n -> version(model, n, sha256("second")));

        assertThat(store.findByPackageSha256(model, sha256("second"))).contains(second);
        assertThat(store.findByPackageSha256(model, sha256("never uploaded"))).isEmpty();
        assertThat(store.findByPackageSha256(other, sha256("second"))).isEmpty();
    }

    @Test
    void listsVersionsOldestFirstAndModelsByName() {
        ModelName a = new ModelName("a" + uniqueModel("model").value());
        ModelName b = new ModelName("b" + uniqueModel("model").value());
        store.createNextVersion(b, n -> version(b, n, sha256("b1")));
        store.createNextVersion(a, n -> version(a, n, sha256("a1")));
        store.createNextVersion(a, n -> version(a, n, sha256("a2")));

        assertThat(store.listVersions(a)).extracting(VersionRecord::version).containsExactly(1, 2);
        assertThat(store.listVersions(uniqueModel("unknown"))).isEmpty();
        assertThat(store.listModels()).containsSubsequence(a, b);
    }

    @Test
    void updatesAVersionWhoseEtagStillMatchesAndGivesItANewEtag() {
        ModelName model = uniqueModel("readmission");
        VersionRecord created = store.createNextVersion(model, n -> version(model, n, sha256("package")));

        VersionRecord approved = store.updateVersion(created.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0.plusSeconds(60))));

        assertThat(approved.stage()).isEqualTo(Stage.APPROVED);
        assertThat(approved.etag()).isNotBlank().isNotEqualTo(created.etag());
        assertThat(store.findVersion(model, 1)).contains(approved);
    }

    @Test
    void keepsAVersionsHistoryAndSignatures() {
        ModelName model = uniqueModel("readmission");
        VersionRecord created = store.createNextVersion(model, n -> version(model, n, sha256("package")));
        ElectronicSignature signature = new ElectronicSignature("approver-1", "Dr A. Approver", T0.plusSeconds(90),
                ElectronicSignature.Meaning.APPROVED_FOR_CANARY, created.packageSha256(), "gates passed on the cohort");

        VersionRecord moved = store.updateVersion(created
                .withStage(new StageChange(Stage.REGISTERED, Stage.GATES_RUNNING, "gates", "evaluation started", T0.plusSeconds(1)))
                .withStage(new StageChange(Stage.GATES_RUNNING, Stage.GATES_PASSED, "gates", "every gate passed", T0.plusSeconds(2)))
                .withSignature(signature, T0.plusSeconds(90)));

        VersionRecord read = store.findVersion(model, 1).orElseThrow();
        assertThat(read).isEqualTo(moved);
        assertThat(read.history()).extracting(StageChange::to).containsExactly(Stage.GATES_RUNNING, Stage.GATES_PASSED);
        assertThat(read.signatures()).containsExactly(signature);
        assertThat(store.listVersions(model)).containsExactly(moved);
    }

    @Test
    void refusesAnUpdateFromAStaleRead() {
        ModelName model = uniqueModel("readmission");
        VersionRecord read = store.createNextVersion(model, n -> version(model, n, sha256("package")));
        VersionRecord approved = store.updateVersion(read.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0.plusSeconds(60))));

        assertThatThrownBy(() -> store.updateVersion(read.withStage(new StageChange(null, Stage.REJECTED, "store-test", "written directly to the store", T0.plusSeconds(61)))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        assertThat(store.findVersion(model, 1)).contains(approved);
    }

    @Test
    void refusesAnUpdateWithoutAnEtag() {
        ModelName model = uniqueModel("readmission");
        VersionRecord read = store.createNextVersion(model, n -> version(model, n, sha256("package")));

        assertThatThrownBy(() -> store.updateVersion(read.withEtag(null).withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        assertThat(store.findVersion(model, 1)).contains(read);
    }

    @Test
    void updatingAVersionThatWasNeverRegisteredIsNotFound() {
        ModelName model = uniqueModel("readmission");

        assertThatThrownBy(() -> store.updateVersion(version(model, 7, sha256("package")).withEtag("any")))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void ofConcurrentApprovalsFromTheSameReadExactlyOneWins() throws Exception {
        ModelName model = uniqueModel("readmission");
        VersionRecord read = store.createNextVersion(model, n -> version(model, n, sha256("package")));
        int threads = 8;

        List<Boolean> won = Parallel.run(threads, t -> {
            try {
                store.updateVersion(read.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", T0.plusSeconds(t))));
                return true;
            } catch (ConflictException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION);
                return false;
            }
        });

        assertThat(won).containsOnlyOnce(true);
    }

    @Test
    void concurrentReadModifyWriteLoopsLoseNoUpdate() throws Exception {
        ModelName model = uniqueModel("readmission");
        store.saveDeployment(Deployment.stableOnly(model, 1, 0, "ops", T0, null));
        int threads = 6;
        int incrementsPerThread = 15;

        List<Set<String>> etags = Parallel.run(threads, t -> {
            Set<String> mine = new HashSet<>();
            for (int i = 0; i < incrementsPerThread; i++) {
                while (true) {
                    Deployment current = store.findDeployment(model).orElseThrow();
                    try {
                        Deployment saved = store.saveDeployment(new Deployment(model, current.slots(),
                                current.revision() + 1, "ops-" + t, T0, current.etag()));
                        mine.add(saved.etag());
                        break;
                    } catch (ConflictException e) {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION);
                    }
                }
            }
            return mine;
        });

        assertThat(store.findDeployment(model).orElseThrow().revision()).isEqualTo(threads * incrementsPerThread);
        assertThat(etags.stream().mapToInt(Set::size).sum()).isEqualTo(threads * incrementsPerThread);
        assertThat(etags.stream().flatMap(Set::stream).distinct().count()).isEqualTo(threads * incrementsPerThread);
    }

    @Test
    void createsADeploymentOnceAndReplacesItOnlyWithTheCurrentEtag() {
        ModelName model = uniqueModel("readmission");
        assertThat(store.findDeployment(model)).isEmpty();

        Deployment created = store.saveDeployment(Deployment.stableOnly(model, 1, 1, "ops", T0, null));
        assertThat(created.etag()).isNotBlank();
        assertThat(store.findDeployment(model)).contains(created);

        assertThatThrownBy(() -> store.saveDeployment(Deployment.stableOnly(model, 2, 1, "other", T0, null)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));

        Deployment canary = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 95),
                new TrafficSlot(Slot.CANARY, 2, 5)), 2, "ops", T0.plusSeconds(5), created.etag());
        Deployment replaced = store.saveDeployment(canary);
        assertThat(replaced.etag()).isNotBlank().isNotEqualTo(created.etag());
        assertThat(store.findDeployment(model)).contains(replaced);
        assertThat(replaced.slot(Slot.CANARY)).contains(new TrafficSlot(Slot.CANARY, 2, 5));

        assertThatThrownBy(() -> store.saveDeployment(Deployment.stableOnly(model, 1, 3, "ops", T0, created.etag())))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        assertThat(store.findDeployment(model)).contains(replaced);
    }

    @Test
    void replacingADeploymentThatDoesNotExistIsAConflict() {
        ModelName model = uniqueModel("readmission");

        assertThatThrownBy(() -> store.saveDeployment(Deployment.stableOnly(model, 1, 1, "ops", T0, "made-up")))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
        assertThat(store.findDeployment(model)).isEmpty();
    }

    @Test
    void marksAnEventHandledOncePerHandler() {
        String event = "event-" + uniqueModel("e").value();

        assertThat(store.isEventHandled("RegisterModel", event)).isFalse();
        assertThat(store.markEventHandled("RegisterModel", event)).isTrue();
        assertThat(store.markEventHandled("RegisterModel", event)).isFalse();
        assertThat(store.isEventHandled("RegisterModel", event)).isTrue();
        assertThat(store.isEventHandled("EvaluateGates", event)).isFalse();
        assertThat(store.markEventHandled("EvaluateGates", event)).isTrue();
    }

    @Test
    void ofConcurrentDeliveriesOfOneEventExactlyOneIsFirst() throws Exception {
        String event = "event-" + uniqueModel("e").value();

        List<Boolean> first = Parallel.run(8, t -> store.markEventHandled("WriteAudit", event));

        assertThat(first).containsOnlyOnce(true);
    }
}

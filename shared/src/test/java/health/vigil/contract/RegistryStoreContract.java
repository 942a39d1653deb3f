package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.sha256;
import static health.vigil.contract.ContractFixtures.packageZip;
import static health.vigil.contract.ContractFixtures.uniqueModel;
import static health.vigil.contract.ContractFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.canary.CanaryService;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog;
import health.vigil.routing.RoutedPatients;
import java.time.Duration;
import health.vigil.config.VigilConfig;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.deployment.DeploymentService;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.VigilException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryRecord;
import health.vigil.model.CanaryStatus;
import health.vigil.model.StepAnalysis;
import health.vigil.model.Deployment;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.Provenance;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import health.vigil.port.ModelRuntime;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.registry.RegistrationService;
import health.vigil.registry.VersionLifecycle;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.shadow.ShadowService;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link RegistryStore} must do, whatever backs it. An adapter's test extends this class and
 * supplies the store; model names are unique per test, so a shared backend works too.
 */
public abstract class RegistryStoreContract {

    /** A store for one test; closed afterwards if it is {@link AutoCloseable}. */
    protected abstract RegistryStore newStore();

    /**
     * The audit store of the same family, for the tests that decisions made on this registry (registrations,
     * deployments) are recorded once; closed afterwards if it is {@link AutoCloseable}.
     */
    protected abstract AuditStore newAuditStore();

    /**
     * Writes {@code document}, a model's deployment in the JSON an earlier release stored, straight into the backing
     * store as that release would have, bypassing {@link RegistryStore#saveDeployment}.
     */
    protected abstract void storeDeploymentAsWrittenEarlier(ModelName model, String document) throws Exception;

    /**
     * Replaces the stored document of a registered version with {@code document}, a version in the JSON an earlier
     * release stored, straight in the backing store, bypassing {@link RegistryStore#updateVersion}.
     */
    protected abstract void replaceVersionAsWrittenEarlier(ModelName model, int version, String document)
            throws Exception;

    protected RegistryStore store;
    private AuditStore auditStore;
    private ModelRuntime runtime;
    private LocalAdapters blobFiles;

    @TempDir
    Path blobs;

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() throws Exception {
        for (Object opened : new Object[] {store, auditStore, runtime, blobFiles}) {
            if (opened instanceof AutoCloseable closeable) {
                closeable.close();
            }
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

        List<RegistryStore.NewVersion> results = Parallel.run(8,
                t -> store.createVersionOnce(model, n -> version(model, n, sha)));

        assertThat(results).extracting(r -> r.version().version()).containsOnly(1);
        assertThat(results).filteredOn(RegistryStore.NewVersion::created).as("the call that stored it").hasSize(1);
        assertThat(store.listVersions(model)).hasSize(1);
        assertThat(store.createVersionOnce(model, n -> version(model, n, sha)).created()).as("a later call").isFalse();
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

    /** Upload bounds a manifest's fields; a version registered before it did is still read whole. */
    @Test
    void readsAVersionWhoseManifestIsLongerThanAnUploadMayNowBe() {
        ModelName model = uniqueModel("readmission");
        VersionRecord[] built = new VersionRecord[1];
        store.createNextVersion(model, n -> {
            VersionRecord plain = version(model, n, sha256("package"));
            Manifest m = plain.manifest();
            Map<String, String> parameters = new TreeMap<>();
            IntStream.range(0, 2_000).forEach(i -> parameters.put("p" + i, "v" + i));
            Provenance p = m.provenance();
            Manifest longer = new Manifest(m.formatVersion(), m.name(), m.task(),
                    "d".repeat(50_000), m.features(), m.featurePipeline(), m.output(), m.intendedUse(),
                    IntStream.range(0, 200).mapToObj(i -> "limitation " + i).toList(), m.owner(),
                    new Provenance(p.datasetSha256(), p.datasetRows(), p.datasetDateRange(),
                            p.codeCommit(), p.codeDirty(), p.trainer(), p.seed(), parameters, p.libraries(),
                            p.javaVersion(), p.os(), p.trainedAt()));
            built[0] = new VersionRecord(model, n, longer, plain.packageSha256(), plain.modelSha256(),
                    plain.packageBlob(), plain.packageSize(), plain.stage(), plain.registeredBy(), plain.registeredAt(),
                    plain.sourceEventId(), plain.updatedAt(), null);
            return built[0];
        });

        VersionRecord read = store.findVersion(model, 1).orElseThrow();

        assertThat(read.manifest()).isEqualTo(built[0].manifest());
        assertThat(read.manifest().description()).hasSize(50_000);
        assertThat(read.manifest().provenance().parameters()).hasSize(2_000);
        assertThat(store.listVersions(model)).extracting(v -> v.manifest().limitations().size()).containsExactly(200);
    }

    /** Upload holds categories to rules added after versions were stored; a version stored before them still reads. */
    @Test
    void readsAVersionWhoseCategoriesAnUploadMayNoLongerList() throws Exception {
        ModelName model = uniqueModel("readmission");
        store.createNextVersion(model, n -> version(model, n, sha256("package")));
        ObjectNode document = (ObjectNode) Json.readTree("a stored version",
                Json.write(store.findVersion(model, 1).orElseThrow().withEtag(null)));
        ArrayNode categories = ((ObjectNode) document.get("manifest").get("features").get(2)).putArray("categories");
        categories.add("caf\u00e9").add("cafe\u0301").add("x".repeat(150)).add("skilled\tnursing").add("");
        IntStream.range(0, 1_200).forEach(i -> categories.add("c" + i));
        replaceVersionAsWrittenEarlier(model, 1, Json.write(document));

        VersionRecord read = store.findVersion(model, 1).orElseThrow();

        assertThat(read.manifest().features().features().get(2).categories()).hasSize(1_205)
                .startsWith("caf\u00e9", "cafe\u0301", "x".repeat(150), "skilled\tnursing", "");
        assertThat(store.listVersions(model)).extracting(v -> v.manifest().features().size()).containsExactly(3);
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
    void aModelWhoseFirstRegistrationFailedIsNotListedUntilAVersionExists() {
        ModelName model = uniqueModel("failed-first");
        assertThatThrownBy(() -> store.createVersionOnce(model, n -> {
            throw new IllegalStateException("the package could not be built");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(store.listModels()).doesNotContain(model);

        store.createVersionOnce(model, n -> version(model, n, sha256("now registered")));
        assertThat(store.listModels()).contains(model);
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

        Deployment canary = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 9_500),
                new TrafficSlot(Slot.CANARY, 2, 500)), 2, "ops", T0.plusSeconds(5), created.etag());
        Deployment replaced = store.saveDeployment(canary);
        assertThat(replaced.etag()).isNotBlank().isNotEqualTo(created.etag());
        assertThat(store.findDeployment(model)).contains(replaced);
        assertThat(replaced.slot(Slot.CANARY)).contains(new TrafficSlot(Slot.CANARY, 2, 500));

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
    void aDeploymentWithAShadowShareAndAnExperimentRoundTrips() {
        ModelName model = uniqueModel("readmission");
        Deployment created = store.saveDeployment(Deployment.stableOnly(model, 1, 1, "ops", T0, null));
        Experiment experiment = new Experiment(model.value() + "-2", 1, 2, 2_500, ExperimentMetric.AUROC, 0.7, 0.05,
                0.12, 0.05, 0.8, 1_234, 412, Experiment.RUNNING, "ops", T0.plusSeconds(5), null, null);
        Deployment next = new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1, 7_500),
                new TrafficSlot(Slot.CANARY, 2, 2_500), new TrafficSlot(Slot.SHADOW, 3, 1_000)), 2, "ops",
                T0.plusSeconds(5), created.etag(), null, experiment, "experiment.started");

        Deployment saved = store.saveDeployment(next);

        assertThat(store.findDeployment(model)).contains(saved);
        assertThat(saved.experiment()).isEqualTo(experiment);
        assertThat(saved.slot(Slot.SHADOW)).contains(new TrafficSlot(Slot.SHADOW, 3, 1_000));
        assertThat(saved.lastChange()).isEqualTo("experiment.started");
    }

    @Test
    void aShadowSlotKeepsWhenItWasSet() {
        ModelName model = uniqueModel("readmission");
        Deployment created = store.saveDeployment(Deployment.stableOnly(model, 1, 1, "ops", T0, null));
        TrafficSlot shadow = new TrafficSlot(Slot.SHADOW, 2, 1_000, T0.plusSeconds(5));

        Deployment saved = store.saveDeployment(new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, 1,
                TrafficSlot.ALL), shadow), 2, "ops", T0.plusSeconds(5), created.etag(), null, null, "shadow.configured"));

        assertThat(store.findDeployment(model)).contains(saved);
        assertThat(store.findDeployment(model).orElseThrow().slot(Slot.SHADOW)).contains(shadow);
        assertThat(saved.stable().since()).as("a live slot keeps no moment").isNull();
    }

    @Test
    void aDeploymentStoredBeforeShadowSlotsKeptWhenTheyWereSetReadsAndIsReplaced() throws Exception {
        ModelName model = uniqueModel("readmission");
        storeDeploymentAsWrittenEarlier(model, """
                {"modelName":"%s","slots":[{"slot":"stable","version":1,"weightBasisPoints":10000},\
                {"slot":"shadow","version":2,"weightBasisPoints":1000}],"revision":2,"updatedBy":"ops",\
                "updatedAt":"2026-03-01T08:00:05Z","etag":null,"lastChange":"shadow.configured"}""".formatted(model));

        Deployment read = store.findDeployment(model).orElseThrow();

        assertThat(read.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 1_000));
        assertThat(read.slot(Slot.SHADOW).orElseThrow().since()).isNull();
        assertThat(read.revision()).isEqualTo(2);
        assertThat(read.lastChange()).isEqualTo("shadow.configured");
        assertThat(read.etag()).isNotBlank();
        Deployment next = store.saveDeployment(new Deployment(model, List.of(read.stable(),
                new TrafficSlot(Slot.SHADOW, 2, 0, null)), 3, "ops", T0.plusSeconds(9), read.etag(), null, null,
                "shadow.stopped"));
        assertThat(store.findDeployment(model)).contains(next);
    }

    @Test
    void concurrentConfigurationsOfOneShadowWriteOneRevisionAndOneRecord() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        store.createNextVersion(model, n -> version(model, n, sha256("shadow-1"), Stage.PRODUCTION));
        store.createNextVersion(model, n -> version(model, n, sha256("shadow-2"), Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(model, 1, 1, "ops", T0, null));
        ShadowService shadows = new ShadowService(store, services.audit, services.published::add,
                new health.vigil.canary.InMemoryPredictionLog(), Clock.systemUTC(), v -> {},
                m -> java.util.Optional.empty(), m -> health.vigil.monitoring.MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
        Principal ops = new Principal("ops", Set.of(Role.DEPLOYMENTS_OPERATE));

        Parallel.run(8, t -> shadows.configure(model, new ShadowService.ConfigureCommand(2, 1_000), ops));

        assertThat(store.findDeployment(model).orElseThrow().revision()).isEqualTo(2);
        assertThat(services.records(model, ShadowService.ACTION)).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("configured"));
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

    // Decisions made on the registry are recorded once (both store families).

    @Test
    void eightConcurrentDeliveriesOfOneEventRegisterOneVersionWithOneRegisteredRecord() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        BlobCreated event = services.upload(model, "event-" + model);

        List<RegistrationOutcome> outcomes = Parallel.run(8, t -> services.registration.register(event));

        assertThat(store.listVersions(model)).hasSize(1);
        assertThat(services.records(model, RegistrationService.ACTION)).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
        assertThat(store.isEventHandled(RegistrationService.HANDLER, event.eventId())).isTrue();
        // Only the delivery that stored the version registered it; the others found it (or the event handled).
        assertThat(outcomes).extracting(RegistrationOutcome::kind).containsOnlyOnce(RegistrationOutcome.Kind.REGISTERED)
                .isSubsetOf(RegistrationOutcome.Kind.REGISTERED, RegistrationOutcome.Kind.DUPLICATE,
                        RegistrationOutcome.Kind.IGNORED);
    }

    @Test
    void eightIdenticalUploadsAtOnceRegisterOneVersionAndTellOnlyTheOneThatStoredItThatItRegisteredIt()
            throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        byte[] zip = packageZip(model, "the package, uploaded eight times at once");
        Principal scientist = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));

        List<RegistrationOutcome> outcomes = Parallel.run(8,
                t -> services.registration.upload(model, "readmission-nov.zip", zip, scientist));

        assertThat(store.listVersions(model)).hasSize(1);
        assertThat(outcomes).extracting(o -> o.version().version()).containsOnly(1);
        assertThat(outcomes).extracting(RegistrationOutcome::kind).containsOnlyOnce(RegistrationOutcome.Kind.REGISTERED)
                .containsOnly(RegistrationOutcome.Kind.REGISTERED, RegistrationOutcome.Kind.DUPLICATE);
        assertThat(services.records(model, RegistrationService.ACTION)).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
        assertThat(services.published).filteredOn(e -> e.type().equals(EventTypes.MODEL_REGISTERED))
                .extracting(VigilEvent::id).containsOnly(services.records(model, RegistrationService.ACTION).get(0).id());

        // The same upload once more, afterwards: found, as any later replay is.
        assertThat(services.registration.upload(model, "readmission-nov.zip", zip, scientist).kind())
                .isEqualTo(RegistrationOutcome.Kind.DUPLICATE);
    }

    @Test
    void eightDistinctEventsForOneNewBlobRegisterOneVersionAndRecordEachEventOnce() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        BlobCreated first = services.upload(model, "event-0-" + model);

        Parallel.run(8, t -> services.registration.register(new BlobCreated("event-" + t + "-" + model, first.container(),
                first.blobName(), first.url(), first.contentLength(), first.eTag())));

        assertThat(store.listVersions(model)).hasSize(1);
        List<AuditRecord> records = services.records(model, RegistrationService.ACTION);
        // The other seven announce the blob the version was registered from: nothing new happened, so each is
        // marked handled and none is a decision to record.
        assertThat(records).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
        for (int t = 0; t < 8; t++) {
            assertThat(store.isEventHandled(RegistrationService.HANDLER, "event-" + t + "-" + model)).isTrue();
        }
    }

    @Test
    void concurrentDeploysOfOneVersionWriteOneRecordPerRevision() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        // Two versions an approver has signed (how they got there is the approval service's tests' business).
        for (String content : List.of("first package", "second package")) {
            store.createNextVersion(model, n -> version(model, n, sha256(content)).withStage(new StageChange(
                    Stage.REGISTERED, Stage.APPROVED, "approver", "approved", ContractFixtures.T0, "approval")));
        }

        // 160 operators deploy version 1 at once, then one operator double-clicks version 2.
        Parallel.run(160, t -> services.deployments.deploy(model, 1, operator("operator-" + t)));
        Parallel.run(2, t -> services.deployments.deploy(model, 2, operator("operator-0")));

        Deployment deployment = store.findDeployment(model).orElseThrow();
        assertThat(deployment.revision()).isEqualTo(2);
        assertThat(services.records(model, DeploymentService.ACTION)).extracting(r -> r.details().get("revision"))
                .containsExactlyInAnyOrder("1", "2");
        assertThat(store.findVersion(model, 1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
        assertThat(store.findVersion(model, 2).orElseThrow().stage()).isEqualTo(Stage.PRODUCTION);
    }

    @Test
    void eightControllersTickingTogetherTakeEachRampStepOnceAndRecordItOnce() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        for (String content : List.of("stable package", "canary package")) {
            store.createNextVersion(model, n -> version(model, n, sha256(content)).withStage(new StageChange(
                    Stage.REGISTERED, Stage.APPROVED, "approver", "approved", ContractFixtures.T0, "approval")));
        }
        services.deployments.deploy(model, 1, operator("operator-0"));
        MutableClock clock = new MutableClock(java.time.Instant.now());
        List<PredictionRecord> log = new CopyOnWriteArrayList<>();
        // Eight controller instances, as on eight hosts: nothing shared but the stores.
        List<CanaryService> controllers = IntStream.range(0, 8).mapToObj(i -> new CanaryService(store,
                new VersionLifecycle(store, services.audit, clock), services.audit, services.published::add,
                listLog(log), clock, v -> { })).toList();
        Duration bake = Duration.ofMinutes(1);
        controllers.get(0).start(model, new CanaryService.StartCommand(2, null, bake, null), operator("operator-0"));

        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int round = 0; round < 4; round++) {
            Deployment before = store.findDeployment(model).orElseThrow();
            int canaryBp = before.slot(Slot.CANARY).orElseThrow().weightBasisPoints();
            // Patients whom the ramp's salted routing puts on the canary and on stable at every step.
            String onCanary = RoutedPatients.onCanary(before);
            String onStable = RoutedPatients.onStable(before);
            for (int i = 0; i < 4_000; i++) {
                boolean canary = i < Math.max(300, 4_000L * canaryBp / TrafficSlot.ALL);
                double score = random.nextDouble();
                log.add(new PredictionRecord("p-" + round + "-" + i, model, canary ? 2 : 1,
                        canary ? Slot.CANARY : Slot.STABLE, canary ? onCanary : onStable,
                        clock.instant().plusMillis(i), new float[] {1f}, score, score > 0.5, null));
            }
            clock.advance(bake.plusSeconds(1));

            List<List<Deployment>> changed = Parallel.run(8, t -> controllers.get(t).tick());

            Deployment after = store.findDeployment(model).orElseThrow();
            assertThat(after.revision()).as("one step per round").isEqualTo(before.revision() + 1);
            assertThat(changed.stream().mapToInt(List::size).sum()).as("one controller took the step").isEqualTo(1);
        }

        Deployment done = store.findDeployment(model).orElseThrow();
        assertThat(done.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        assertThat(services.records(model, CanaryService.ACTION)).extracting(AuditRecord::outcome)
                .containsExactlyInAnyOrder("started", "stepped", "stepped", "stepped", "promoted");
        assertThat(services.published.stream().filter(e -> e.type().startsWith("Vigil.Canary.")).map(VigilEvent::id)
                .distinct().count()).isEqualTo(5);
        assertThat(store.findVersion(model, 2).orElseThrow().stage()).isEqualTo(Stage.PRODUCTION);
        assertThat(store.findVersion(model, 1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
        // The moves to canary and to production, each recorded once (the fixture's approval was never audited).
        assertThat(services.records(model, VersionLifecycle.ACTION)).filteredOn(r -> r.subject().endsWith("/versions/2"))
                .hasSize(2);
        assertThat(store.findVersion(model, 2).orElseThrow().history()).extracting(StageChange::to)
                .containsExactly(Stage.APPROVED, Stage.CANARY, Stage.PRODUCTION);
    }

    @Test
    void keepsEachCanaryVersionsLastRampAndNeverReplacesItWithAnOlderRevision() throws Exception {
        ModelName model = uniqueModel("readmission");
        ModelName other = uniqueModel("adherence");
        java.time.Instant at = ContractFixtures.T0;
        CanaryRamp started = new CanaryRamp(3, 2, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, at, at.plusSeconds(600), 0, "operator", at, "started", "started", List.of());
        StepAnalysis failed = new StepAnalysis(0, 100, at, at.plusSeconds(600), 240, 23_760, StepAnalysis.FAIL,
                "mean_score differs", List.of(new CanaryMetric("mean_score", 0.41, 0.18, 9.7, 1.5e-9, 6.0e-4, true,
                        "z-test")));
        CanaryRamp rolledBack = started.with(CanaryStatus.ROLLED_BACK, 0, at, at.plusSeconds(600), 0, "rolled_back",
                "mean_score failed", failed);

        assertThat(store.keepCanary(new CanaryRecord(model, 5, "operator", at, started)).revision()).isEqualTo(5);
        CanaryRecord newer = new CanaryRecord(model, 6, CanaryService.CONTROLLER.id(), at.plusSeconds(600), rolledBack);
        assertThat(store.keepCanary(newer)).isEqualTo(newer);
        // A writer that settles revision 5 late, and one that settles 6 again, leave revision 6 as it was.
        assertThat(store.keepCanary(new CanaryRecord(model, 5, "operator", at, started))).isEqualTo(newer);
        assertThat(store.keepCanary(newer)).isEqualTo(newer);
        List<CanaryRecord> racing = Parallel.run(8, t -> store.keepCanary(new CanaryRecord(model, 7 + t % 2,
                CanaryService.CONTROLLER.id(), at.plusSeconds(1200), rolledBack)));
        assertThat(racing).allSatisfy(kept -> assertThat(kept.revision()).isBetween(7L, 8L));
        assertThat(store.findCanary(model, 3).orElseThrow().revision()).isEqualTo(8);
        store.keepCanary(new CanaryRecord(model, 9, "operator", at.plusSeconds(1800), new CanaryRamp(4, 2,
                CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT, CanaryStatus.RUNNING, 0, at, at, 0, "operator", at,
                "started", "started", List.of())));

        CanaryRecord kept = store.findCanary(model, 3).orElseThrow();
        assertThat(kept.ramp().status()).isEqualTo(CanaryStatus.ROLLED_BACK);
        assertThat(kept.ramp().analyses()).containsExactly(failed);
        assertThat(store.listCanaries(model)).extracting(CanaryRecord::version, CanaryRecord::revision)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(4, 9L), org.assertj.core.groups.Tuple.tuple(3, 8L));
        assertThat(store.findCanary(model, 4)).isPresent();
        assertThat(store.findCanary(model, 2)).isEmpty();
        assertThat(store.findCanary(other, 3)).isEmpty();
        assertThat(store.listCanaries(other)).isEmpty();
    }

    @Test
    void aCanaryRolledBackOnItsAnalysisStaysReadableAfterTheOperatorRollsTheStableVersionBack() {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        for (String content : List.of("first stable package", "stable package", "canary package")) {
            store.createNextVersion(model, n -> version(model, n, sha256(content)).withStage(new StageChange(
                    Stage.REGISTERED, Stage.APPROVED, "approver", "approved", ContractFixtures.T0, "approval")));
        }
        services.deployments.deploy(model, 1, operator("operator-0"));
        services.deployments.deploy(model, 2, operator("operator-0"));
        MutableClock clock = new MutableClock(java.time.Instant.now());
        List<PredictionRecord> log = new CopyOnWriteArrayList<>();
        CanaryService canaries = new CanaryService(store, new VersionLifecycle(store, services.audit, clock),
                services.audit, services.published::add, listLog(log), clock, v -> { });
        Duration bake = Duration.ofMinutes(1);
        Deployment started = canaries.start(model, new CanaryService.StartCommand(3, null, bake, null),
                operator("operator-0"));
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int i = 0; i < 4_000; i++) {
            boolean canary = i < 300;
            // The canary's risks run 0.3 higher than stable's for the same patients.
            double score = Math.min(1, random.nextDouble() * 0.6 + (canary ? 0.3 : 0));
            log.add(new PredictionRecord("p-" + i, model, canary ? 3 : 2, canary ? Slot.CANARY : Slot.STABLE,
                    canary ? RoutedPatients.onCanary(started) : RoutedPatients.onStable(started),
                    clock.instant().plusMillis(i), new float[] {1f}, score,
                    score > 0.5, null));
        }
        clock.advance(bake.plusSeconds(1));
        canaries.tick();
        CanaryRamp rolledBack = canaries.status(model).canary();
        assertThat(rolledBack.status()).isEqualTo(CanaryStatus.ROLLED_BACK);
        StepAnalysis failing = rolledBack.analyses().get(rolledBack.analyses().size() - 1);
        assertThat(failing.metrics()).filteredOn(CanaryMetric::failed).isNotEmpty();

        services.deployments.rollback(model, java.util.OptionalInt.empty(), operator("operator-1"));

        assertThat(store.findDeployment(model).orElseThrow().canary()).isNull();
        assertThatThrownBy(() -> canaries.status(model)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("the last canary, of version 3 (rolled back), and its analysis are kept: GET /models/"
                        + model + "/versions/3/canary");
        CanaryService.KeptCanary kept = canaries.ofVersion(model, 3);
        assertThat(kept.inDeployment()).isFalse();
        assertThat(kept.record().ramp().status()).isEqualTo(CanaryStatus.ROLLED_BACK);
        assertThat(kept.record().ramp().stableVersion()).isEqualTo(2);
        assertThat(kept.record().ramp().analyses()).last().isEqualTo(failing);
        assertThat(kept.record().ramp().analyses()).last().satisfies(a -> assertThat(a.metrics())
                .filteredOn(CanaryMetric::failed).allSatisfy(m -> assertThat(m.pValue()).isLessThan(m.level())));
        assertThatThrownBy(() -> canaries.ofVersion(model, 1)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("the canaries kept are of versions 3");
    }

    /** A prediction log in a list: the canary's analysis reads it; the log's own adapters have their contract. */
    private static PredictionLog listLog(List<PredictionRecord> records) {
        return new PredictionLog() {
            @Override
            public void append(List<PredictionRecord> batch) {
                records.addAll(batch);
            }

            @Override
            public void scan(ModelName model, java.time.Instant from, java.time.Instant to,
                    java.util.function.Consumer<PredictionRecord> sink) {
                records.stream().filter(r -> r.modelName().equals(model) && !r.time().isBefore(from)
                        && r.time().isBefore(to)).forEach(sink);
            }

            @Override
            public java.util.Optional<PredictionRecord> find(ModelName model, String predictionId,
                    java.time.Instant time) {
                return records.stream().filter(r -> r.modelName().equals(model)
                        && r.predictionId().equals(predictionId)).findFirst();
            }

            @Override
            public long purgeOlderThan(java.time.Instant cutoff) {
                return 0;
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void registrationsAreNumberedInTheOrderTheyCommitAndTheirRegistrationTimesRiseWithTheNumber() throws Exception {
        Services services = services();
        ModelName model = uniqueModel("readmission");
        List<BlobCreated> uploads = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            uploads.add(services.upload(model, "upload-" + i + "-" + model, packageZip(model, "package " + i)));
        }

        Parallel.run(uploads.size(), t -> services.registration.register(uploads.get(t)));

        List<VersionRecord> versions = store.listVersions(model);
        assertThat(versions).extracting(VersionRecord::version).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(versions).extracting(VersionRecord::registeredAt).isSorted();
    }

    /** Packages are uploaded to files, whichever family the registry is: the artifact store is not under test. */
    private ArtifactStore artifactsIn(Path folder) {
        blobFiles = LocalAdapters.at(folder, PredictionLogDurability.PROCESS_CRASH);
        return blobFiles.artifactStore();
    }

    private static Principal operator(String id) {
        return new Principal(id, Set.of(Role.DEPLOYMENTS_OPERATE));
    }

    private Services services() {
        auditStore = newAuditStore();
        runtime = new OrtModelRuntime();
        return new Services(new AuditLog(auditStore, Clock.systemUTC()), artifactsIn(blobs), runtime);
    }

    /** Registration and deployment wired on this registry, the audit store beside it and real package reading. */
    private final class Services {
        final AuditLog audit;
        final ArtifactStore artifacts;
        final RegistrationService registration;
        final DeploymentService deployments;
        final List<VigilEvent> published = new CopyOnWriteArrayList<>();

        Services(AuditLog audit, ArtifactStore artifacts, ModelRuntime runtime) {
            this.audit = audit;
            this.artifacts = artifacts;
            Clock clock = Clock.systemUTC();
            this.registration = new RegistrationService(artifacts,
                    new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS), store, audit, published::add,
                    clock, Telemetry.NONE);
            this.deployments = new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit, published::add,
                    clock);
        }

        BlobCreated upload(ModelName model, String eventId) {
            return upload(model, eventId, packageZip(model, "the package"));
        }

        BlobCreated upload(ModelName model, String eventId, byte[] zip) {
            String name = "drop/" + eventId + ".zip";
            artifacts.put(ArtifactStore.MODELS, name, new ByteArrayInputStream(zip), false);
            return new BlobCreated(eventId, ArtifactStore.MODELS, name, null, zip.length, null);
        }

        /** The audit records of {@code action} about the model's versions, from yesterday to tomorrow (UTC). */
        List<AuditRecord> records(ModelName model, String action) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            return audit.read(today.minusDays(1), today.plusDays(1)).stream()
                    .filter(r -> r.action().equals(action) && r.subject().startsWith("/models/" + model.value() + "/"))
                    .toList();
        }
    }
}

package health.vigil.deployment;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.RecentRequest;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.InterceptedRegistryStore;
import health.vigil.registry.ServiceFixtures;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;

class DeploymentServiceTest {
    private static final Instant NOW = Instant.parse("2026-11-06T09:30:00Z");
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final EventPublisher events = mock(EventPublisher.class);
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final DeploymentService service = new DeploymentService(store, new VersionLifecycle(store, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock);

    private Stage stageOf(int version) {
        return store.findVersion(READMISSION, version).orElseThrow().stage();
    }

    /** The deployment decisions; each stage move is audited too, by the lifecycle, under its own action. */
    private List<AuditRecord> audit() {
        return auditStore.read("2026-11-06").stream().filter(r -> r.action().equals(DeploymentService.ACTION)).toList();
    }

    private List<AuditRecord> stageMoves() {
        return auditStore.read("2026-11-06").stream().filter(r -> r.action().equals(VersionLifecycle.ACTION)).toList();
    }

    private List<VigilEvent> published(int times) {
        ArgumentCaptor<VigilEvent> captor = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events, times(times)).publish(captor.capture());
        return captor.getAllValues();
    }

    @Test
    void theFirstDeploymentPutsTheVersionOnAllTrafficAndIntoProduction() {
        store.put(version(READMISSION, 1, Stage.APPROVED));

        Deployment d = service.deploy(READMISSION, 1, OPS);

        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(d.revision()).isEqualTo(1);
        assertThat(d.updatedBy()).isEqualTo("ops-oncall");
        assertThat(d.updatedAt()).isEqualTo(NOW);
        assertThat(service.current(READMISSION)).contains(d);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        AuditRecord record = audit().get(0);
        assertThat(record.actor()).isEqualTo("ops-oncall");
        assertThat(record.action()).isEqualTo("deployment.deploy");
        assertThat(record.subject()).isEqualTo("/models/readmission/versions/1");
        assertThat(record.details()).containsEntry("revision", "1").doesNotContainKey("previousVersion");
        VigilEvent event = published(1).get(0);
        assertThat(event.type()).isEqualTo(EventTypes.MODEL_DEPLOYED);
        assertThat(event.subject()).isEqualTo("/models/readmission/versions/1");
        assertThat(event.data()).isEqualTo(Map.of("model", "readmission", "version", 1, "revision", 1L));
    }

    @Test
    void deployingANewVersionRetiresThePreviousStableOne() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        service.deploy(READMISSION, 1, OPS);

        Deployment d = service.deploy(READMISSION, 2, OPS);

        assertThat(d.stable().version()).isEqualTo(2);
        assertThat(d.revision()).isEqualTo(2);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(audit().get(1).details()).containsEntry("previousVersion", "1");
        assertThat(published(2).get(1).data()).containsEntry("previousVersion", 1).containsEntry("version", 2);
        assertThat(store.findVersion(READMISSION, 1).orElseThrow().history()).extracting(StageChange::to)
                .containsExactly(Stage.PRODUCTION, Stage.RETIRED);
        assertThat(stageMoves()).extracting(r -> r.subject() + " " + r.outcome() + " by " + r.actor()).containsExactlyInAnyOrder(
                "/models/readmission/versions/1 production by ops-oncall",
                "/models/readmission/versions/2 production by ops-oncall",
                "/models/readmission/versions/1 retired by ops-oncall");
    }

    @Test
    void aVersionThatWasNotApprovedIsNotDeployed() {
        store.put(version(READMISSION, 1, Stage.GATES_PASSED));

        assertThatThrownBy(() -> service.deploy(READMISSION, 1, OPS))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                    assertThat(e.getMessage()).contains("it is through its gates (gates_passed): it waits for a human approver")
                            .contains("production only from approved");
                });
        assertThat(service.current(READMISSION)).isEmpty();
        assertThat(stageOf(1)).isEqualTo(Stage.GATES_PASSED);
        verifyNoInteractions(events);
    }

    @Test
    void deployingTheVersionAlreadyOnAllTrafficChangesNothing() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        Deployment first = service.deploy(READMISSION, 1, OPS);

        Deployment again = service.deploy(READMISSION, 1, new Principal("someone-else", Set.of()));

        assertThat(again).isEqualTo(first);
        assertThat(audit()).hasSize(1);
        published(1);
    }

    @Test
    void aRetiredVersionCanBeDeployedAgainAsARollback() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        service.deploy(READMISSION, 1, OPS);
        service.deploy(READMISSION, 2, OPS);

        Deployment d = service.deploy(READMISSION, 1, OPS);

        assertThat(d.stable().version()).isEqualTo(1);
        assertThat(d.revision()).isEqualTo(3);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(2)).isEqualTo(Stage.RETIRED);
    }

    @Test
    void aRejectedOrGateFailedVersionCannotBeDeployed() {
        store.put(version(READMISSION, 1, Stage.REJECTED));
        store.put(version(READMISSION, 2, Stage.GATES_FAILED));

        for (int v : new int[] {1, 2}) {
            assertThatThrownBy(() -> service.deploy(READMISSION, v, OPS))
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                    .hasMessageContaining("readmission:" + v).hasMessageContaining(v == 1 ? "rejected" : "gates_failed");
        }
        assertThat(service.current(READMISSION)).isEmpty();
        assertThat(audit()).as("nothing was deployed; each attempt is on record as refused, with the stage that refused it")
                .allSatisfy(r -> assertThat(r.outcome()).isEqualTo("refused"))
                .extracting(r -> r.subject() + " " + r.details().get("stage"))
                .containsExactly("/models/readmission/versions/1 rejected", "/models/readmission/versions/2 gates_failed");
        verifyNoInteractions(events);
    }

    @Test
    void anUnknownVersionOrModelIsNotFound() {
        store.put(version(READMISSION, 1, Stage.APPROVED));

        assertThatThrownBy(() -> service.deploy(READMISSION, 5, OPS))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_FOUND));
        assertThatThrownBy(() -> service.deploy(ModelName.of("adherence"), 1, OPS))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
    }

    /**
     * The canary of version 2 was rolled back (the revision serves version 1 alone) but its stage move lags (its writer
     * stopped before it): a deploy of version 2 read it as CANARY, deployable, settled the revision (moving it to
     * ROLLED_BACK) and then put it on all traffic, recorded as rolled back, with every later settling refused. It is
     * refused now, and the deployment is left as it was.
     */
    @Test
    void aCanaryRolledBackWhoseStageLagsIsNotDeployedOnceTheRollbackIsSettled() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.CANARY));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 8, "canary-controller", NOW, null));

        assertThatThrownBy(() -> service.deploy(READMISSION, 2, OPS)).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));

        assertThat(store.findDeployment(READMISSION).orElseThrow().revision()).isEqualTo(8);
        assertThat(store.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(1);
        assertThat(stageOf(2)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.details()).containsEntry("stage", "rolled_back");
        });
    }

    @Test
    void deployingOverARunningCanaryTakesItOffTrafficAndRollsItBack() {
        ServiceFixtures.canaryOfVersion2Over1(store, NOW);

        Deployment d = service.deploy(READMISSION, 3, OPS);

        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 3, TrafficSlot.ALL));
        assertThat(d.revision()).isEqualTo(8);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(stageOf(2)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(stageOf(3)).isEqualTo(Stage.PRODUCTION);
        assertThat(audit().get(0).details()).containsEntry("displacedCanary", "2").containsEntry("previousVersion", "1");
        // The answer says so, and so does the same revision's answer to a repeated deploy.
        assertThat(service.ended(d)).hasValueSatisfying(ended -> {
            assertThat(ended.kind()).isEqualTo(DeploymentService.Ended.CANARY);
            assertThat(ended.version()).isEqualTo(2);
            assertThat(ended.message()).isEqualTo("the running canary of version 2 of `readmission` has ended: it no"
                    + " longer takes live traffic and is rolled back; its ramp and analysis stay readable at GET"
                    + " /models/readmission/versions/2/canary");
        });
        assertThat(service.ended(service.deploy(READMISSION, 3, OPS))).map(DeploymentService.Ended::version).hasValue(2);
    }

    @Test
    void aDeployOverARunningExperimentSaysItEndedItAndOneOverStableAloneSaysNothingEnded() {
        givenAnExperimentOfVersion2Over1();

        Deployment d = service.deploy(READMISSION, 3, OPS);

        assertThat(service.ended(d)).hasValueSatisfying(ended -> {
            assertThat(ended.kind()).isEqualTo(DeploymentService.Ended.EXPERIMENT);
            assertThat(ended.message()).isEqualTo("the running experiment of version 2 of `readmission` has ended: its"
                    + " treatment no longer takes live traffic");
        });
        assertThat(service.ended(service.rollback(READMISSION, java.util.OptionalInt.empty(), OPS))).isEmpty();
    }

    /** Version 1 in production and revision 2 (version 2 on all traffic) saved, with nothing after the save. */
    private void givenVersion2SavedByAnotherCall(String by, Instant at) {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 2, 2, by, at, null));
    }

    @Test
    void aDeployInterruptedAfterSavingIsCompletedByCallingItAgain() {
        // The earlier call saved the deployment a minute ago, then failed before the stages, audit and event.
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));

        service.deploy(READMISSION, 2, OPS);

        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.actor()).isEqualTo("ops-lead");
            assertThat(r.details()).containsEntry("revision", "2").containsEntry("completedBy", "ops-oncall");
        });
        VigilEvent event = published(1).get(0);
        assertThat(event.type()).isEqualTo(EventTypes.MODEL_DEPLOYED);
        assertThat(event.id()).isEqualTo(audit().get(0).id());
    }

    /**
     * A revision another service wrote (stopping an experiment puts its control version back on all traffic) is
     * recorded by that service: deploying that version then changes nothing and records no deployment in the name of
     * whoever stopped the experiment.
     */
    @Test
    void aDeployOfTheControlVersionAfterAnExperimentStopRecordsNoDeployment() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL)), 3,
                "experimenter", NOW.minusSeconds(60), null, null, null, "experiment.stopped"));

        Deployment serving = service.deploy(READMISSION, 1, OPS);

        assertThat(serving.revision()).isEqualTo(3);
        assertThat(audit()).isEmpty();
        verifyNoInteractions(events);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
    }

    @Test
    void aRollbackSentAgainUnderItsIdempotencyKeyAnswersTheFirstOutcomeAndRollsBackNoFurther() {
        deployedOneAfterTheOther(3);
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("rollback-7f3a"));
        DeploymentService.Outcome first = service.rollback(READMISSION, OptionalInt.empty(), OPS, key);
        int records = auditStore.read("2026-11-06").size();

        // The answer was lost; the client sends the same request again.
        DeploymentService.Outcome again = service.rollback(READMISSION, OptionalInt.empty(), OPS, key);

        assertThat(first.replayed()).isFalse();
        assertThat(first.deployment().stable().version()).isEqualTo(2);
        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment()).isEqualTo(first.deployment());
        assertThat(service.current(READMISSION)).contains(first.deployment());
        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(audit()).hasSize(4);
        published(4);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(3)).isEqualTo(Stage.RETIRED);
        // The same key naming another version is another request: refused, nothing changes.
        assertThatThrownBy(() -> service.rollback(READMISSION, OptionalInt.of(1), OPS, key))
                .isInstanceOf(ConflictException.class).hasMessageContaining("another request");
        assertThat(service.current(READMISSION)).contains(first.deployment());

        // A new key is a new rollback, as one without a key is: back to the version the first one left.
        DeploymentService.Outcome next = service.rollback(READMISSION, OptionalInt.empty(), OPS,
                Optional.of(new IdempotencyKey("rollback-9c1d")));
        assertThat(next.replayed()).isFalse();
        assertThat(next.deployment().stable().version()).isEqualTo(3);
        assertThat(audit()).hasSize(5);
    }

    @Test
    void aRollbackSentAgainAfterAnotherChangeFollowedItAnswersWhatItDidAndRollsBackNoFurther() {
        deployedOneAfterTheOther(3);
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("rollback-5e21"));
        DeploymentService.Outcome first = service.rollback(READMISSION, OptionalInt.empty(), OPS, key);
        // Before the answer reaches the client, a colleague puts version 3 back on all traffic.
        Deployment colleagues = service.deploy(READMISSION, 3, new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));
        int records = auditStore.read("2026-11-06").size();

        DeploymentService.Outcome again = service.rollback(READMISSION, OptionalInt.empty(), OPS, key);

        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment().revision()).isEqualTo(first.deployment().revision());
        assertThat(again.deployment().slots()).isEqualTo(first.deployment().slots());
        assertThat(again.deployment().updatedBy()).isEqualTo("ops-oncall");
        assertThat(service.takenOff(again.deployment()).previousVersion()).hasValue(3);
        assertThat(service.current(READMISSION)).contains(colleagues);
        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(stageOf(3)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(2)).isEqualTo(Stage.RETIRED);
        // The key still names that rollback: sent with another request it is refused, and nothing changes.
        assertThatThrownBy(() -> service.deploy(READMISSION, 2, OPS, key))
                .isInstanceOf(ConflictException.class).hasMessageContaining("a rollback to the previous version")
                .hasMessageContaining("revision 4");
        assertThat(service.current(READMISSION)).contains(colleagues);
    }

    @Test
    void aDeploymentRemembersOnlyItsRecentKeyedRequests() {
        deployedOneAfterTheOther(2);
        for (int i = 0; i <= Deployment.RECENT_REQUESTS; i++) {
            service.rollback(READMISSION, OptionalInt.empty(), OPS, Optional.of(new IdempotencyKey("back-" + i)));
        }
        int revision = (int) service.current(READMISSION).orElseThrow().revision();

        // The oldest key was forgotten when the history filled; the next oldest still holds.
        DeploymentService.Outcome second = service.rollback(READMISSION, OptionalInt.empty(), OPS,
                Optional.of(new IdempotencyKey("back-1")));
        DeploymentService.Outcome oldest = service.rollback(READMISSION, OptionalInt.empty(), OPS,
                Optional.of(new IdempotencyKey("back-0")));
        assertThat(second.replayed()).isTrue();
        assertThat(second.deployment().revision()).isEqualTo(4);
        assertThat(oldest.replayed()).isFalse();
        assertThat(oldest.deployment().revision()).isEqualTo(revision + 1);

        // A day later every key is spent.
        Clock later = Clock.fixed(NOW.plus(Deployment.REQUEST_WINDOW).plusSeconds(1), ZoneOffset.UTC);
        AuditLog log = new AuditLog(auditStore, later);
        DeploymentService tomorrow = new DeploymentService(store, new VersionLifecycle(store, log, later), log, events,
                later);
        DeploymentService.Outcome spent = tomorrow.rollback(READMISSION, OptionalInt.empty(), OPS,
                Optional.of(new IdempotencyKey("back-20")));
        assertThat(spent.replayed()).isFalse();
        assertThat(spent.deployment().revision()).isEqualTo(revision + 2);
    }

    @Test
    void aDeploymentDocumentFromBeforeTheHistoryOfRequestsStillReadsAndItsKeyStillHolds() {
        store.put(version(READMISSION, 1, Stage.RETIRED));
        store.put(version(READMISSION, 2, Stage.PRODUCTION));
        Deployment stored = health.vigil.json.Json.read("a stored deployment", """
                {"modelName":"readmission","slots":[{"slot":"stable","version":2,"weightBasisPoints":10000}],
                 "revision":2,"updatedBy":"ops-oncall","updatedAt":"2026-11-06T09:29:00Z","etag":null,
                 "requestKey":"deploy-2"}""", Deployment.class);
        store.saveDeployment(stored);

        DeploymentService.Outcome again = service.deploy(READMISSION, 2, OPS, Optional.of(new IdempotencyKey("deploy-2")));

        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment().revision()).isEqualTo(2);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.actor()).isEqualTo("ops-oncall"));
    }

    /** Versions 1 to {@code last}, each approved and deployed after the one before. */
    private void deployedOneAfterTheOther(int last) {
        for (int v = 1; v <= last; v++) {
            store.put(version(READMISSION, v, Stage.APPROVED));
            service.deploy(READMISSION, v, OPS);
        }
    }

    /**
     * Two operators read revision 3 (version 3 stable) and both roll back: the first goes back to version 2; the
     * second, sent on the revision it read, is refused instead of rolling back once more to version 1.
     */
    @Test
    void aRollbackOnTheRevisionAnotherRollbackReplacedIsRefusedAndChangesNothing() {
        deployedOneAfterTheOther(3);
        Principal colleague = new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE));
        Deployment read = service.current(READMISSION).orElseThrow();
        Deployment first = service.rollback(READMISSION, OptionalInt.empty(), colleague, Optional.empty(),
                OptionalLong.of(read.revision())).deployment();
        int records = auditStore.read("2026-11-06").size();

        assertThatThrownBy(() -> service.rollback(READMISSION, OptionalInt.empty(), OPS, Optional.empty(),
                OptionalLong.of(read.revision())))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("is at revision 4 (stable version 2, written by ops-lead at")
                .hasMessageContaining("not at revision 3 as If-Match says")
                .hasMessageContaining("nothing was changed");

        assertThat(first.stable().version()).isEqualTo(2);
        assertThat(service.current(READMISSION)).contains(first);
        // Only the refused attempt is recorded: no stage moved.
        assertThat(auditStore.read("2026-11-06")).hasSize(records + 1);
        assertThat(audit().get(audit().size() - 1).outcome()).isEqualTo("refused");
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        // On the revision it now reads, the same rollback is made.
        assertThat(service.rollback(READMISSION, OptionalInt.empty(), OPS, Optional.empty(),
                OptionalLong.of(first.revision())).deployment().stable().version()).isEqualTo(3);
    }

    /**
     * A deploy sent on a revision a change has since replaced (here another operator's deploy) is refused and changes
     * nothing; one sent on the revision it read is made.
     */
    @Test
    void aDeployOnARevisionAnotherChangeReplacedIsRefusedAndChangesNothing() {
        deployedOneAfterTheOther(2);
        store.put(version(READMISSION, 3, Stage.APPROVED));
        long read = service.current(READMISSION).orElseThrow().revision();
        Deployment moved = service.deploy(READMISSION, 3, new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));

        assertThatThrownBy(() -> service.deploy(READMISSION, 2, OPS, Optional.empty(), OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("is at revision " + moved.revision());
        assertThat(service.current(READMISSION)).contains(moved);

        Deployment made = service.deploy(READMISSION, 2, OPS, Optional.empty(), OptionalLong.of(moved.revision()))
                .deployment();
        assertThat(made.revision()).isEqualTo(moved.revision() + 1);
        assertThat(made.stable().version()).isEqualTo(2);
    }

    /**
     * A deploy sent with If-Match whose write landed and whose answer was lost, sent again without a key on the
     * revision it read, finds the deployment serving exactly what it asked: it answers as a deploy of what already
     * serves does (the deployment as it is, not replayed), and writes nothing, not even a refused record. A deploy of
     * another version on that revision, or of that version while a shadow shares the deployment (which it would take
     * off), is still refused.
     */
    @Test
    void aDeploySentAgainOnTheRevisionItReadAfterItsWriteLandedAnswersAsAlreadyServingAndWritesNothing() {
        deployedOneAfterTheOther(1);
        store.put(version(READMISSION, 2, Stage.APPROVED));
        long read = service.current(READMISSION).orElseThrow().revision();
        Deployment landed = service.deploy(READMISSION, 2, OPS, Optional.empty(), OptionalLong.of(read)).deployment();
        int records = auditStore.read("2026-11-06").size();

        DeploymentService.Outcome again = service.deploy(READMISSION, 2, OPS, Optional.empty(), OptionalLong.of(read));

        assertThat(again.deployment()).isEqualTo(landed);
        assertThat(again.replayed()).isFalse();
        assertThat(service.takenOff(again.deployment()).previousVersion()).hasValue(1);
        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(service.current(READMISSION)).contains(landed);
        published(2);

        assertThatThrownBy(() -> service.deploy(READMISSION, 1, OPS, Optional.empty(), OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        Deployment shadowed = store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 2,
                TrafficSlot.ALL), new TrafficSlot(Slot.SHADOW, 1, 1_000)), landed.revision() + 1, "ops-lead", NOW,
                landed.etag(), null, null, "shadow.configured"));
        assertThatThrownBy(() -> service.deploy(READMISSION, 2, OPS, Optional.empty(), OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(service.current(READMISSION)).contains(shadowed);
    }

    /**
     * A deploy or rollback refused for its If-Match is a decision someone tried to take on a deployment that had moved
     * on: one refused record per request, of the request it made, naming the caller, the revision it read and the one
     * it found, as a refusal of the lifecycle is recorded.
     */
    @Test
    void aDeployOrRollbackRefusedForItsRevisionIsOneRefusedRecordNamingBothRevisions() {
        deployedOneAfterTheOther(3);
        long read = service.current(READMISSION).orElseThrow().revision();
        service.rollback(READMISSION, OptionalInt.empty(), new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));
        int before = audit().size();

        assertThatThrownBy(() -> service.deploy(READMISSION, 1, OPS, Optional.empty(), OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThatThrownBy(() -> service.rollback(READMISSION, OptionalInt.empty(), OPS, Optional.empty(),
                OptionalLong.of(read))).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> service.rollback(READMISSION, OptionalInt.of(1), OPS, Optional.empty(),
                OptionalLong.of(read))).isInstanceOf(ConflictException.class);

        List<AuditRecord> refused = audit().subList(before, audit().size());
        assertThat(refused).hasSize(3).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.details()).containsEntry("reason", "CONFLICT").containsEntry("expectedRevision", "3")
                    .containsEntry("currentRevision", "4");
            assertThat(r.details().get("message")).contains("not at revision 3 as If-Match says");
        });
        assertThat(refused).extracting(r -> r.details().get("request") + " " + r.subject()).containsExactly(
                "deploy /models/readmission/versions/1", "rollback /models/readmission",
                "rollback /models/readmission/versions/1");
        assertThat(refused.get(0).details()).containsEntry("stage", "retired");
        assertThat(service.current(READMISSION).orElseThrow().revision()).isEqualTo(4);
    }

    /**
     * A deploy whose check of the revision passed and whose write then lost to another change is refused on the
     * revision it reads again: one refused record for the one request. A deploy with an If-Match on a model not yet
     * deployed names no revision found.
     */
    @Test
    void aDeployRefusedForARevisionWrittenWhileItRanIsRecordedOnceAndOneOnNoDeploymentNamesNoRevisionFound() {
        deployedOneAfterTheOther(2);
        store.put(version(READMISSION, 3, Stage.APPROVED));
        long read = service.current(READMISSION).orElseThrow().revision();
        AtomicReference<Runnable> beforeSaving = new AtomicReference<>(
                () -> service.deploy(READMISSION, 1, new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE))));
        RegistryStore hooked = InterceptedRegistryStore.of(store, (method, args, call) -> {
            if (method.equals("saveDeployment")) {
                Optional.ofNullable(beforeSaving.getAndSet(null)).ifPresent(Runnable::run);
            }
            return call.call();
        });
        AuditLog log = new AuditLog(auditStore, clock);
        DeploymentService racing = new DeploymentService(hooked, new VersionLifecycle(hooked, log, clock), log, events,
                clock);
        int before = audit().size();

        assertThatThrownBy(() -> racing.deploy(READMISSION, 3, OPS, Optional.empty(), OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        ModelName sepsis = new ModelName("sepsis");
        store.put(version(sepsis, 1, Stage.APPROVED));
        assertThatThrownBy(() -> service.deploy(sepsis, 1, OPS, Optional.empty(), OptionalLong.of(1)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("has no deployment yet");

        List<AuditRecord> after = audit().subList(before, audit().size());
        assertThat(after).extracting(AuditRecord::outcome).containsExactly("deployed", "refused", "refused");
        assertThat(after.get(1).details()).containsEntry("request", "deploy").containsEntry("expectedRevision", "2")
                .containsEntry("currentRevision", "3");
        assertThat(after.get(1).subject()).isEqualTo("/models/readmission/versions/3");
        assertThat(after.get(2).details()).containsEntry("expectedRevision", "1").doesNotContainKey("currentRevision");
        assertThat(service.current(READMISSION).orElseThrow().stable().version()).isEqualTo(1);
        assertThat(service.current(sepsis)).isEmpty();
    }

    /**
     * A rollback to version 0 or -1 names no version any model can have: the request is malformed (400), not a decision
     * the lifecycle refused, so it leaves no refused record of a rollback on the audit trail.
     */
    @Test
    void aRollbackNamingAVersionBelowOneIsRefusedAsInvalidAndRecordsNothing() {
        deployedOneAfterTheOther(2);
        int records = auditStore.read("2026-11-06").size();
        Deployment serving = service.current(READMISSION).orElseThrow();

        for (int bad : new int[] {0, -1}) {
            assertThatThrownBy(() -> service.rollback(READMISSION, OptionalInt.of(bad), OPS))
                    .isInstanceOfSatisfying(VigilException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                        assertThat(e.httpStatus()).isEqualTo(400);
                    })
                    .hasMessageContaining("\"version\" is " + bad + "; versions start at 1");
        }

        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(service.current(READMISSION)).contains(serving);
    }

    @Test
    void anIdempotencyKeyIsTheCallersOwn() {
        deployedOneAfterTheOther(2);
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("k-1"));
        service.rollback(READMISSION, OptionalInt.empty(), OPS, key);

        DeploymentService.Outcome theirs = service.rollback(READMISSION, OptionalInt.empty(),
                new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)), key);

        assertThat(theirs.replayed()).isFalse();
        assertThat(theirs.deployment().stable().version()).isEqualTo(2);
    }

    @Test
    void aDeploySentAgainUnderItsIdempotencyKeyAfterItStoppedHalfWayCompletesItOnce() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("deploy-2"));
        // The first request saved its deployment a minute ago and stopped before its stages, record and event.
        store.saveDeployment(Deployment.stableOnly(READMISSION, 2, 2, "ops-oncall", NOW.minusSeconds(60), null)
                .remembering(RecentRequest.of(key.get(), "ops-oncall", RecentRequest.DEPLOY, OptionalInt.of(2), 2, 2,
                        NOW.minusSeconds(60))));

        DeploymentService.Outcome again = service.deploy(READMISSION, 2, OPS, key);

        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment().revision()).isEqualTo(2);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.actor()).isEqualTo("ops-oncall"));
        published(1);
    }

    @Test
    void theTimerSettlesADeployThatStoppedAfterSavingOnceAndThenChangesNothing() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));

        service.settle();

        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(store.findVersion(READMISSION, 2).orElseThrow().history()).extracting(c -> c.actor() + " " + c.cause())
                .containsExactly("ops-lead deployment:readmission:revision-2");
        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.actor()).isEqualTo("ops-lead");
            assertThat(r.details()).containsEntry("revision", "2").containsEntry("completedBy", Principal.SYSTEM.id());
        });
        assertThat(published(1).get(0).id()).isEqualTo(audit().get(0).id());
        int records = auditStore.read("2026-11-06").size();
        Deployment settled = store.findDeployment(READMISSION).orElseThrow();

        service.settle();

        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(store.findDeployment(READMISSION)).contains(settled);
        assertThat(store.findVersion(READMISSION, 1).orElseThrow().history()).hasSize(1);
        published(1);
    }

    @Test
    void aModelTheTimerCannotSettleDoesNotHoldUpTheOthersAndItsFailureIsStillSaid() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));
        ModelName[] unreadable = {ModelName.of("adherence"), ModelName.of("zz-complications")};
        for (ModelName model : unreadable) {
            store.put(version(model, 1, Stage.APPROVED));
        }
        // The store answers every model but the two unreadable ones, listed either side of readmission.
        InMemoryRegistryStore failing = org.mockito.Mockito.spy(store);
        for (ModelName model : unreadable) {
            org.mockito.Mockito.doThrow(new StoreException("the deployments of " + model + " did not answer", null))
                    .when(failing).findDeployment(model);
        }
        AuditLog log = new AuditLog(auditStore, clock);
        DeploymentService timer = new DeploymentService(failing, new VersionLifecycle(failing, log, clock), log, events,
                clock);

        assertThatThrownBy(timer::settle).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));

        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("revision", "2"));
    }

    @Test
    void theTimerSettlesTheStagesOfADeployStillRecordingButLeavesTheRecordToIt() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusMillis(200));

        service.settle(READMISSION);

        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(audit()).isEmpty();
        verifyNoInteractions(events);
    }

    @Test
    void aRollbackAfterADeployThatStoppedBeforeItsStagesGoesBackToTheVersionItReplaced() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));

        Deployment back = service.rollback(READMISSION, java.util.OptionalInt.empty(), OPS);

        assertThat(back.stable().version()).isEqualTo(1);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(2)).isEqualTo(Stage.RETIRED);
        // The stopped deploy's moves are recorded as its own: its operator, its revision.
        assertThat(store.findVersion(READMISSION, 2).orElseThrow().history())
                .extracting(c -> c.from() + ">" + c.to() + " by " + c.actor() + " for " + c.cause())
                .containsExactly("APPROVED>PRODUCTION by ops-lead for deployment:readmission:revision-2",
                        "PRODUCTION>RETIRED by ops-oncall for deployment:readmission:revision-3");
        assertThat(stageMoves()).extracting(r -> r.subject() + " " + r.outcome() + " by " + r.actor()).containsExactly(
                "/models/readmission/versions/1 retired by ops-lead",
                "/models/readmission/versions/2 production by ops-lead",
                "/models/readmission/versions/1 production by ops-oncall",
                "/models/readmission/versions/2 retired by ops-oncall");
    }

    @Test
    void aRollbackToANamedVersionSentAgainChangesNothingAndRecordsNothingMore() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));
        Deployment back = service.rollback(READMISSION, java.util.OptionalInt.of(1), OPS);
        int records = auditStore.read("2026-11-06").size();

        Deployment again = service.rollback(READMISSION, java.util.OptionalInt.of(1), OPS);

        assertThat(again).isEqualTo(back);
        assertThat(auditStore.read("2026-11-06")).hasSize(records);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("deployed"));
        published(1);
    }

    @Test
    void theNextDeployAfterADeployThatStoppedBeforeItsStagesRetiresTheVersionThatDeployPutOnTraffic() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusSeconds(60));
        store.put(version(READMISSION, 3, Stage.APPROVED));

        service.deploy(READMISSION, 3, OPS);

        assertThat(store.findVersion(READMISSION, 2).orElseThrow().history()).extracting(c -> c.to() + " by " + c.actor())
                .containsExactly("PRODUCTION by ops-lead", "RETIRED by ops-oncall");
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        // Version 2 served last before version 3, as the deploy's record says: a rollback goes back to it.
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "2"));
        assertThat(service.rollback(READMISSION, java.util.OptionalInt.empty(), OPS).stable().version()).isEqualTo(2);
    }

    @Test
    void aCallThatFindsARevisionStillBeingSettledWaitsForItsRecordAndWritesNoneItself() throws Exception {
        // Another call (the first of a double click) saved this revision a moment ago and is still settling it.
        givenVersion2SavedByAnotherCall("ops-oncall", NOW.minusMillis(200));
        AuditLog audit = new AuditLog(auditStore, clock);
        Deployment saved = store.findDeployment(READMISSION).orElseThrow();
        CompletableFuture<AuditRecord> firstCallRecords = CompletableFuture.supplyAsync(() -> {
            sleep(300);
            AuditRecord record = audit.recordOnce(DeploymentService.auditKey(saved), "ops-oncall",
                    DeploymentService.ACTION, "/models/readmission/versions/2", "deployed",
                    Map.of("revision", "2", "previousVersion", "1"));
            // That call then publishes its event and marks the revision announced.
            store.markEventHandled(health.vigil.registry.Announcements.HANDLER, DeploymentService.auditKey(saved));
            return record;
        });

        service.deploy(READMISSION, 2, OPS);

        assertThat(firstCallRecords).isDone();
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "1")
                .doesNotContainKey("completedBy"));
        verify(events, never()).publish(any());
    }

    @Test
    void aRevisionLeftWithoutItsRecordForTheSettleTimeIsCompleted() {
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusMillis(200));
        DeploymentService impatient = new DeploymentService(store, new VersionLifecycle(store, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock,
                Duration.ofMillis(400));

        impatient.deploy(READMISSION, 2, OPS);

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("completedBy", "ops-oncall"));
        published(1);
    }

    @Test
    void aRevisionRecordedButNotAnnouncedIsAnnouncedByTheNextDeployUnderItsRecordsId() {
        // The call that saved revision 2 recorded it and died before its event went out.
        givenVersion2SavedByAnotherCall("ops-lead", NOW.minusMillis(200));
        Deployment saved = store.findDeployment(READMISSION).orElseThrow();
        AuditRecord recorded = new AuditLog(auditStore, clock).recordOnce(DeploymentService.auditKey(saved), "ops-lead",
                DeploymentService.ACTION, "/models/readmission/versions/2", "deployed", Map.of("revision", "2"));
        DeploymentService impatient = new DeploymentService(store, new VersionLifecycle(store, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock,
                Duration.ofMillis(400));

        impatient.deploy(READMISSION, 2, OPS);
        impatient.deploy(READMISSION, 2, OPS);

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.id()).isEqualTo(recorded.id()));
        VigilEvent event = published(1).get(0);
        assertThat(event.type()).isEqualTo(EventTypes.MODEL_DEPLOYED);
        assertThat(event.id()).isEqualTo(recorded.id());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aDeployRepeatedAfterItsRecordExistsWritesNothingMore() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        service.deploy(READMISSION, 1, OPS);

        service.deploy(READMISSION, 1, OPS);
        Deployment again = service.deploy(READMISSION, 1, new Principal("someone-else", Set.of(Role.DEPLOYMENTS_OPERATE)));

        assertThat(again.revision()).isEqualTo(1);
        assertThat(audit()).hasSize(1);
        published(1);
    }

    @Test
    void aLostRaceOnTheDeploymentIsRetriedOnTheFreshlyReadDocument() {
        RegistryStore racing = mock(RegistryStore.class);
        VersionRecord v3 = version(READMISSION, 3, Stage.APPROVED);
        when(racing.findVersion(READMISSION, 3)).thenReturn(Optional.of(v3));
        when(racing.listVersions(READMISSION)).thenReturn(List.of(v3));
        when(racing.updateVersion(any())).thenAnswer(call -> call.getArgument(0));
        Deployment changedMeanwhile = Deployment.stableOnly(READMISSION, 2, 5, "b", NOW, "etag-b");
        AtomicReference<Deployment> stored = new AtomicReference<>(Deployment.stableOnly(READMISSION, 1, 4, "a", NOW, "etag-a"));
        when(racing.findDeployment(READMISSION)).thenAnswer(call -> Optional.of(stored.get()));
        AtomicBoolean otherWriterFirst = new AtomicBoolean(true);
        when(racing.saveDeployment(any())).thenAnswer(call -> {
            if (otherWriterFirst.getAndSet(false)) {
                stored.set(changedMeanwhile);
                throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "etag mismatch");
            }
            stored.set(call.getArgument(0));
            return stored.get();
        });
        DeploymentService racingService = new DeploymentService(racing, new VersionLifecycle(racing, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock);

        Deployment d = racingService.deploy(READMISSION, 3, OPS);

        ArgumentCaptor<Deployment> saves = ArgumentCaptor.forClass(Deployment.class);
        verify(racing, times(2)).saveDeployment(saves.capture());
        assertThat(saves.getAllValues().get(0).etag()).isEqualTo("etag-a");
        assertThat(saves.getAllValues().get(0).revision()).isEqualTo(5);
        assertThat(saves.getAllValues().get(1).etag()).isEqualTo("etag-b");
        assertThat(saves.getAllValues().get(1).revision()).isEqualTo(6);
        assertThat(d.stable().version()).isEqualTo(3);
        assertThat(audit().get(0).details()).containsEntry("previousVersion", "2");
    }

    @Test
    void aDeploymentThatKeepsChangingEndsInAConcurrentModificationError() {
        RegistryStore racing = mock(RegistryStore.class);
        when(racing.findVersion(READMISSION, 3)).thenReturn(Optional.of(version(READMISSION, 3, Stage.APPROVED)));
        when(racing.findDeployment(READMISSION)).thenReturn(Optional.empty());
        when(racing.saveDeployment(any())).thenThrow(new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "etag mismatch"));
        DeploymentService racingService = new DeploymentService(racing, new VersionLifecycle(racing, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock);

        assertThatThrownBy(() -> racingService.deploy(READMISSION, 3, OPS))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION))
                .hasMessageContaining("kept changing");
        verify(racing, times(DeploymentService.MAX_ATTEMPTS)).saveDeployment(any());
        verify(racing, never()).updateVersion(any());
        verifyNoInteractions(events);
    }

    @Test
    void aStageUpdateThatLosesARaceIsRetriedOnTheFreshRecord() {
        RegistryStore racing = mock(RegistryStore.class);
        VersionRecord v1 = version(READMISSION, 1, Stage.APPROVED);
        VersionRecord v1Fresh = v1.withEtag("etag-fresh");
        // Read by the deploy, by the stage move, and by the move's retry after it lost the race.
        when(racing.findVersion(READMISSION, 1)).thenReturn(Optional.of(v1), Optional.of(v1), Optional.of(v1Fresh));
        AtomicReference<Deployment> stored = new AtomicReference<>();
        when(racing.findDeployment(READMISSION)).thenAnswer(call -> Optional.ofNullable(stored.get()));
        when(racing.saveDeployment(any())).thenAnswer(call -> {
            stored.set(call.getArgument(0));
            return stored.get();
        });
        when(racing.listVersions(READMISSION)).thenReturn(List.of(v1), List.of(v1Fresh));
        when(racing.updateVersion(any()))
                .thenThrow(new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "etag mismatch"))
                .thenAnswer(call -> call.getArgument(0));
        DeploymentService racingService = new DeploymentService(racing, new VersionLifecycle(racing, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock);

        racingService.deploy(READMISSION, 1, OPS);

        ArgumentCaptor<VersionRecord> updates = ArgumentCaptor.forClass(VersionRecord.class);
        verify(racing, times(2)).updateVersion(updates.capture());
        assertThat(updates.getAllValues().get(1).etag()).isEqualTo("etag-fresh");
        assertThat(updates.getAllValues().get(1).stage()).isEqualTo(Stage.PRODUCTION);
    }

    @Test
    void stagesAreSettledAgainstADeploymentThatChangedWhileTheyWereWritten() {
        RegistryStore racing = mock(RegistryStore.class);
        VersionRecord v1 = version(READMISSION, 1, Stage.APPROVED);
        VersionRecord v2 = version(READMISSION, 2, Stage.APPROVED);
        VersionRecord v1InProduction = v1.withStage(new StageChange(Stage.APPROVED, Stage.PRODUCTION, "ops-oncall",
                "deployment revision 1 puts it on the stable slot", NOW));
        when(racing.findVersion(READMISSION, 1)).thenReturn(Optional.of(v1), Optional.of(v1), Optional.of(v1InProduction));
        when(racing.findVersion(READMISSION, 2)).thenReturn(Optional.of(v2));
        Deployment ours = Deployment.stableOnly(READMISSION, 1, 1, "ops-oncall", NOW, "etag-ours");
        Deployment theirs = Deployment.stableOnly(READMISSION, 2, 2, "other", NOW, "etag-theirs");
        // Empty before our save; ours when we first settle and as the first move is written; theirs from then on
        // (another deploy landed).
        when(racing.findDeployment(READMISSION)).thenReturn(Optional.empty(), Optional.of(ours), Optional.of(ours),
                Optional.of(theirs));
        when(racing.saveDeployment(any())).thenReturn(ours);
        when(racing.listVersions(READMISSION)).thenReturn(List.of(v1, v2),
                List.of(v1InProduction, v2));
        when(racing.updateVersion(any())).thenAnswer(call -> call.getArgument(0));
        DeploymentService racingService = new DeploymentService(racing, new VersionLifecycle(racing, new AuditLog(auditStore, clock), clock), new AuditLog(auditStore, clock), events, clock);

        racingService.deploy(READMISSION, 1, OPS);

        ArgumentCaptor<VersionRecord> updates = ArgumentCaptor.forClass(VersionRecord.class);
        verify(racing, times(3)).updateVersion(updates.capture());
        assertThat(updates.getAllValues()).extracting(r -> r.version() + ":" + r.stage())
                .containsExactly("1:PRODUCTION", "1:RETIRED", "2:PRODUCTION");
    }

    @Test
    void concurrentDeploysBothLandWithoutLosingARevision() throws Exception {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.put(version(READMISSION, 3, Stage.APPROVED));
        service.deploy(READMISSION, 1, OPS);

        CompletableFuture<Deployment> a = CompletableFuture.supplyAsync(() -> service.deploy(READMISSION, 2, OPS));
        CompletableFuture<Deployment> b = CompletableFuture.supplyAsync(() -> service.deploy(READMISSION, 3, OPS));
        a.get(30, TimeUnit.SECONDS);
        b.get(30, TimeUnit.SECONDS);

        Deployment last = service.current(READMISSION).orElseThrow();
        assertThat(last.revision()).isEqualTo(3);
        assertThat(last.stable().version()).isIn(2, 3);
        assertThat(store.listVersions(READMISSION)).filteredOn(v -> v.stage() == Stage.PRODUCTION)
                .singleElement().extracting(VersionRecord::version).isEqualTo(last.stable().version());
        assertThat(audit()).hasSize(3);
    }

    /** A service whose store loses its connection just after the next deployment is saved, once {@code armed}. */
    private DeploymentService losingTheConnectionAfterSaving(AtomicBoolean armed) {
        RegistryStore crashing = InterceptedRegistryStore.of(store, (method, args, call) -> {
            Object result = call.call();
            if (method.equals("saveDeployment") && armed.getAndSet(false)) {
                throw new StoreException("the connection to the registry was lost; try again", null);
            }
            return result;
        });
        AuditLog log = new AuditLog(auditStore, clock);
        return new DeploymentService(crashing, new VersionLifecycle(crashing, log, clock), log, events, clock,
                Duration.ZERO);
    }

    @Test
    void theTimerCompletingAKeyedDeploysRecordNamesTheVersionItReplaced() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        AtomicBoolean lostAfterSaving = new AtomicBoolean();
        DeploymentService deployments = losingTheConnectionAfterSaving(lostAfterSaving);
        deployments.deploy(READMISSION, 1, OPS);
        lostAfterSaving.set(true);
        assertThatThrownBy(() -> deployments.deploy(READMISSION, 2, OPS, Optional.of(new IdempotencyKey("deploy-2"))))
                .isInstanceOf(StoreException.class);

        deployments.settle();

        assertThat(audit()).filteredOn(r -> "2".equals(r.details().get("revision"))).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "1"));
    }

    @Test
    void aRetryThatCompletesAnOlderRevisionsRecordNamesTheVersionThatRevisionReplaced() {
        for (int v = 1; v <= 3; v++) {
            store.put(version(READMISSION, v, Stage.APPROVED));
        }
        AtomicBoolean lostAfterSaving = new AtomicBoolean();
        DeploymentService deployments = losingTheConnectionAfterSaving(lostAfterSaving);
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("deploy-2"));
        deployments.deploy(READMISSION, 1, OPS);
        lostAfterSaving.set(true);
        // Revision 2 is saved, but the call stops before its record; another operator's deploy follows it.
        assertThatThrownBy(() -> deployments.deploy(READMISSION, 2, OPS, key)).isInstanceOf(StoreException.class);
        deployments.deploy(READMISSION, 3, new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));

        DeploymentService.Outcome again = deployments.deploy(READMISSION, 2, OPS, key);

        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment().revision()).isEqualTo(2);
        assertThat(deployments.takenOff(again.deployment()).previousVersion()).hasValue(1);
        assertThat(audit()).filteredOn(r -> "2".equals(r.details().get("revision"))).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "1"));
    }

    /**
     * Version 1 of readmission in production and version 2 as the treatment of a running experiment against it
     * (revision 7 of the deployment: 50 % each), and version 3 approved, to deploy over the experiment.
     */
    private void givenAnExperimentOfVersion2Over1() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.put(version(READMISSION, 3, Stage.APPROVED));
        health.vigil.model.Experiment experiment = new health.vigil.model.Experiment("readmission-2", 1, 2, 5_000,
                health.vigil.model.ExperimentMetric.FLAG_RATE, 0.27, 0.05, null, 0.05, 0.8, 1_305, 1_305,
                health.vigil.model.Experiment.RUNNING, "ops-oncall", NOW, null, null);
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 5_000),
                new TrafficSlot(Slot.CANARY, 2, 5_000)), 7, "ops-oncall", NOW, null, null, experiment,
                "experiment.started"));
    }

    /**
     * A deploy of version 3 (under {@code key}, if given) over version 2 on the canary slot (a canary ramp's, or a
     * running experiment's), which stopped right after saving its revision; the service, to complete it with.
     */
    private DeploymentService deployOverVersion2StoppedAfterSaving(boolean experiment, Optional<IdempotencyKey> key) {
        if (experiment) {
            givenAnExperimentOfVersion2Over1();
        } else {
            ServiceFixtures.canaryOfVersion2Over1(store, NOW);
        }
        DeploymentService deployments = losingTheConnectionAfterSaving(new AtomicBoolean(true));
        assertThatThrownBy(() -> deployments.deploy(READMISSION, 3, OPS, key)).isInstanceOf(StoreException.class);
        return deployments;
    }

    /** The record of the deploy that wrote revision 8 says it replaced version 1 and ended version 2's {@code kind}. */
    private void assertRevision8EndedVersion2(String kind) {
        assertThat(audit()).filteredOn(r -> "8".equals(r.details().get("revision"))).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "1")
                        .containsEntry("displacedCanary", "2").containsEntry("displaced", kind));
    }

    @Test
    void aKeyedDeployOverACanarySentAgainAfterItStoppedHalfWaySaysItEndedTheCanary() {
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("deploy-3"));
        DeploymentService deployments = deployOverVersion2StoppedAfterSaving(false, key);

        DeploymentService.Outcome again = deployments.deploy(READMISSION, 3, OPS, key);

        assertThat(again.replayed()).isTrue();
        assertThat(deployments.ended(again.deployment())).hasValueSatisfying(ended -> {
            assertThat(ended.kind()).isEqualTo(DeploymentService.Ended.CANARY);
            assertThat(ended.version()).isEqualTo(2);
        });
        assertRevision8EndedVersion2(DeploymentService.Ended.CANARY);
    }

    @Test
    void theTimerCompletingAnUnkeyedDeployOverAnExperimentSaysWhatItReplacedAndEnded() {
        DeploymentService deployments = deployOverVersion2StoppedAfterSaving(true, Optional.empty());

        deployments.settle();

        assertRevision8EndedVersion2(DeploymentService.Ended.EXPERIMENT);
        assertThat(deployments.takenOff(store.findDeployment(READMISSION).orElseThrow())).satisfies(takenOff -> {
            assertThat(takenOff.previousVersion()).hasValue(1);
            assertThat(takenOff.ended()).map(DeploymentService.Ended::kind).hasValue(DeploymentService.Ended.EXPERIMENT);
        });
    }

    @Test
    void anUnkeyedDeployOverACanaryRepeatedAfterItStoppedHalfWaySaysWhatItReplacedAndEnded() {
        DeploymentService deployments = deployOverVersion2StoppedAfterSaving(false, Optional.empty());

        Deployment repeated = deployments.deploy(READMISSION, 3, OPS);

        assertThat(repeated.revision()).isEqualTo(8);
        assertThat(deployments.takenOff(repeated).previousVersion()).hasValue(1);
        assertThat(deployments.ended(repeated)).map(DeploymentService.Ended::version).hasValue(2);
        assertRevision8EndedVersion2(DeploymentService.Ended.CANARY);
    }

    @Test
    void aRememberedRequestWrittenBeforeItKeptTheReplacedVersionStillReads() throws Exception {
        RecentRequest older = health.vigil.json.Json.mapper().readValue("{\"key\": \"deploy-2\", \"caller\":"
                + " \"ops-oncall\", \"request\": \"deploy\", \"version\": 2, \"revision\": 2, \"served\": 2,"
                + " \"at\": \"2026-11-06T09:29:00Z\"}", RecentRequest.class);

        assertThat(older.previous()).isEmpty();
        assertThat(older.ended()).isEmpty();
        assertThat(older.sentBy("ops-oncall", new IdempotencyKey("deploy-2"))).isTrue();
    }

    /**
     * Deploy A settles the stages of its revision 2 while deploy B saves revision 3 and settles it: A's pass, reading
     * the versions after B's moves, must not retire version 3 under revision 2's cause (nothing would then be in
     * production, since revision 3's moves are all made). Played on the SQLite store, B running inside A's read.
     */
    @Test
    void aSettlingPassOfAnOlderRevisionDoesNotUndoTheNewerRevisionsMoves(@TempDir Path home) throws Exception {
        try (LocalAdapters adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            RegistryStore sqlite = adapters.registryStore();
            AtomicReference<Runnable> beforeNextListing = new AtomicReference<>();
            RegistryStore hooked = InterceptedRegistryStore.of(sqlite, (method, args, call) -> {
                if (method.equals("listVersions")) {
                    Optional.ofNullable(beforeNextListing.getAndSet(null)).ifPresent(Runnable::run);
                }
                return call.call();
            });
            AuditLog log = new AuditLog(auditStore, clock);
            DeploymentService deployments = new DeploymentService(hooked, new VersionLifecycle(hooked, log, clock), log,
                    events, clock);
            for (int v = 1; v <= 3; v++) {
                int number = v;
                sqlite.createNextVersion(READMISSION, n -> version(READMISSION, number, Stage.APPROVED));
            }
            deployments.deploy(READMISSION, 1, OPS);
            hooked.saveDeployment(Deployment.stableOnly(READMISSION, 2, 2, OPS.id(), NOW,
                    hooked.findDeployment(READMISSION).orElseThrow().etag()));
            // B's whole deploy of version 3 lands between A's read of revision 2 and A's read of the versions.
            beforeNextListing.set(() -> deployments.deploy(READMISSION, 3, OPS));

            deployments.settle(READMISSION);

            Function<Integer, Stage> stage = v -> sqlite.findVersion(READMISSION, v).orElseThrow().stage();
            assertThat(sqlite.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(3);
            assertThat(List.of(stage.apply(1), stage.apply(2), stage.apply(3)))
                    .containsExactly(Stage.RETIRED, Stage.RETIRED, Stage.PRODUCTION);
            assertThat(sqlite.findVersion(READMISSION, 3).orElseThrow().history())
                    .extracting(StageChange::cause).doesNotContain("deployment:readmission:revision-2");
        }
    }

    @Test
    void rollbackPutsThePreviousStableBackOrANamedRecentlyRetiredVersionAndNothingElse() {
        health.vigil.audit.MutableClock moving = new health.vigil.audit.MutableClock(NOW);
        AuditLog log = new AuditLog(auditStore, moving);
        DeploymentService deployments = new DeploymentService(store, new VersionLifecycle(store, log, moving), log,
                events, moving);
        for (int v = 1; v <= 3; v++) {
            store.put(version(READMISSION, v, Stage.APPROVED));
            deployments.deploy(READMISSION, v, OPS);
            moving.advance(Duration.ofMinutes(1));
        }
        store.put(version(READMISSION, 4, Stage.APPROVED));

        // Version 2 was retired last (when 3 replaced it): it is the previous stable.
        assertThat(deployments.rollback(READMISSION, java.util.OptionalInt.empty(), OPS).stable().version()).isEqualTo(2);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(3)).isEqualTo(Stage.RETIRED);
        moving.advance(Duration.ofMinutes(1));

        assertThat(deployments.rollback(READMISSION, java.util.OptionalInt.of(1), OPS).stable().version()).isEqualTo(1);
        assertThatThrownBy(() -> deployments.rollback(READMISSION, java.util.OptionalInt.of(4), OPS))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                .hasMessageContaining("not one of its last 5 retired versions (2, 3)");
        assertThat(store.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(1);
    }

    @Test
    void rollbackWithoutARetiredVersionSaysWhy() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        service.deploy(READMISSION, 1, OPS);

        assertThatThrownBy(() -> service.rollback(READMISSION, java.util.OptionalInt.empty(), OPS))
                .isInstanceOf(ConflictException.class).hasMessageContaining("no retired version");
    }

    @Test
    void aVersionThatCannotLoadIsRefusedWithWhatToFixAndTheDeploymentIsUnchanged() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        DeploymentService loading = new DeploymentService(store, new VersionLifecycle(store, new AuditLog(auditStore, clock), clock),
                new AuditLog(auditStore, clock), events, clock,
                target -> {
                    if (target.version() == 2) {
                        throw new VigilException(ErrorCode.INTEGRITY_FAILURE, "the package of readmission:2 does not"
                                + " match its registered sha256");
                    }
                });
        Deployment first = loading.deploy(READMISSION, 1, OPS);

        assertThatThrownBy(() -> loading.deploy(READMISSION, 2, OPS))
                .isInstanceOfSatisfying(VigilException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_SERVABLE);
                    assertThat(e.code().httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("readmission:2", "still serves version 1 (revision 1)",
                            "does not match its registered sha256", "Upload a corrected package");
                });
        assertThat(loading.current(READMISSION)).contains(first);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(2)).isEqualTo(Stage.APPROVED);
        assertThat(audit()).extracting(AuditRecord::outcome).containsExactly("deployed", "refused");
        assertThat(audit().get(1).details()).containsEntry("reason", "VERSION_NOT_SERVABLE");
        published(1);
    }

    @Test
    void anUnavailableStoreWhileLoadingStaysARetryableError() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        DeploymentService loading = new DeploymentService(store, new VersionLifecycle(store, new AuditLog(auditStore, clock), clock),
                new AuditLog(auditStore, clock), events, clock,
                target -> {
                    throw new StoreException("the models container did not answer", null);
                });

        assertThatThrownBy(() -> loading.deploy(READMISSION, 1, OPS))
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE));
        assertThat(loading.current(READMISSION)).isEmpty();
        assertThat(audit()).isEmpty();
    }
}

package health.vigil.canary;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.deployment.DeploymentService;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.gates.GatePolicy;
import health.vigil.model.AuditRecord;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StepAnalysis;
import health.vigil.model.TrafficSlot;
import health.vigil.model.ModelName;
import health.vigil.port.RegistryStore;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.InterceptedRegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.registry.VersionLifecycle;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.routing.TrafficRouter;
import health.vigil.routing.RoutedPatients;
import health.vigil.scoring.RequestStatsRecorder;
import health.vigil.scoring.RequestStatsRecorder.Outcome;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CanaryServiceTest {
    private static final Instant START = Instant.parse("2026-12-01T08:00:00Z");
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));
    private static final Duration BAKE = Duration.ofMinutes(5);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final MutableClock clock = new MutableClock(START);
    private final AuditLog audit = new AuditLog(auditStore, clock);
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    private final List<Integer> warmed = new CopyOnWriteArrayList<>();
    private final RequestStatsRecorder requests = new RequestStatsRecorder(new InMemoryRequestStatsStore(), clock);
    private final CanaryService canaries = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit,
            published::add, log, clock, v -> warmed.add(v.version()), Telemetry.NONE, requests::window);
    private final CanaryTraffic traffic = new CanaryTraffic(20261201L, store);

    @BeforeEach
    void stableVersionOneAndApprovedVersionTwo() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", START.minusSeconds(3600), null));
    }

    private Deployment start() {
        return canaries.start(READMISSION, new CanaryService.StartCommand(2, null, BAKE, null), OPS);
    }

    private Stage stageOf(int version) {
        return store.findVersion(READMISSION, version).orElseThrow().stage();
    }

    private List<AuditRecord> canaryRecords() {
        return auditStore.read("2026-12-01").stream().filter(r -> r.action().equals(CanaryService.ACTION)).toList();
    }

    /**
     * The controller settles the stages of a paused ramp's revision while an operator's deploy replaces it and rolls the
     * canary back: the controller's pass, reading the version after the deploy's moves, must not put it back in canary
     * under the ramp's cause (the deploy's move being made, nothing would then move it back out).
     */
    @Test
    void aControllerPassOfAReplacedRampDoesNotUndoTheDeploysMoves() {
        start();
        canaries.pause(READMISSION, OPS);
        AtomicReference<Runnable> beforeReadingVersion2 = new AtomicReference<>();
        RegistryStore hooked = InterceptedRegistryStore.of(store, (method, args, call) -> {
            if (method.equals("findVersion") && Integer.valueOf(2).equals(args[1])) {
                Optional.ofNullable(beforeReadingVersion2.getAndSet(null)).ifPresent(Runnable::run);
            }
            return call.call();
        });
        VersionLifecycle lifecycle = new VersionLifecycle(hooked, audit, clock);
        CanaryService controller = new CanaryService(hooked, lifecycle, audit, published::add, log, clock,
                v -> warmed.add(v.version()));
        DeploymentService deployments = new DeploymentService(hooked, lifecycle, audit, published::add, clock);
        beforeReadingVersion2.set(() -> deployments.deploy(READMISSION, 1, OPS));

        controller.tick(READMISSION);
        deployments.settle(READMISSION);

        assertThat(store.findDeployment(READMISSION).orElseThrow().slots())
                .containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(stageOf(2)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
    }

    /** One bake time of traffic at the deployment's current weights, 20,000 requests, then the clock past it. */
    private void bakeWithTraffic(double canaryShift, double canaryMissing) {
        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        int canaryBp = d.slot(Slot.CANARY).orElseThrow().weightBasisPoints();
        Instant from = clock.instant();
        int canaryCount = (int) (20_000L * canaryBp / TrafficSlot.ALL);
        traffic.write(log, READMISSION, Slot.CANARY, 2, canaryCount, from, BAKE, canaryShift, canaryMissing);
        traffic.write(log, READMISSION, Slot.STABLE, 1, 20_000 - canaryCount, from, BAKE, 0, 0.01);
        clock.advance(BAKE.plusSeconds(1));
    }

    @Test
    void startingPutsTheApprovedVersionOnOnePercentAuditedAndAnnouncedOnce() {
        Deployment d = start();

        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, 9_900), new TrafficSlot(Slot.CANARY, 2, 100));
        assertThat(d.canary().status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(d.canary().steps()).isEqualTo(CanaryRamp.DEFAULT_STEPS);
        assertThat(stageOf(2)).isEqualTo(Stage.CANARY);
        assertThat(warmed).containsExactly(2);
        assertThat(canaryRecords()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("started");
            assertThat(r.actor()).isEqualTo("ops-oncall");
        });
        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED);

        // A double click changes nothing.
        assertThat(start().revision()).isEqualTo(d.revision());
        assertThat(canaryRecords()).hasSize(1);
    }

    @Test
    void aJudgedStepIsCountedOnceInTelemetryWhenItsAnnouncementIsCompletedByALaterPass() {
        start();
        bakeWithTraffic(0, 0);
        List<String> analyses = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        CanaryService controller = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> {
            if (down.getAndSet(false)) {
                throw new health.vigil.error.StoreException("Event Grid did not answer", null);
            }
            published.add(event);
        }, log, clock, v -> warmed.add(v.version()), new Telemetry() {
            @Override
            public void canaryAnalysis(health.vigil.model.ModelVersion version, String outcome) {
                analyses.add(version + " " + outcome);
            }
        }, requests::window);

        // The pass that judged the step recorded it, counted it, and failed to publish; the next pass publishes.
        assertThatThrownBy(() -> controller.tick(READMISSION)).isInstanceOf(health.vigil.error.StoreException.class);
        controller.tick(READMISSION);

        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started", "stepped");
        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED,
                EventTypes.CANARY_STEPPED);
        assertThat(analyses).containsExactly(READMISSION.value() + ":2 pass");
    }

    @Test
    void aStartWhoseEventWasNotPublishedIsAnnouncedByTheControllersNextPassUnderItsRecordsId() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        CanaryService failing = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> {
            if (down.getAndSet(false)) {
                throw new health.vigil.error.StoreException("Event Grid did not answer", null);
            }
            published.add(event);
        }, log, clock, v -> warmed.add(v.version()), Telemetry.NONE, requests::window);

        assertThatThrownBy(() -> failing.start(READMISSION, new CanaryService.StartCommand(2, null, BAKE, null), OPS))
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(canaryRecords()).as("the revision and its record were saved").hasSize(1);
        assertThat(published).isEmpty();

        failing.tick(READMISSION);
        failing.tick(READMISSION);

        assertThat(published).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventTypes.CANARY_STARTED);
            assertThat(e.id()).isEqualTo(canaryRecords().get(0).id());
        });
        assertThat(canaryRecords()).hasSize(1);
    }

    /** A version mirrored as the shadow does not also answer patients as the canary; a stopped shadow is no bar. */
    @Test
    void aCanaryOfTheVersionTheShadowMirrorsIsRefusedUntilTheShadowStops() {
        Deployment stable = store.findDeployment(READMISSION).orElseThrow();
        Deployment shadowed = store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1,
                TrafficSlot.ALL), new TrafficSlot(Slot.SHADOW, 2, 1_000)), 2, "ops-oncall", START, stable.etag(), null,
                null, "shadow.configured"));

        assertThatThrownBy(this::start)
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                .hasMessageContaining("is the shadow version; stop the shadow");
        assertThat(store.findDeployment(READMISSION).orElseThrow().canary()).isNull();
        assertThat(stageOf(2)).isEqualTo(Stage.APPROVED);

        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 0)), 3, "ops-oncall", START, shadowed.etag(), null, null,
                "shadow.stopped"));
        assertThat(start().canary().version()).isEqualTo(2);
    }

    /**
     * A start sent on the revision its operator read, after a deploy replaced it (version 3 put on the stable slot),
     * would judge the canary against a stable version the operator never saw: it is refused, starts and warms
     * nothing, and is one refused record naming both revisions. Sent on the revision read now, it starts; sent again on
     * the revision its own start replaced, it is refused rather than answered as started.
     */
    @Test
    void aStartOnARevisionAnotherChangeReplacedIsRefusedAndRecordedOnceAndStartsNothing() {
        long read = store.findDeployment(READMISSION).orElseThrow().revision();
        store.put(version(READMISSION, 3, Stage.APPROVED));
        Deployment moved = new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit,
                published::add, clock).deploy(READMISSION, 3,
                        new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));
        CanaryService.StartCommand two = new CanaryService.StartCommand(2, null, BAKE, null);

        assertThatThrownBy(() -> canaries.start(READMISSION, two, OPS, OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("is at revision " + moved.revision() + " (stable version 3, written by ops-lead")
                .hasMessageContaining("not at revision " + read + " as If-Match says");

        assertThat(store.findDeployment(READMISSION)).contains(moved);
        assertThat(stageOf(2)).isEqualTo(Stage.APPROVED);
        assertThat(warmed).isEmpty();
        assertThat(canaryRecords()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission/versions/2");
            assertThat(r.details()).containsEntry("request", "start").containsEntry("reason", "CONFLICT")
                    .containsEntry("expectedRevision", Long.toString(read))
                    .containsEntry("currentRevision", Long.toString(moved.revision()))
                    .containsEntry("stage", "approved");
        });

        Deployment started = canaries.start(READMISSION, two, OPS, OptionalLong.of(moved.revision()));
        assertThat(started.canary().stableVersion()).isEqualTo(3);
        assertThatThrownBy(() -> canaries.start(READMISSION, two, OPS, OptionalLong.of(moved.revision())))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(store.findDeployment(READMISSION)).contains(started);
    }

    /**
     * A start sent with If-Match whose answer was lost, sent again under its Idempotency-Key on the revision it read:
     * its own write moved the revision, yet it is answered as the first one was (replayed), starts nothing and is
     * recorded once, not refused; still so once the controller has moved the ramp on. The same key of another caller is
     * theirs.
     */
    @Test
    void aStartSentAgainUnderItsIdempotencyKeyOnTheRevisionItReadAnswersTheFirstAndIsNotRefused() {
        long read = store.findDeployment(READMISSION).orElseThrow().revision();
        CanaryService.StartCommand two = new CanaryService.StartCommand(2, null, BAKE, null);
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("start-2a"));

        CanaryService.Started first = canaries.start(READMISSION, two, OPS, key, OptionalLong.of(read));
        CanaryService.Started again = canaries.start(READMISSION, two, OPS, key, OptionalLong.of(read));

        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment()).isEqualTo(first.deployment());
        assertThat(first.deployment().revision()).isEqualTo(read + 1);
        assertThat(canaryRecords()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("started"));
        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED);
        assertThat(warmed).containsExactly(2);

        bakeWithTraffic(0, 0.01);
        canaries.tick();
        CanaryService.Started later = canaries.start(READMISSION, two, OPS, key, OptionalLong.of(read));
        assertThat(later.replayed()).isTrue();
        assertThat(later.deployment().canary().step()).isEqualTo(1);
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).doesNotContain("refused");

        Principal other = new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE));
        assertThatThrownBy(() -> canaries.start(READMISSION, two, other, key, OptionalLong.of(read)))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("not at revision " + read + " as If-Match says");
    }

    /**
     * The same Idempotency-Key with another body (other steps, or a deploy) is refused saying what it was first sent
     * with, and changes nothing.
     */
    @Test
    void anIdempotencyKeySentAgainWithAnotherBodyIsRefusedAndChangesNothing() {
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("start-2b"));
        Deployment started = canaries.start(READMISSION, new CanaryService.StartCommand(2, null, BAKE, null), OPS, key,
                OptionalLong.empty()).deployment();

        assertThatThrownBy(() -> canaries.start(READMISSION, new CanaryService.StartCommand(2, List.of(500, 10_000),
                BAKE, null), OPS, key, OptionalLong.empty()))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("first sent with another request (a canary start of version 2 with other steps,"
                        + " bake time or policy), which started a canary of version 2 of `readmission` (revision "
                        + started.revision() + ")")
                .hasMessageContaining("send a new key");
        store.put(version(READMISSION, 3, Stage.APPROVED));
        DeploymentService deployments = new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit,
                published::add, clock);
        assertThatThrownBy(() -> deployments.deploy(READMISSION, 3, OPS, key))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                .hasMessageContaining("first sent with another request (a canary start of version 2), which started a"
                        + " canary of version 2");

        assertThat(store.findDeployment(READMISSION)).contains(started);
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started");
    }

    /** 20,000 patients' pseudonyms under a fixed key. */
    private static final List<String> PATIENTS = patients();

    private static List<String> patients() {
        Pseudonymizer pseudonymizer = new Pseudonymizer("canary routing tests use this fixed 32+ byte key"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.util.stream.IntStream.range(0, 20_000).mapToObj(i -> pseudonymizer.pseudonym("MRN-" + i)).toList();
    }

    /** The patients the deployment routes to its canary slot. */
    private static Set<String> onCanary(Deployment d) {
        return PATIENTS.stream().filter(p -> TrafficRouter.route(d, p).slot() == Slot.CANARY)
                .collect(java.util.stream.Collectors.toSet());
    }

    /**
     * Two models' canaries, each at its first 1 % step, put different patients first: each ramp draws its own salt, so
     * no one group of patients carries the risk of every new version. The sets overlap no more than chance would.
     */
    @Test
    void twoModelsCanariesPutDifferentPatientsFirst() {
        ModelName sepsis = ModelName.of("sepsis-risk");
        store.put(version(sepsis, 1, Stage.PRODUCTION));
        store.put(version(sepsis, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(sepsis, 1, 1, "ops", START.minusSeconds(3600), null));

        Set<String> readmissionFirst = onCanary(start());
        Set<String> sepsisFirst = onCanary(canaries.start(sepsis, new CanaryService.StartCommand(2, null, BAKE, null),
                OPS));

        assertThat(readmissionFirst).hasSizeBetween(150, 250);
        assertThat(sepsisFirst).hasSizeBetween(150, 250);
        Set<String> both = new java.util.HashSet<>(readmissionFirst);
        both.retainAll(sepsisFirst);
        // Independent 1 % draws of 20,000 patients share about 2; the same bucket for both would share all ~200.
        assertThat(both).hasSizeLessThan(20);
    }

    /**
     * A ramp keeps the salt it drew as it steps (and in the record kept of it), so within it a patient's arm is fixed
     * by the pseudonym, and a rising weight only moves patients from stable to the canary.
     */
    @Test
    void aRampKeepsItsSaltAsItStepsSoPatientsOnlyMoveToTheCanary() {
        Deployment started = start();
        bakeWithTraffic(0, 0.01);
        canaries.tick();
        Deployment stepped = store.findDeployment(READMISSION).orElseThrow();

        assertThat(started.canary().bucketSalt()).matches("[0-9a-f]{16}");
        assertThat(stepped.canary().bucketSalt()).isEqualTo(started.canary().bucketSalt());
        assertThat(store.findCanary(READMISSION, 2).orElseThrow().ramp().bucketSalt())
                .isEqualTo(started.canary().bucketSalt());
        assertThat(stepped.slot(Slot.CANARY).orElseThrow().weightBasisPoints()).isEqualTo(500);
        assertThat(onCanary(stepped)).hasSizeGreaterThan(800).containsAll(onCanary(started));
    }

    @Test
    void onlyAVersionApprovedForCanaryMayStart() {
        store.put(version(READMISSION, 3, Stage.GATES_PASSED));

        assertThatThrownBy(() -> canaries.start(READMISSION, new CanaryService.StartCommand(3, null, BAKE, null), OPS))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                .hasMessageContaining("canary");
        assertThat(store.findDeployment(READMISSION).orElseThrow().canary()).isNull();
    }

    /**
     * A model whose pass fails (its deployment cannot be read) keeps no model after it from being judged: the shifted
     * canary is rolled back in the same pass, which then fails so the failure is seen. Before, the pass stopped at the
     * first failure, and a failing model ahead kept every later model's bad canary on traffic, minute after minute.
     */
    @Test
    void aModelWhosePassFailsKeepsNoOtherModelsCanaryFromBeingJudgedAndRolledBack() {
        ModelName unreadable = new ModelName("aaa-unreadable");
        store.put(version(unreadable, 1, Stage.PRODUCTION));
        store.saveDeployment(Deployment.stableOnly(unreadable, 1, 1, "ops", START.minusSeconds(3600), null));
        RegistryStore failing = InterceptedRegistryStore.of(store, (method, args, call) -> {
            if (method.equals("findDeployment") && unreadable.equals(args[0])) {
                throw new health.vigil.error.StoreException("the registry could not be read", null);
            }
            return call.call();
        });
        CanaryService controller = new CanaryService(failing, new VersionLifecycle(failing, audit, clock), audit,
                published::add, log, clock, v -> warmed.add(v.version()), Telemetry.NONE, requests::window);
        start();
        bakeWithTraffic(0.3, 0.01);
        List<Deployment> changed = new ArrayList<>();

        assertThatThrownBy(() -> controller.tick(changed::add)).isInstanceOf(health.vigil.error.StoreException.class);

        assertThat(store.listModels()).first().isEqualTo(unreadable);
        assertThat(changed).singleElement().satisfies(d -> assertThat(d.modelName()).isEqualTo(READMISSION));
        assertThat(store.findDeployment(READMISSION).orElseThrow().canary().status())
                .isEqualTo(CanaryStatus.ROLLED_BACK);
    }

    @Test
    void aHealthyCanaryRampsStepByStepAndIsPromoted() {
        start();
        List<Integer> weights = new java.util.ArrayList<>();
        for (int tick = 0; tick < 10 && store.findDeployment(READMISSION).orElseThrow().canary().status().live(); tick++) {
            weights.add(store.findDeployment(READMISSION).orElseThrow().slot(Slot.CANARY).orElseThrow().weightBasisPoints());
            bakeWithTraffic(0, 0.01);
            assertThat(canaries.tick()).hasSize(1);
        }

        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        assertThat(weights).containsExactly(100, 500, 2_500, 5_000);
        assertThat(d.canary().status()).isEqualTo(CanaryStatus.PROMOTED);
        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        assertThat(d.canary().analyses()).extracting(StepAnalysis::decision).containsOnly(StepAnalysis.PASS).hasSize(4);
        // Each look after the first step also read the windows of the steps passed, read again from the log.
        assertThat(d.canary().analyses()).extracting(StepAnalysis::reason).satisfiesExactly(
                r -> assertThat(r).doesNotContain("earlier step"), r -> assertThat(r).contains("with the 1 earlier step"),
                r -> assertThat(r).contains("with the 2 earlier steps"),
                r -> assertThat(r).contains("with the 3 earlier steps"));
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED,
                EventTypes.CANARY_STEPPED, EventTypes.CANARY_STEPPED, EventTypes.CANARY_STEPPED, EventTypes.CANARY_PROMOTED);
        assertThat(canaryRecords()).extracting(AuditRecord::outcome)
                .containsExactly("started", "stepped", "stepped", "stepped", "promoted");
    }

    /**
     * A caller that names the canary's version (a test script, an application pinned to it) has it score patients the
     * 1 % step routes to stable, and its scores run high: the step is judged on the patients its routing gave each
     * slot, so those predictions neither fail it nor count towards its sample.
     */
    @Test
    void predictionsOfRequestsThatNamedTheCanarysVersionForPatientsRoutedToStableAreNotCountedInTheStep() {
        start();
        String routedToStable = RoutedPatients.inBucket(store.findDeployment(READMISSION).orElseThrow().canary()
                .bucketSalt(), 5_000);
        traffic.write(log, READMISSION, Slot.CANARY, 2, 5_000, clock.instant(), BAKE, 0.3, 0.01, routedToStable);

        bakeWithTraffic(0, 0.01);
        canaries.tick();

        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        assertThat(d.canary().status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(d.slot(Slot.CANARY).orElseThrow().weightBasisPoints()).isEqualTo(500);
        assertThat(d.canary().analyses()).singleElement().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.PASS);
            assertThat(a.canaryCount()).isEqualTo(200);
            assertThat(a.stableCount()).isEqualTo(19_800);
        });
    }

    @Test
    void aCanaryWhoseScoresShiftIsRolledBackOnTheTickThatJudgesItWithTheFailingMetricAudited() {
        start();

        bakeWithTraffic(0.3, 0.01);
        canaries.tick();

        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        assertThat(d.canary().status()).isEqualTo(CanaryStatus.ROLLED_BACK);
        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(stageOf(2)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        StepAnalysis analysis = d.canary().analyses().get(0);
        assertThat(analysis.decision()).isEqualTo(StepAnalysis.FAIL);
        assertThat(analysis.metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .contains("score_distribution", "flag_rate");
        // The score distribution's value is one PSI of canary against stable: no "stable 0" beside it.
        assertThat(analysis.reason()).containsPattern("score_distribution \\(PSI of canary against stable [0-9.]+;"
                + " Kolmogorov-Smirnov D [0-9.]+, p = ").containsPattern("flag_rate \\(canary [0-9.]+, stable [0-9.]+, p =")
                .doesNotContain("stable 0.000");
        assertThat(canaryRecords()).last().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("rolled_back");
            assertThat(r.actor()).isEqualTo(CanaryService.CONTROLLER.id());
            assertThat(r.details().get("failingMetrics")).contains("score_distribution").contains("flag_rate");
        });
        assertThat(published).extracting(VigilEvent::type).endsWith(EventTypes.CANARY_ROLLED_BACK);
    }

    @Test
    void aCanaryThatMissesInputsMoreOftenIsRolledBack() {
        start();

        bakeWithTraffic(0, 0.25);
        canaries.tick();

        StepAnalysis analysis = store.findDeployment(READMISSION).orElseThrow().canary().analyses().get(0);
        assertThat(analysis.decision()).isEqualTo(StepAnalysis.FAIL);
        assertThat(analysis.metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .containsExactly("missing_input_rate");
    }

    /**
     * One bake time of scoring requests of one row each at the deployment's current weights, 20,000 in all: exact
     * shares of the canary's rows fail with a server error or are refused at the given rates and its answers take
     * {@code canaryMillis} (stable's 4 ms, with one in 200 at 40 ms); the answered ones are also in the prediction
     * log. Then the clock past the bake time.
     */
    private void bakeWithRequests(double canaryFailed, double canaryRefused, long canaryMillis) {
        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        int canaryBp = d.slot(Slot.CANARY).orElseThrow().weightBasisPoints();
        int canaryCount = (int) (20_000L * canaryBp / TrafficSlot.ALL);
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        int canaryAnswered = 0;
        for (int i = 0; i < canaryCount; i++) {
            double u = (double) i / canaryCount;
            if (u < canaryFailed) {
                requests.record(READMISSION, 2, Slot.CANARY, Outcome.FAILED, 1, 0);
            } else if (u < canaryFailed + canaryRefused) {
                requests.record(READMISSION, 2, Slot.CANARY, Outcome.REFUSED, 1, 0);
            } else {
                requests.record(READMISSION, 2, Slot.CANARY, Outcome.ANSWERED, 1, canaryMillis * 1_000_000
                        + (random.nextInt(200) == 0 ? 36_000_000 : 0));
                canaryAnswered++;
            }
        }
        for (int i = 0; i < 20_000 - canaryCount; i++) {
            requests.record(READMISSION, 1, Slot.STABLE, Outcome.ANSWERED, 1, random.nextInt(200) == 0 ? 40_000_000
                    : 4_000_000);
        }
        traffic.write(log, READMISSION, Slot.CANARY, 2, canaryAnswered, clock.instant(), BAKE, 0, 0.01);
        traffic.write(log, READMISSION, Slot.STABLE, 1, 20_000 - canaryCount, clock.instant(), BAKE, 0, 0.01);
        clock.advance(BAKE.plusSeconds(1));
    }

    private StepAnalysis judgedFirstStep() {
        canaries.tick();
        return store.findDeployment(READMISSION).orElseThrow().canary().analyses().get(0);
    }

    @Test
    void aHealthyCanaryIsJudgedOnTheSevenMetricsThatNeedNoOutcomesAndPasses() {
        start();
        bakeWithRequests(0, 0, 4);

        StepAnalysis analysis = judgedFirstStep();

        assertThat(analysis.decision()).isEqualTo(StepAnalysis.PASS);
        assertThat(analysis.metrics()).extracting(m -> m.name()).containsExactlyElementsOf(
                CanaryAnalysis.METRICS.subList(0, 7));
        // The ramp's budget is split over all nine metrics by their fixed shares, outcomes or not, so the split never
        // depends on the data; the first look already has the step's minimum of 200, the fourth look of the schedule,
        // so each metric spends what its first four looks would have.
        assertThat(analysis.metrics()).allSatisfy(m -> assertThat(m.level()).isCloseTo(
                0.01 * CanaryAnalysis.SHARES.get(m.name()) * CanaryAnalysis.spentBy(4), within(1e-15)));
        assertThat(analysis.reason()).contains("not tested").contains("calibration_error and auroc");
    }

    @Test
    void aCanaryWhoseRowsFailWithServerErrorsIsRolledBackOnTheErrorRate() {
        start();
        bakeWithRequests(0.10, 0, 4);

        StepAnalysis analysis = judgedFirstStep();

        assertThat(analysis.decision()).as(analysis.reason()).isEqualTo(StepAnalysis.FAIL);
        assertThat(analysis.metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .containsExactly("server_error_rate");
        assertThat(canaryRecords()).last().satisfies(r ->
                assertThat(r.details().get("failingMetrics")).isEqualTo("server_error_rate"));
    }

    @Test
    void aCanaryThatRefusesInputStableAcceptsIsRolledBackOnTheRefusedRate() {
        start();
        bakeWithRequests(0, 0.15, 4);

        assertThat(judgedFirstStep().metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .containsExactly("refused_rate");
    }

    @Test
    void aSlowerCanaryIsRolledBackOnItsP99() {
        start();
        bakeWithRequests(0, 0, 30);

        StepAnalysis analysis = judgedFirstStep();

        assertThat(analysis.metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .containsExactly("latency_p99");
        assertThat(analysis.metrics()).filteredOn(m -> m.name().equals("latency_p99")).singleElement()
                .satisfies(m -> {
                    assertThat(m.canary()).isBetween(30.0, 36.0);
                    assertThat(m.stable()).isBetween(4.0, 4.8);
                });
    }

    @Test
    void aCanaryThatFailsEveryRequestIsJudgedOnItsRowsAndRolledBackThoughItAnsweredNone() {
        start();
        bakeWithRequests(1.0, 0, 4);

        StepAnalysis analysis = judgedFirstStep();

        assertThat(analysis.decision()).isEqualTo(StepAnalysis.FAIL);
        assertThat(analysis.metrics()).extracting(m -> m.name()).containsExactly("server_error_rate", "refused_rate");
        assertThat(analysis.reason()).contains("server_error_rate (canary 1.000");
    }

    @Test
    void theReasonNamesWhatItCountsSoItsNumbersAgreeWithTheAnalysisCounts() {
        // Stable answers 300 rows and refuses 20 in the minute the canary starts, before it starts; after it, nothing.
        clock.advance(Duration.ofSeconds(10));
        requests.record(READMISSION, 1, Slot.STABLE, Outcome.ANSWERED, 300, 4_000_000);
        requests.record(READMISSION, 1, Slot.STABLE, Outcome.REFUSED, 20, 0);
        traffic.write(log, READMISSION, Slot.STABLE, 1, 300, clock.instant(), Duration.ofSeconds(10), 0, 0);
        clock.advance(Duration.ofSeconds(30));
        start();
        clock.advance(BAKE.plusSeconds(1));

        StepAnalysis analysis = judgedFirstStep();

        assertThat(analysis.decision()).isEqualTo(StepAnalysis.EXTEND);
        assertThat(List.of(analysis.canaryCount(), analysis.stableCount())).containsOnly(0L);
        assertThat(analysis.reason()).contains("0 canary and 320 stable rows counted by the request statistics"
                + " (answered, refused and failed, in whole minutes from 2026-12-01T08:00:00Z)")
                .contains("0 canary and 0 stable predictions logged since the step started")
                .doesNotContain("320 stable requests");
    }

    /**
     * Requests of one row each, {@code perSlot} in each slot, routed under the ramp's current step and answered in 4 ms
     * now, and as many predictions logged over the ten seconds from now.
     */
    private void trafficOfTheCurrentStep(int perSlot) {
        Instant step = store.findDeployment(READMISSION).orElseThrow().canary().stepStartedAt();
        for (int i = 0; i < perSlot; i++) {
            requests.record(READMISSION, 2, Slot.CANARY, step, Outcome.ANSWERED, 1, 4_000_000);
            requests.record(READMISSION, 1, Slot.STABLE, step, Outcome.ANSWERED, 1, 4_000_000);
        }
        traffic.write(log, READMISSION, Slot.CANARY, 2, perSlot, clock.instant(), Duration.ofSeconds(10), 0, 0.01);
        traffic.write(log, READMISSION, Slot.STABLE, 1, perSlot, clock.instant(), Duration.ofSeconds(10), 0, 0.01);
    }

    @Test
    void aStepIsJudgedOnlyOnWhatItRoutedThoughTheStepBeforeItServedTheSameMinute() {
        Duration bake = Duration.ofSeconds(20);
        canaries.start(READMISSION, new CanaryService.StartCommand(2, null, bake, null), OPS);
        clock.advance(Duration.ofSeconds(5));
        trafficOfTheCurrentStep(1_000);
        clock.advance(Duration.ofSeconds(16));
        canaries.tick();
        CanaryRamp second = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(second.step()).as("the first step passed on its own traffic").isEqualTo(1);
        assertThat(second.stepStartedAt()).isEqualTo(START.plusSeconds(21));

        // No traffic since: at the end of its bake time, in the minute the first step's rows were counted in, the
        // second step has nothing of its own to be judged on.
        clock.advance(bake.plusSeconds(1));
        canaries.tick();
        CanaryRamp waiting = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(waiting.status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(waiting.step()).isEqualTo(1);
        assertThat(waiting.analyses()).last().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.EXTEND);
            assertThat(a.reason()).startsWith("interim look at step 2").contains("in this step 0 canary and 0 stable"
                    + " rows counted by the request statistics (answered, refused and failed, of the requests the step"
                    + " routed) and 0 canary and 0 stable predictions logged since the step started")
                    .contains("each side needs 200 in this step to pass");
        });

        // Its own traffic, still in that minute, is what it passes on.
        clock.advance(Duration.ofSeconds(1));
        trafficOfTheCurrentStep(300);
        clock.set(waiting.judgeAt().plusSeconds(1));
        canaries.tick();
        CanaryRamp third = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(third.step()).isEqualTo(2);
        assertThat(third.analyses()).last().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.PASS);
            assertThat(a.reason()).contains("in this step 300 canary and 300 stable rows counted by the request"
                    + " statistics").contains("and 300 canary and 300 stable predictions logged since the step started");
        });
    }

    @Test
    void tooFewPredictionsExtendTheBakeTimeAndSaySo() {
        start();
        traffic.write(log, READMISSION, Slot.CANARY, 2, 40, START, BAKE, 0.3, 0);
        traffic.write(log, READMISSION, Slot.STABLE, 1, 5_000, START, BAKE, 0, 0);
        clock.advance(BAKE.plusSeconds(1));

        canaries.tick();

        CanaryRamp ramp = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(ramp.status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(ramp.step()).isZero();
        assertThat(ramp.extensions()).isEqualTo(1);
        assertThat(ramp.judgeAt()).isEqualTo(clock.instant().plus(BAKE));
        assertThat(ramp.analyses()).singleElement().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.EXTEND);
            assertThat(a.reason()).contains("too little evidence").contains("40 canary")
                    .contains("at least 50 for a first look (200 in this step to pass)");
        });
        assertThat(stageOf(2)).isEqualTo(Stage.CANARY);
        // Until the extended bake time is over, the controller leaves it alone.
        clock.advance(Duration.ofMinutes(1));
        assertThat(canaries.tick()).isEmpty();

        // Without more traffic each extension in a row waits twice the one before, up to an hour: an idle canary is
        // looked at (a revision and an audit record each time) a few times an hour, not at every bake time.
        List<Duration> waits = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            clock.set(store.findDeployment(READMISSION).orElseThrow().canary().judgeAt().plusSeconds(1));
            assertThat(canaries.tick()).hasSize(1);
            CanaryRamp extended = store.findDeployment(READMISSION).orElseThrow().canary();
            waits.add(Duration.between(clock.instant(), extended.judgeAt()));
            reasons.add(extended.analyses().get(extended.analyses().size() - 1).reason());
        }
        assertThat(waits).containsExactly(BAKE.multipliedBy(2), BAKE.multipliedBy(4), BAKE.multipliedBy(8),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));
        // The reasons are read by people: the wait in their words, not as an ISO-8601 duration.
        assertThat(reasons).extracting(r -> r.substring(r.indexOf("extended by ") + "extended by ".length()))
                .containsExactly("10 min and nothing is decided", "20 min and nothing is decided",
                        "40 min and nothing is decided", "1 h and nothing is decided", "1 h and nothing is decided",
                        "1 h and nothing is decided");
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started", "extended", "extended",
                "extended", "extended", "extended", "extended", "extended");
        // Predictions again (still too few): the next extension is one bake time, as looks with traffic always are.
        Instant due = store.findDeployment(READMISSION).orElseThrow().canary().judgeAt();
        traffic.write(log, READMISSION, Slot.CANARY, 2, 5, due.minusSeconds(60), Duration.ofSeconds(30), 0.3, 0);
        clock.set(due.plusSeconds(1));
        assertThat(canaries.tick()).hasSize(1);
        assertThat(store.findDeployment(READMISSION).orElseThrow().canary().judgeAt()).isEqualTo(clock.instant().plus(BAKE));
    }

    @Test
    void aTickBeforeTheBakeTimeIsOverAndARepeatedTickChangeNothing() {
        start();
        clock.advance(BAKE.minusSeconds(1));
        assertThat(canaries.tick()).isEmpty();

        bakeWithTraffic(0, 0.01);
        assertThat(canaries.tick()).hasSize(1);
        assertThat(canaries.tick()).isEmpty();

        assertThat(store.findDeployment(READMISSION).orElseThrow().canary().step()).isEqualTo(1);
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started", "stepped");
    }

    @Test
    void pausedRampsWaitAndResumedOnesStartAFreshWindow() {
        start();
        canaries.pause(READMISSION, OPS);
        bakeWithTraffic(0, 0.01);

        assertThat(canaries.tick()).isEmpty();

        Deployment resumed = canaries.resume(READMISSION, OPS);
        assertThat(resumed.canary().status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(resumed.canary().stepStartedAt()).isEqualTo(clock.instant());
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started", "paused", "resumed");
    }

    @Test
    void abortReturnsAllTrafficToStableAndPromoteMakesTheCanaryStable() {
        start();
        Deployment aborted = canaries.abort(READMISSION, OPS);

        assertThat(aborted.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(stageOf(2)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(published).extracting(VigilEvent::type).endsWith(EventTypes.CANARY_ROLLED_BACK);

        // A rolled-back version may be tried again as a canary, and promoted by hand.
        start();
        Deployment promoted = canaries.promote(READMISSION, OPS);
        assertThat(promoted.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
    }

    /**
     * Canaries of a model whose gate policy requires a canary ({@code requireCanary}, with the default cap on the
     * first step), or does not.
     */
    private CanaryService canariesWhereThePolicy(boolean requiresACanary) {
        return new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, published::add, log, clock,
                v -> warmed.add(v.version()), Telemetry.NONE, requests::window, CanaryService.OutcomeLookup.NONE,
                model -> health.vigil.model.CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE,
                model -> CanaryRequirement.of(requiresACanary, GatePolicy.DEFAULT_MAX_FIRST_CANARY_STEP));
    }

    /** A ramp of two judged steps, 1 % and 50 %, baked 20 s each. */
    private void startTwoJudgedSteps(CanaryService canaries) {
        canaries.start(READMISSION, new CanaryService.StartCommand(2, List.of(100, 5_000, TrafficSlot.ALL),
                Duration.ofSeconds(20), null), OPS);
    }

    /** The controller's look at the current step once its bake time is over. */
    private void lookAtTheCurrentStep(CanaryService canaries) {
        clock.set(store.findDeployment(READMISSION).orElseThrow().canary().judgeAt().plusSeconds(1));
        canaries.tick();
    }

    private List<AuditRecord> refusedRecords() {
        return canaryRecords().stream().filter(r -> r.outcome().equals("refused")).toList();
    }

    /**
     * Where the model's gate policy requires a canary, an operator cannot skip the analysis by promoting at once: a
     * promotion before the analysis has tested the canary at the last judged step is refused, changes nothing, says
     * what the analysis still needs, and is a refused record; the analysis's own promotion goes ahead.
     */
    @Test
    void whereThePolicyRequiresACanaryAPromotionBeforeTheAnalysisJudgedTheLastStepIsRefusedAndChangesNothing() {
        CanaryService canaries = canariesWhereThePolicy(true);
        startTwoJudgedSteps(canaries);
        Deployment started = store.findDeployment(READMISSION).orElseThrow();

        ConflictException atOnce = catchThrowableOfType(() -> canaries.promote(READMISSION, OPS),
                ConflictException.class);

        assertThat(atOnce).isNotNull();
        assertThat(atOnce.code()).isEqualTo(ErrorCode.CANARY_NOT_JUDGED);
        assertThat(atOnce.code().httpStatus()).isEqualTo(409);
        assertThat(atOnce.getMessage()).contains("the canary of `readmission` (version 2) has not been judged",
                "requireCanary", "it was not promoted and the ramp is unchanged",
                "it is at step 1 (1 %); the analysis must still pass step 1, each once each side has 200 rows in the"
                        + " step's own window, and then test it at its last judged step, step 2 (50 %)",
                "it has not looked at this step yet (its next look is due at 2026-12-01 08:00:20 UTC)",
                "POST /models/readmission/canary/abort", "vigil canary abort readmission");
        assertThat(store.findDeployment(READMISSION)).contains(started);

        // Step 1 passes; the first look at step 2 has nothing new to test, so the canary is still not judged there.
        clock.advance(Duration.ofSeconds(5));
        trafficOfTheCurrentStep(300);
        lookAtTheCurrentStep(canaries);
        lookAtTheCurrentStep(canaries);
        CanaryRamp atTheLastStep = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(atTheLastStep.step()).isEqualTo(1);
        assertThat(atTheLastStep.analyses()).last().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.EXTEND);
            assertThat(a.metrics()).isEmpty();
        });
        ConflictException untested = catchThrowableOfType(() -> canaries.promote(READMISSION, OPS),
                ConflictException.class);

        assertThat(untested.code()).isEqualTo(ErrorCode.CANARY_NOT_JUDGED);
        assertThat(untested.getMessage()).contains("it is at its last judged step, step 2 (50 %), where the analysis"
                + " has not yet tested it", "once each side has 200 rows in this step's window",
                "its last look at this step counted 0 canary and 0 stable predictions");
        assertThat(store.findDeployment(READMISSION).orElseThrow().canary()).isEqualTo(atTheLastStep);
        assertThat(stageOf(2)).isEqualTo(Stage.CANARY);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(refusedRecords()).hasSize(2).allSatisfy(r -> {
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission");
            assertThat(r.details()).containsEntry("reason", "CANARY_NOT_JUDGED").containsEntry("request", "promote");
        }).extracting(r -> r.details().get("message")).containsExactly(atOnce.getMessage(), untested.getMessage());

        // The analysis promotes the canary itself once the last judged step passes.
        trafficOfTheCurrentStep(300);
        lookAtTheCurrentStep(canaries);
        Deployment promoted = store.findDeployment(READMISSION).orElseThrow();
        assertThat(promoted.canary().status()).isEqualTo(CanaryStatus.PROMOTED);
        assertThat(promoted.updatedBy()).isEqualTo(CanaryService.CONTROLLER.id());
        assertThat(promoted.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
    }

    /**
     * Once a look at the last judged step has tested the canary (and failed nothing), an operator may promote it
     * before the step has its full sample, as without the policy.
     */
    @Test
    void whereThePolicyRequiresACanaryAPromotionOnceTheAnalysisTestedTheLastStepGoesAhead() {
        CanaryService canaries = canariesWhereThePolicy(true);
        startTwoJudgedSteps(canaries);
        clock.advance(Duration.ofSeconds(5));
        trafficOfTheCurrentStep(300);
        lookAtTheCurrentStep(canaries);
        // 150 more a side reach the ramp's next look (400 a side) but not the 200 in this step it needs to pass.
        clock.advance(Duration.ofSeconds(1));
        trafficOfTheCurrentStep(150);
        lookAtTheCurrentStep(canaries);
        CanaryRamp tested = store.findDeployment(READMISSION).orElseThrow().canary();
        assertThat(tested.status()).isEqualTo(CanaryStatus.RUNNING);
        assertThat(tested.step()).isEqualTo(1);
        assertThat(tested.analyses()).last().satisfies(a -> {
            assertThat(a.decision()).isEqualTo(StepAnalysis.EXTEND);
            assertThat(a.metrics()).isNotEmpty().noneMatch(health.vigil.model.CanaryMetric::failed);
        });

        Deployment promoted = canaries.promote(READMISSION, OPS);

        assertThat(promoted.canary().status()).isEqualTo(CanaryStatus.PROMOTED);
        assertThat(promoted.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(refusedRecords()).isEmpty();
    }

    /**
     * Where the model's gate policy requires a canary, a ramp whose first step puts almost every patient on the new
     * version (99.99 %) would meet the rule in name only: a start above the policy's cap on the first step (25 % by
     * default) is refused, changes nothing and is a refused record; a ramp that starts at the cap goes ahead.
     */
    @Test
    void whereThePolicyRequiresACanaryARampWhoseFirstStepIsAboveTheCapIsNotStarted() {
        CanaryService canaries = canariesWhereThePolicy(true);
        Deployment before = store.findDeployment(READMISSION).orElseThrow();

        ConflictException refused = catchThrowableOfType(() -> canaries.start(READMISSION,
                new CanaryService.StartCommand(2, List.of(9_999, TrafficSlot.ALL), BAKE, null), OPS),
                ConflictException.class);

        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
        assertThat(refused.getMessage()).contains("the ramp's first step is 99.99 % (9999 basis points)",
                "at most 25 % (maxFirstCanaryStep 2500)", "requireCanary", "the canary was not started",
                "POST /models/readmission/canary");
        assertThat(store.findDeployment(READMISSION)).contains(before);
        assertThat(stageOf(2)).isEqualTo(Stage.APPROVED);
        assertThat(refusedRecords()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("reason", "CANARY_REQUIRED").containsEntry("request", "start")
                .containsEntry("message", refused.getMessage()));

        Deployment started = canaries.start(READMISSION, new CanaryService.StartCommand(2,
                List.of(2_500, TrafficSlot.ALL), BAKE, null), OPS);
        assertThat(started.canary().weightBasisPoints()).isEqualTo(2_500);
    }

    @Test
    void whereThePolicyDoesNotRequireACanaryARampMayStartAtAnyStep() {
        Deployment started = canariesWhereThePolicy(false).start(READMISSION, new CanaryService.StartCommand(2,
                List.of(9_999, TrafficSlot.ALL), BAKE, null), OPS);

        assertThat(started.canary().weightBasisPoints()).isEqualTo(9_999);
        assertThat(refusedRecords()).isEmpty();
    }

    @Test
    void whereThePolicyDoesNotRequireACanaryAnOperatorMayPromoteACanaryAtOnce() {
        CanaryService canaries = canariesWhereThePolicy(false);
        startTwoJudgedSteps(canaries);

        Deployment promoted = canaries.promote(READMISSION, OPS);

        assertThat(promoted.canary().status()).isEqualTo(CanaryStatus.PROMOTED);
        assertThat(promoted.canary().analyses()).isEmpty();
        assertThat(promoted.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        assertThat(refusedRecords()).isEmpty();
    }

    @Test
    void aWriteWhoseWriterDiedBeforeRecordingItIsRecordedAndAnnouncedByTheNextTick() {
        Deployment current = store.findDeployment(READMISSION).orElseThrow();
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, BAKE.getSeconds(), CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, START, START.plus(BAKE), 0, "ops-oncall", START, "started", "started by ops-oncall",
                List.of());
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 9_900),
                new TrafficSlot(Slot.CANARY, 2, 100)), current.revision() + 1, "ops-oncall", START, current.etag(), ramp));

        canaries.tick();
        canaries.tick();

        assertThat(canaryRecords()).singleElement().satisfies(r -> assertThat(r.actor()).isEqualTo("ops-oncall"));
        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED);
        assertThat(stageOf(2)).isEqualTo(Stage.CANARY);
    }

    @Test
    void anActionOnAFinishedRampIsAConflictUnlessItRepeatsHowTheRampEnded() {
        start();
        Deployment aborted = canaries.abort(READMISSION, OPS);
        assertThat(canaries.abort(READMISSION, OPS).revision()).isEqualTo(aborted.revision());
        assertThatThrownBy(() -> canaries.promote(READMISSION, OPS)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("it was aborted").hasMessageContaining("start a new canary");

        start();
        Deployment promoted = canaries.promote(READMISSION, OPS);
        int records = canaryRecords().size();
        assertThat(canaries.promote(READMISSION, OPS).revision()).isEqualTo(promoted.revision());
        for (Runnable action : List.<Runnable>of(() -> canaries.abort(READMISSION, OPS),
                () -> canaries.pause(READMISSION, OPS), () -> canaries.resume(READMISSION, OPS))) {
            assertThatThrownBy(action::run)
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                    .hasMessageContaining("it was promoted").hasMessageContaining("/rollback");
        }
        assertThat(store.findDeployment(READMISSION).orElseThrow().slots())
                .containsExactly(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL));
        // Each refused request is one record of the refused attempt; nothing else is written.
        assertThat(canaryRecords().subList(records, canaryRecords().size())).hasSize(3)
                .allSatisfy(r -> assertThat(r.outcome()).isEqualTo("refused"))
                .extracting(r -> r.details().get("request")).containsExactly("abort", "pause", "resume");
    }

    @Test
    void aCanaryADeployEndedWhileItRanIsNotCalledRunningAfterwards() {
        start();
        Deployment ramping = store.findDeployment(READMISSION).orElseThrow();
        // A direct deploy replaces the document, ramp and all, and does not write to the ramp it ends.
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, ramping.revision() + 1, "ops-oncall",
                clock.instant(), ramping.etag()));

        assertThatThrownBy(() -> canaries.status(READMISSION)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("the last canary, of version 2 (running when a deploy or rollback ended it),"
                        + " and its analysis are kept")
                .hasMessageNotContaining("(running)");
    }

    @Test
    void theStatusWhileAnExperimentHoldsTheCanarySlotAnswersTheDeploymentEvenWithoutAnEarlierRamp() {
        Deployment deployed = store.findDeployment(READMISSION).orElseThrow();
        Experiment experiment = new Experiment("readmission-2", 1, 2, 2_000, ExperimentMetric.FLAG_RATE, 0.27, 0.05,
                null, 0.05, 0.8, 1_305, 1_305, Experiment.RUNNING, "ops-oncall", clock.instant(), null, null);
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 8_000),
                new TrafficSlot(Slot.CANARY, 2, 2_000)), deployed.revision() + 1, "ops-oncall", clock.instant(),
                deployed.etag(), null, experiment, "experiment.started"));

        // A 404 saying "start one" would hide who answers a fifth of the patients, and a start is refused anyway.
        assertThat(canaries.status(READMISSION).runningExperiment()).contains(experiment);
        assertThatThrownBy(() -> canaries.lastRamp(READMISSION)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("an experiment of version 2 holds the canary slot: GET"
                        + " /models/readmission/experiments")
                .hasMessageNotContaining("start one");
    }

    @Test
    void aCanaryActionWhileAnExperimentHoldsTheCanarySlotIsRefusedAndSaysToStopTheExperiment() {
        start();
        Deployment aborted = canaries.abort(READMISSION, OPS);
        store.put(version(READMISSION, 3, Stage.APPROVED));
        // An experiment started since keeps the ended ramp in the document and puts its treatment on the canary slot.
        Experiment experiment = new Experiment("readmission-9", 1, 3, 5_000, ExperimentMetric.FLAG_RATE, 0.27, 0.05,
                null, 0.05, 0.8, 1_305, 1_305, Experiment.RUNNING, "ops-oncall", clock.instant(), null, null);
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 5_000),
                new TrafficSlot(Slot.CANARY, 3, 5_000)), aborted.revision() + 1, "ops-oncall", clock.instant(),
                aborted.etag(), aborted.canary(), experiment, "experiment.started"));

        int records = canaryRecords().size();
        // An abort answered "aborted" would tell the operator the canary slot is empty while it serves half the patients.
        for (Runnable action : List.<Runnable>of(() -> canaries.abort(READMISSION, OPS),
                () -> canaries.promote(READMISSION, OPS), () -> canaries.pause(READMISSION, OPS),
                () -> canaries.resume(READMISSION, OPS))) {
            assertThatThrownBy(action::run)
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                    .hasMessageContaining("an experiment of version 3 of `readmission` holds the canary slot")
                    .hasMessageContaining("POST /models/readmission/experiments/stop");
        }
        assertThat(store.findDeployment(READMISSION).orElseThrow().slots())
                .contains(new TrafficSlot(Slot.CANARY, 3, 5_000));
        assertThat(canaryRecords().subList(records, canaryRecords().size()))
                .allSatisfy(r -> assertThat(r.outcome()).isEqualTo("refused"))
                .extracting(r -> r.details().get("request")).containsExactly("abort", "promote", "pause", "resume");
    }

    @Test
    void aShadowOrExperimentRevisionThatKeepsAnEndedRampIsNotRecordedOrAnnouncedAsACanaryChange() {
        start();
        Deployment promoted = canaries.promote(READMISSION, OPS);
        int records = canaryRecords().size();
        int events = published.size();
        // A shadow set and stopped later: the shadow service writes both revisions and keeps the ended ramp in them.
        Deployment shadowSet = store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 2,
                TrafficSlot.ALL), new TrafficSlot(Slot.SHADOW, 1, 1_000)), promoted.revision() + 1, "ops-oncall",
                clock.instant(), promoted.etag(), promoted.canary(), null, "shadow.configured"));
        canaries.tick();
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 1, 0)), shadowSet.revision() + 1, "ops-oncall", clock.instant(),
                shadowSet.etag(), promoted.canary(), null, "shadow.stopped"));
        canaries.tick();

        assertThat(canaryRecords()).hasSize(records);
        assertThat(published).hasSize(events);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
    }

    @Test
    void aRollbackBetweenAPromotionAndItsStagesGoesBackToTheReplacedVersionAndEachStageMovesOnce() {
        Principal lead = new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE));
        VersionLifecycle lifecycle = new VersionLifecycle(store, audit, clock);
        DeploymentService deployments = new DeploymentService(store, lifecycle, audit, published::add, clock);
        java.util.concurrent.atomic.AtomicReference<Deployment> rolledBack = new java.util.concurrent.atomic.AtomicReference<>();
        // The promotion's event goes out after the promoted deployment is saved and recorded, before the versions'
        // stages follow it: the operator rolls back right then.
        CanaryService promoting = new CanaryService(store, lifecycle, audit, event -> {
            published.add(event);
            if (event.type().equals(EventTypes.CANARY_PROMOTED)) {
                assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
                rolledBack.set(deployments.rollback(READMISSION, java.util.OptionalInt.empty(), OPS));
            }
        }, log, clock, v -> { }, Telemetry.NONE, requests::window);
        start();

        Deployment promoted = promoting.promote(READMISSION, lead);
        canaries.tick();

        assertThat(rolledBack.get().stable().version()).isEqualTo(1);
        assertThat(rolledBack.get().revision()).isEqualTo(promoted.revision() + 1);
        assertThat(store.findDeployment(READMISSION).orElseThrow().slots())
                .containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(2)).isEqualTo(Stage.RETIRED);
        // The promotion's moves are the promotion's (its operator, its revision), made by whichever call came first,
        // and the promotion's own settling, coming after the rollback, undoes none of the rollback's.
        String promotion = "canary:readmission:revision-" + promoted.revision();
        String rollback = "deployment:readmission:revision-" + rolledBack.get().revision();
        assertThat(store.findVersion(READMISSION, 1).orElseThrow().history())
                .extracting(c -> c.from() + ">" + c.to() + " by " + c.actor() + " for " + c.cause())
                .containsExactly("PRODUCTION>RETIRED by ops-lead for " + promotion,
                        "RETIRED>PRODUCTION by ops-oncall for " + rollback);
        assertThat(store.findVersion(READMISSION, 2).orElseThrow().history())
                .extracting(c -> c.from() + ">" + c.to() + " by " + c.actor())
                .containsExactly("APPROVED>CANARY by ops-oncall", "CANARY>PRODUCTION by ops-lead",
                        "PRODUCTION>RETIRED by ops-oncall");
        assertThat(auditStore.read("2026-12-01")).filteredOn(r -> r.action().equals(VersionLifecycle.ACTION))
                .extracting(r -> r.subject() + " " + r.outcome() + " by " + r.actor())
                .containsExactly("/models/readmission/versions/2 canary by ops-oncall",
                        "/models/readmission/versions/1 retired by ops-lead",
                        "/models/readmission/versions/2 production by ops-lead",
                        "/models/readmission/versions/1 production by ops-oncall",
                        "/models/readmission/versions/2 retired by ops-oncall");
        assertThat(auditStore.read("2026-12-01")).filteredOn(r -> r.action().equals(DeploymentService.ACTION))
                .singleElement().satisfies(r -> assertThat(r.details()).containsEntry("previousVersion", "2"));
        assertThat(canaryRecords()).extracting(AuditRecord::outcome).containsExactly("started", "promoted");
    }

    @Test
    void aRollbackSentAgainAfterACanaryStartedAnswersTheRollbackAndLeavesTheCanaryRunning() {
        store.put(version(READMISSION, 3, Stage.APPROVED));
        DeploymentService deployments = new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit,
                published::add, clock);
        deployments.deploy(READMISSION, 2, OPS);
        java.util.Optional<health.vigil.model.IdempotencyKey> key =
                java.util.Optional.of(new health.vigil.model.IdempotencyKey("rollback-1b"));
        Deployment back = deployments.rollback(READMISSION, java.util.OptionalInt.empty(), OPS, key).deployment();
        // The rollback's answer is lost; meanwhile a colleague starts a canary of version 3 on the rolled-back stable.
        Deployment ramping = canaries.start(READMISSION, new CanaryService.StartCommand(3, null, BAKE, null),
                new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));

        DeploymentService.Outcome again = deployments.rollback(READMISSION, java.util.OptionalInt.empty(), OPS, key);

        assertThat(again.replayed()).isTrue();
        assertThat(again.deployment().revision()).isEqualTo(back.revision());
        assertThat(again.deployment().slots()).isEqualTo(back.slots());
        assertThat(store.findDeployment(READMISSION)).contains(ramping);
        assertThat(stageOf(3)).isEqualTo(Stage.CANARY);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
    }

    /**
     * Promotes version 2 over version 1 (by ops-lead) and sends {@code request} right after the promotion is saved,
     * recorded and announced, before its stages follow it; answers what the request answered.
     */
    private Deployment sentBeforeThePromotionsStagesFollow(java.util.function.Supplier<Deployment> request) {
        java.util.concurrent.atomic.AtomicReference<Object> answered = new java.util.concurrent.atomic.AtomicReference<>();
        CanaryService promoting = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> {
            published.add(event);
            if (event.type().equals(EventTypes.CANARY_PROMOTED)) {
                assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
                try {
                    answered.set(request.get());
                } catch (RuntimeException e) {
                    answered.set(e);
                }
            }
        }, log, clock, v -> { }, Telemetry.NONE, requests::window);
        start();
        promoting.promote(READMISSION, new Principal("ops-lead", Set.of(Role.DEPLOYMENTS_OPERATE)));
        assertThat(answered.get()).isInstanceOf(Deployment.class);
        return (Deployment) answered.get();
    }

    /** Version 1's stage moves: from, to, by whom and for which revision. */
    private List<String> movesOfVersionOne() {
        return store.findVersion(READMISSION, 1).orElseThrow().history().stream()
                .map(c -> c.from() + ">" + c.to() + " by " + c.actor() + " for " + c.cause()).toList();
    }

    @Test
    void aCanaryOfTheVersionAPromotionJustReplacedStartsBeforeThePromotionsStagesFollow() {
        Deployment ramping = sentBeforeThePromotionsStagesFollow(() -> canaries.start(READMISSION,
                new CanaryService.StartCommand(1, null, BAKE, null), OPS));

        assertThat(ramping.canary().version()).isEqualTo(1);
        assertThat(stageOf(1)).isEqualTo(Stage.CANARY);
        assertThat(stageOf(2)).isEqualTo(Stage.PRODUCTION);
        // The promotion's catch-up move is the promotion's: its operator, its revision.
        assertThat(movesOfVersionOne()).containsExactly(
                "PRODUCTION>RETIRED by ops-lead for canary:readmission:revision-3",
                "RETIRED>CANARY by ops-oncall for canary:readmission:revision-4");
    }

    @Test
    void aShadowOfTheVersionAPromotionJustReplacedIsSetBeforeThePromotionsStagesFollow() {
        health.vigil.shadow.ShadowService shadows = new health.vigil.shadow.ShadowService(store, audit, published::add,
                log, clock, v -> { }, m -> java.util.Optional.empty(),
                m -> health.vigil.monitoring.MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);

        Deployment shadowed = sentBeforeThePromotionsStagesFollow(() -> shadows.configure(READMISSION,
                new health.vigil.shadow.ShadowService.ConfigureCommand(1, 1_000), OPS));

        assertThat(shadowed.slot(Slot.SHADOW)).hasValueSatisfying(s -> assertThat(s.version()).isEqualTo(1));
        assertThat(movesOfVersionOne()).containsExactly(
                "PRODUCTION>RETIRED by ops-lead for canary:readmission:revision-3");
    }

    @Test
    void anExperimentTreatingTheVersionAPromotionJustReplacedStartsBeforeThePromotionsStagesFollow() {
        health.vigil.experiment.ExperimentService experiments = new health.vigil.experiment.ExperimentService(store,
                audit, published::add, log, java.util.Optional.empty(), clock, v -> { });
        health.vigil.experiment.ExperimentPlan plan = health.vigil.experiment.ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20,
                0.05, null, null, null, 3_000);

        Deployment treated = sentBeforeThePromotionsStagesFollow(() -> experiments.start(READMISSION,
                new health.vigil.experiment.ExperimentService.StartCommand(1, null, plan), OPS));

        assertThat(treated.runningExperiment()).hasValueSatisfying(e -> assertThat(e.treatmentVersion()).isEqualTo(1));
        assertThat(movesOfVersionOne()).containsExactly(
                "PRODUCTION>RETIRED by ops-lead for canary:readmission:revision-3");
    }

    @Test
    void operatorActionsWithoutACanaryAreRefusedClearly() {
        assertThatThrownBy(() -> canaries.promote(READMISSION, OPS))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE))
                .hasMessageContaining("no canary");
    }
}

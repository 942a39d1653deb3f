package health.vigil.deployment;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.canary.CanaryService;
import health.vigil.compliance.PredictionLineage;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.experiment.ExperimentPlan;
import health.vigil.experiment.ExperimentService;
import health.vigil.features.FeaturePipelines;
import health.vigil.gates.GatePolicies;
import health.vigil.gates.GatePolicy;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.shadow.ShadowService;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's attempt to put a version on live traffic that the lifecycle refuses, on the real local stores (the
 * SQLite registry and audit log): each is one audit record of the attempt, outcome {@code refused}, with the platform's
 * reason, and the deployment stays as it was. What answers as done without changing anything records nothing.
 */
class RefusedDeploymentsOnLocalStoresTest {
    private static final Instant NOW = Instant.parse("2026-11-06T09:30:00Z");
    private static final String DAY = "2026-11-06";
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));

    @TempDir
    Path home;
    private LocalAdapters adapters;
    private RegistryStore store;
    private AuditLog audit;
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    /** The version the scoring runtime cannot load, 0 for none. */
    private final AtomicInteger broken = new AtomicInteger();
    private final Consumer<VersionRecord> warmer = v -> {
        if (v.version() == broken.get()) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, "the package of " + v.id()
                    + " does not match its registered sha256");
        }
    };

    @BeforeEach
    void versionsApprovedFailedAndWaiting() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        store = adapters.registryStore();
        audit = new AuditLog(adapters.auditStore(), clock);
        register(Stage.APPROVED);
        register(Stage.GATES_FAILED);
        register(Stage.GATES_PASSED);
        register(Stage.APPROVED);
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    private void register(Stage stage) {
        store.createNextVersion(READMISSION, n -> version(READMISSION, n, stage));
    }

    private DeploymentService deployments() {
        return new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit, event -> { }, clock,
                warmer);
    }

    /**
     * Deploys judged by each model's gate policy as stored on the local stores, the one of {@code readmission} set by
     * a data steward to require a canary.
     */
    private DeploymentService deploymentsRequiringACanary() {
        GatePolicies policies = new GatePolicies(adapters.artifactStore(), store, audit, clock);
        com.fasterxml.jackson.databind.node.ObjectNode requiring = Json.mapper().valueToTree(GatePolicy.defaults());
        requiring.put("requireCanary", true);
        policies.update(READMISSION, Json.convert("the policy", requiring, GatePolicy.class),
                new Principal("data-steward", Set.of(Role.DATASETS_REGISTER)), "new versions reach patients by canary");
        return new DeploymentService(store, new VersionLifecycle(store, audit, clock), audit, event -> { }, clock,
                warmer, model -> policies.current(model).requireCanary());
    }

    private Stage stageOf(int version) {
        return store.findVersion(READMISSION, version).orElseThrow().stage();
    }

    private List<AuditRecord> refused() {
        return adapters.auditStore().read(DAY).stream().filter(r -> r.outcome().equals("refused")).toList();
    }

    private int records() {
        return adapters.auditStore().read(DAY).size();
    }

    private static VigilException refusal(Runnable attempt) {
        return catchThrowableOfType(attempt::run, VigilException.class);
    }

    @Test
    void deployingAVersionWhoseGatesFailedIsRefusedAndAuditedOnce() {
        DeploymentService deployments = deployments();
        deployments.deploy(READMISSION, 1, OPS);
        Deployment before = store.findDeployment(READMISSION).orElseThrow();

        VigilException e = refusal(() -> deployments.deploy(READMISSION, 2, OPS));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
        assertThat(store.findDeployment(READMISSION)).contains(before);
        assertThat(refused()).singleElement().satisfies(r -> {
            assertThat(r.action()).isEqualTo(DeploymentService.ACTION);
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission/versions/2");
            assertThat(r.details()).containsEntry("reason", "INVALID_STATE")
                    .containsEntry("message", e.getMessage())
                    .containsEntry("stage", "gates_failed")
                    .containsEntry("request", "deploy");
        });
    }

    @Test
    void aRefusedRollbackIsOneRecordOfTheRollbackWhetherTheLifecycleOrTheRuntimeRefusedIt() {
        DeploymentService deployments = deployments();

        VigilException nothingRetired = refusal(() -> deployments.rollback(READMISSION, OptionalInt.empty(), OPS));
        deployments.deploy(READMISSION, 1, OPS);
        deployments.deploy(READMISSION, 4, OPS);
        VigilException notRetired = refusal(() -> deployments.rollback(READMISSION, OptionalInt.of(2), OPS));
        broken.set(1);
        VigilException cannotServe = refusal(() -> deployments.rollback(READMISSION, OptionalInt.empty(), OPS));

        assertThat(List.of(nothingRetired.code(), notRetired.code(), cannotServe.code()))
                .containsExactly(ErrorCode.INVALID_STATE, ErrorCode.INVALID_STATE, ErrorCode.VERSION_NOT_SERVABLE);
        assertThat(store.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(4);
        assertThat(refused()).hasSize(3).allSatisfy(r -> {
            assertThat(r.action()).isEqualTo(DeploymentService.ACTION);
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.details()).containsEntry("request", "rollback");
        });
        assertThat(refused()).extracting(AuditRecord::subject).containsExactly("/models/readmission",
                "/models/readmission/versions/2", "/models/readmission/versions/1");
        assertThat(refused()).extracting(r -> r.details().get("message")).containsExactly(nothingRetired.getMessage(),
                notRetired.getMessage(), cannotServe.getMessage());
        assertThat(refused().get(2).details()).containsEntry("reason", "VERSION_NOT_SERVABLE")
                .containsEntry("stage", "retired");
    }

    @Test
    void deployingTheVersionThatAlreadyServesIsNoRefusalAndWritesNothing() {
        DeploymentService deployments = deployments();
        deployments.deploy(READMISSION, 1, OPS);
        int records = records();

        deployments.deploy(READMISSION, 1, OPS);

        assertThat(records()).isEqualTo(records);
    }

    @Test
    void whereTheModelsPolicyRequiresACanaryADirectDeployOfANeverStableVersionIsRefusedAndChangesNothing() {
        DeploymentService deployments = deploymentsRequiringACanary();
        deployments.deploy(READMISSION, 1, OPS);
        Deployment before = store.findDeployment(READMISSION).orElseThrow();
        IdempotencyKey key = new IdempotencyKey("deploy-4");

        VigilException refused = refusal(() -> deployments.deploy(READMISSION, 4, OPS, Optional.of(key)));
        VigilException sentAgain = refusal(() -> deployments.deploy(READMISSION, 4, OPS, Optional.of(key)));

        assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
        assertThat(refused.code().httpStatus()).isEqualTo(409);
        assertThat(refused.getMessage()).contains("readmission:4 has never been the stable version",
                "stable version is still version 1, revision 1", "POST /models/readmission/canary",
                "vigil canary start readmission 4", "vigil rollback readmission");
        assertThat(sentAgain.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
        assertThat(store.findDeployment(READMISSION)).contains(before);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(4)).isEqualTo(Stage.APPROVED);
        // Each request refused is an attempt of its own, the one sent again under its key too: nothing was done.
        assertThat(refused()).hasSize(2).allSatisfy(r -> {
            assertThat(r.action()).isEqualTo(DeploymentService.ACTION);
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission/versions/4");
            assertThat(r.details()).containsEntry("reason", "CANARY_REQUIRED")
                    .containsEntry("message", refused.getMessage())
                    .containsEntry("stage", "approved")
                    .containsEntry("request", "deploy");
        });
    }

    @Test
    void whereTheModelsPolicyRequiresACanaryAFirstDeployARollbackAndAVersionStableBeforeThePolicyGoAhead() {
        DeploymentService before = deployments();
        before.deploy(READMISSION, 1, OPS);
        before.deploy(READMISSION, 4, OPS);
        DeploymentService deployments = deploymentsRequiringACanary();

        int records = records();
        deployments.deploy(READMISSION, 4, OPS);
        assertThat(records()).as("a deploy of the stable version changes nothing").isEqualTo(records);
        deployments.rollback(READMISSION, OptionalInt.empty(), OPS);
        assertThat(store.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(1);
        Deployment again = deployments.deploy(READMISSION, 4, OPS);

        assertThat(again.stable().version()).as("version 4 was stable before").isEqualTo(4);
        assertThat(stageOf(4)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(1)).isEqualTo(Stage.RETIRED);
        assertThat(refused()).isEmpty();
    }

    /**
     * The canary path the policy asks for cannot be cut short: a canary the analysis has not judged is not promoted by
     * hand, and once aborted its version is no more deployable directly than before it started.
     */
    @Test
    void whereTheModelsPolicyRequiresACanaryAnUnjudgedCanaryIsNotPromotedByHandNorDeployedDirectlyOnceAborted() {
        DeploymentService deployments = deploymentsRequiringACanary();
        CanaryService canaries = canariesRequiringACanary();
        deployments.deploy(READMISSION, 1, OPS);
        canaries.start(READMISSION, new CanaryService.StartCommand(4, null, null, null), OPS);
        Deployment started = store.findDeployment(READMISSION).orElseThrow();

        VigilException promotion = refusal(() -> canaries.promote(READMISSION, OPS));
        assertThat(store.findDeployment(READMISSION)).contains(started);
        canaries.abort(READMISSION, OPS);
        VigilException deploy = refusal(() -> deployments.deploy(READMISSION, 4, OPS));

        assertThat(promotion.code()).isEqualTo(ErrorCode.CANARY_NOT_JUDGED);
        assertThat(deploy.code()).as("an aborted canary's version is rolled back").isEqualTo(ErrorCode.INVALID_STATE);
        assertThat(store.findDeployment(READMISSION).orElseThrow().stable().version()).isEqualTo(1);
        assertThat(stageOf(1)).isEqualTo(Stage.PRODUCTION);
        assertThat(stageOf(4)).isEqualTo(Stage.ROLLED_BACK);
        assertThat(refused()).extracting(AuditRecord::action).containsExactly(CanaryService.ACTION,
                DeploymentService.ACTION);
        assertThat(refused()).extracting(r -> r.details().get("reason")).containsExactly("CANARY_NOT_JUDGED",
                "INVALID_STATE");
    }

    @Test
    void startingACanaryShadowOrExperimentWithAVersionThatIsNotApprovedIsRefusedAndAuditedOnce() {
        CanaryService canaries = canaries();
        ShadowService shadows = shadows();
        ExperimentService experiments = experiments();

        VigilException undeployed = refusal(() -> canaries.start(READMISSION,
                new CanaryService.StartCommand(4, null, null, null), OPS));
        deployments().deploy(READMISSION, 1, OPS);
        Deployment before = store.findDeployment(READMISSION).orElseThrow();
        VigilException canary = refusal(() -> canaries.start(READMISSION,
                new CanaryService.StartCommand(2, null, null, null), OPS));
        VigilException shadow = refusal(() -> shadows.configure(READMISSION,
                new ShadowService.ConfigureCommand(3, 1_000), OPS));
        VigilException experiment = refusal(() -> experiments.start(READMISSION, new ExperimentService.StartCommand(3,
                null, ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20, 0.05, null, null, null, 3_000)), OPS));

        assertThat(undeployed.code()).isEqualTo(ErrorCode.MODEL_NOT_DEPLOYED);
        assertThat(List.of(canary.code(), shadow.code(), experiment.code())).containsOnly(ErrorCode.INVALID_STATE);
        assertThat(store.findDeployment(READMISSION)).contains(before);
        assertThat(refused()).extracting(AuditRecord::action).containsExactly(CanaryService.ACTION,
                CanaryService.ACTION, ShadowService.ACTION, ExperimentService.ACTION);
        assertThat(refused()).extracting(AuditRecord::subject).containsExactly("/models/readmission/versions/4",
                "/models/readmission/versions/2", "/models/readmission/versions/3", "/models/readmission/versions/3");
        assertThat(refused()).extracting(r -> r.details().get("message")).containsExactly(undeployed.getMessage(),
                canary.getMessage(), shadow.getMessage(), experiment.getMessage());
        assertThat(refused()).extracting(r -> r.details().get("stage")).containsExactly("approved", "gates_failed",
                "gates_passed", "gates_passed");
        assertThat(refused()).extracting(r -> r.details().get("request")).containsExactly("start", "start", "set",
                "start");
        assertThat(refused()).allSatisfy(r -> assertThat(r.actor()).isEqualTo("ops-oncall"));
    }

    private CanaryService canaries() {
        return new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> { },
                adapters.predictionLog(), clock, warmer);
    }

    /** Canaries as the platform builds them, promoted by hand only as the model's gate policy in force allows. */
    private CanaryService canariesRequiringACanary() {
        GatePolicies policies = new GatePolicies(adapters.artifactStore(), store, audit, clock);
        return new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> { },
                adapters.predictionLog(), clock, warmer, health.vigil.port.Telemetry.NONE, null,
                CanaryService.OutcomeLookup.NONE, model -> health.vigil.model.CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE,
                model -> {
                    GatePolicy policy = policies.current(model);
                    return health.vigil.canary.CanaryRequirement.of(policy.requireCanary(),
                            policy.maxFirstCanaryStep());
                });
    }

    private ShadowService shadows() {
        return new ShadowService(store, audit, event -> { }, adapters.predictionLog(), clock, warmer,
                model -> Optional.empty(), model -> health.vigil.monitoring.MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
    }

    private ExperimentService experiments() {
        return new ExperimentService(store, audit, event -> { }, adapters.predictionLog(), Optional.empty(), clock,
                warmer);
    }

    @Test
    void promotingPausingResumingOrAbortingACanaryThatIsNotRunningIsRefusedAndAuditedOncePerRequest() {
        CanaryService canaries = canaries();

        VigilException undeployed = refusal(() -> canaries.promote(READMISSION, OPS));
        deployments().deploy(READMISSION, 1, OPS);
        VigilException noCanary = refusal(() -> canaries.pause(READMISSION, OPS));
        canaries.start(READMISSION, new CanaryService.StartCommand(4, null, null, null), OPS);
        canaries.promote(READMISSION, OPS);
        Deployment promoted = store.findDeployment(READMISSION).orElseThrow();
        int records = records();
        canaries.promote(READMISSION, OPS);
        canaries.tick();
        assertThat(records()).as("a repeated promote and the controller's pass write nothing").isEqualTo(records);
        VigilException abort = refusal(() -> canaries.abort(READMISSION, OPS));
        VigilException resume = refusal(() -> canaries.resume(READMISSION, OPS));
        VigilException pauseAgain = refusal(() -> canaries.pause(READMISSION, OPS));
        canaries.tick();

        assertThat(undeployed.code()).isEqualTo(ErrorCode.MODEL_NOT_DEPLOYED);
        assertThat(List.of(noCanary.code(), abort.code(), resume.code(), pauseAgain.code()))
                .containsOnly(ErrorCode.INVALID_STATE);
        assertThat(store.findDeployment(READMISSION)).contains(promoted);
        assertThat(refused()).hasSize(5).allSatisfy(r -> {
            assertThat(r.action()).isEqualTo(CanaryService.ACTION);
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission");
        });
        assertThat(refused()).extracting(r -> r.details().get("request"))
                .containsExactly("promote", "pause", "abort", "resume", "pause");
        assertThat(refused()).extracting(r -> r.details().get("reason")).containsExactly("MODEL_NOT_DEPLOYED",
                "INVALID_STATE", "INVALID_STATE", "INVALID_STATE", "INVALID_STATE");
        assertThat(refused()).extracting(r -> r.details().get("message")).containsExactly(undeployed.getMessage(),
                noCanary.getMessage(), abort.getMessage(), resume.getMessage(), pauseAgain.getMessage());
    }

    @Test
    void stoppingAShadowOrExperimentThatIsNotThereIsRefusedAndAuditedOnceAndAStopAgainWritesNothing() {
        ShadowService shadows = shadows();
        ExperimentService experiments = experiments();

        VigilException shadowUndeployed = refusal(() -> shadows.stop(READMISSION, OPS));
        VigilException experimentUndeployed = refusal(() -> experiments.stop(READMISSION, OPS));
        deployments().deploy(READMISSION, 1, OPS);
        VigilException noShadow = refusal(() -> shadows.stop(READMISSION, OPS));
        VigilException noExperiment = refusal(() -> experiments.stop(READMISSION, OPS));
        shadows.configure(READMISSION, new ShadowService.ConfigureCommand(4, 1_000), OPS);
        shadows.stop(READMISSION, OPS);
        experiments.start(READMISSION, new ExperimentService.StartCommand(4, null,
                ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20, 0.05, null, null, null, 3_000)), OPS);
        experiments.stop(READMISSION, OPS);
        int records = records();
        shadows.stop(READMISSION, OPS);
        experiments.stop(READMISSION, OPS);

        assertThat(records()).as("a stop of a stopped shadow or experiment writes nothing").isEqualTo(records);
        assertThat(List.of(shadowUndeployed.code(), experimentUndeployed.code()))
                .containsOnly(ErrorCode.MODEL_NOT_DEPLOYED);
        // Nothing to stop is the same refusal for both, a 409 on record as an attempt.
        assertThat(List.of(noShadow.code(), noExperiment.code())).containsOnly(ErrorCode.INVALID_STATE);
        assertThat(noExperiment.getMessage()).contains("no experiment of `readmission` is running")
                .contains("POST /models/readmission/experiments");
        assertThat(refused()).extracting(AuditRecord::action).containsExactly(ShadowService.ACTION,
                ExperimentService.ACTION, ShadowService.ACTION, ExperimentService.ACTION);
        assertThat(refused()).extracting(r -> r.details().get("message")).containsExactly(
                shadowUndeployed.getMessage(), experimentUndeployed.getMessage(), noShadow.getMessage(),
                noExperiment.getMessage());
        assertThat(refused()).allSatisfy(r -> {
            assertThat(r.actor()).isEqualTo("ops-oncall");
            assertThat(r.subject()).isEqualTo("/models/readmission");
            assertThat(r.details()).containsEntry("request", "stop");
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRefusedDeployIsNotTheDeploymentInForceThatALineageNames() {
        DeploymentService deployments = deployments();
        deployments.deploy(READMISSION, 1, OPS);
        refusal(() -> deployments.deploy(READMISSION, 2, OPS));
        PredictionRecord scored = new PredictionRecord(PredictionIds.next(NOW), READMISSION, 1, Slot.STABLE,
                "pseudonym-1", NOW, new float[0], 0.3, false, null);
        adapters.predictionLog().append(List.of(scored));
        PredictionLineage lineage = new PredictionLineage(adapters.predictionLog(), new ModelRegistry(store), audit,
                FeaturePipelines.identityOnly(), v -> Optional.empty(), clock, time -> Optional.empty());

        Map<String, Object> found = lineage.of(scored.predictionId(), "compliance");

        assertThat((Map<String, Object>) found.get("deploymentAtPrediction"))
                .containsEntry("subject", "/models/readmission/versions/1").containsEntry("outcome", "deployed");
    }
}

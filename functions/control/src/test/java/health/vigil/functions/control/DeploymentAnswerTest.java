package health.vigil.functions.control;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.deployment.DeploymentService;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ServiceFixtures;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What {@code POST /models/{name}/rollback} and {@code .../deploy} answer about the version they took off traffic. */
class DeploymentAnswerTest {
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-06T09:30:00Z"), ZoneOffset.UTC);
    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final AuditLog audit = new AuditLog(new InMemoryAuditStore(), clock);
    private final List<VigilEvent> events = new CopyOnWriteArrayList<>();
    private final DeploymentService deployments = new DeploymentService(store, new VersionLifecycle(store, audit, clock),
            audit, events::add, clock);

    @Test
    void aRollbackNamesTheVersionItLeftAndSoDoesTheSameRevisionsAnswerLater() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        ObjectNode first = ModelFunctions.answer(deployments.deploy(READMISSION, 1, OPS), deployments);
        deployments.deploy(READMISSION, 2, OPS);

        ObjectNode rolledBack = ModelFunctions.answer(deployments.rollback(READMISSION, OptionalInt.empty(), OPS),
                deployments);

        assertThat(rolledBack.at("/slots/0/version").asInt()).isEqualTo(1);
        assertThat(rolledBack.path("previousVersion").asInt()).as(rolledBack.toString()).isEqualTo(2);
        ObjectNode repeated = ModelFunctions.answer(deployments.deploy(READMISSION, 1, OPS), deployments);
        assertThat(repeated.path("revision").asLong()).isEqualTo(rolledBack.path("revision").asLong());
        assertThat(repeated.path("previousVersion").asInt()).isEqualTo(2);
        assertThat(first.has("previousVersion")).as("the first deploy took no version off traffic").isFalse();
    }

    @Test
    void aDeployOverACanarySaysWhatItEndedFromItsRecordAndLeavesOutWhatTheDocumentKeepsForIt() {
        ServiceFixtures.canaryOfVersion2Over1(store, clock.instant());

        ObjectNode answer = ModelFunctions.answer(deployments.deploy(READMISSION, 3, OPS), deployments);

        assertThat(answer.path("previousVersion").asInt()).as(answer.toString()).isEqualTo(1);
        assertThat(answer.at("/ended/version").asInt()).isEqualTo(2);
        assertThat(answer.has(Deployment.KEPT_DISPLACED)).as(answer.toString()).isFalse();
    }

    @Test
    void theModelsAnswersLeaveOutTheBucketSaltsOfItsRampAndExperimentWhichTheDocumentStillStores() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.CANARY));
        store.put(version(READMISSION, 3, Stage.APPROVED));
        Instant at = clock.instant();
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 1, at, at.plusSeconds(600), 0, "ops-oncall", at, "stepped", "stepped", List.of(),
                "0f1e2d3c4b5a6978");
        Experiment stopped = new Experiment("readmission-4", 1, 3, 5_000, ExperimentMetric.FLAG_RATE, 0.2, 0.05, null,
                0.05, 0.8, 1_000, 1_000, Experiment.STOPPED, "ops-lead", at.minusSeconds(7_200), "ops-lead",
                at.minusSeconds(3_600), "8a9b0c1d2e3f4a5b");
        Deployment deployment = new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 9_500),
                new TrafficSlot(Slot.CANARY, 2, 500)), 9, "canary-controller", at, null, ramp, stopped, null);
        store.saveDeployment(deployment);
        ModelRegistry registry = new ModelRegistry(store);

        // As GET /models/{name} and GET /models answer, and as a deploy or rollback answers its document.
        String model = new String(Json.writeResponseBytes(Map.of("summary", registry.summary(READMISSION),
                "versions", registry.listVersions(READMISSION))), java.nio.charset.StandardCharsets.UTF_8);
        String experiment = Json.writeResponse(stopped);
        String answered = ModelFunctions.answer(deployment, deployments).toString();

        for (String answer : List.of(model, experiment, answered)) {
            assertThat(answer).doesNotContain("bucketSalt").doesNotContain("0f1e2d3c4b5a6978")
                    .doesNotContain("8a9b0c1d2e3f4a5b");
        }
        assertThat(Json.readTree("the answer", model).at("/summary/deployment/canary/status").asText())
                .isEqualTo("running");
        assertThat(Json.readTree("the answer", answered).at("/experiment/id").asText()).isEqualTo("readmission-4");
        // The store writes the document with the mapper, salts and all: routing reads them back from it.
        Deployment stored = Json.read("the deployment", Json.writeBytes(deployment), Deployment.class);
        assertThat(stored.canary().bucketSalt()).isEqualTo("0f1e2d3c4b5a6978");
        assertThat(stored.experiment().bucketSalt()).isEqualTo("8a9b0c1d2e3f4a5b");
    }
}

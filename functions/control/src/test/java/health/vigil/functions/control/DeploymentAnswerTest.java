package health.vigil.functions.control;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.deployment.DeploymentService;
import health.vigil.events.VigilEvent;
import health.vigil.model.Deployment;
import health.vigil.model.Stage;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ServiceFixtures;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
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
}

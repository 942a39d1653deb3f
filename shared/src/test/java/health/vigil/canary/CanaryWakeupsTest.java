package health.vigil.canary;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StepAnalysis;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The controller's event triggers on a real clock: with one-second bake times, ramp events and the wake-ups they set
 * carry a healthy canary through every step to promotion without the minute timer, each step taken once, even with
 * two instances woken by the same events.
 */
class CanaryWakeupsTest {
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));

    private final Clock clock = Clock.systemUTC();
    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final AuditLog audit = new AuditLog(auditStore, clock);
    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    private final CanaryService canaries = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit,
            published::add, log, clock, v -> { });
    private final CanaryWakeups first = new CanaryWakeups(canaries, store, clock);
    private final CanaryWakeups second = new CanaryWakeups(canaries, store, clock);

    @AfterEach
    void stop() {
        first.close();
        second.close();
    }

    @Test
    void rampEventsAndTheWakeupsTheySetPromoteAHealthyCanaryStepByStepWithoutTheTimer() throws Exception {
        Instant now = clock.instant();
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", now.minusSeconds(3600), null));
        canaries.start(READMISSION, new CanaryService.StartCommand(2, List.of(2_000, 5_000, 10_000),
                Duration.ofSeconds(1), new health.vigil.model.CanaryPolicy(0.01, 20, 0.05, 0.02, 0.2)), OPS);
        // Healthy traffic for the next minute, enough for every step, of patients the ramp's salt routes.
        CanaryTraffic traffic = new CanaryTraffic(5L, store);
        traffic.write(log, READMISSION, Slot.CANARY, 2, 4_000, now, Duration.ofSeconds(60), 0, 0.01);
        traffic.write(log, READMISSION, Slot.STABLE, 1, 4_000, now, Duration.ofSeconds(60), 0, 0.01);
        // Each instance receives every ramp event, as two subscribers of a topic would (at least once).
        int delivered = 0;
        Instant deadline = Instant.now().plusSeconds(30);
        while (store.findDeployment(READMISSION).orElseThrow().canary().status().live()
                && Instant.now().isBefore(deadline)) {
            List<VigilEvent> events = List.copyOf(published);
            for (VigilEvent e : events.subList(delivered, events.size())) {
                if (e.type().equals(EventTypes.CANARY_STARTED) || e.type().equals(EventTypes.CANARY_STEPPED)) {
                    long revision = ((Number) e.data().get("revision")).longValue();
                    first.onRampEvent(READMISSION, revision, e.id());
                    second.onRampEvent(READMISSION, revision, e.id());
                }
            }
            delivered = events.size();
            Thread.sleep(50);
        }

        Deployment d = store.findDeployment(READMISSION).orElseThrow();
        assertThat(d.canary().status()).isEqualTo(CanaryStatus.PROMOTED);
        assertThat(d.canary().analyses()).extracting(StepAnalysis::decision)
                .containsExactly(StepAnalysis.PASS, StepAnalysis.PASS);
        // Two instances settling the same revision may both publish its event, under the same id (at least once).
        assertThat(published.stream().collect(java.util.stream.Collectors.toMap(VigilEvent::id, VigilEvent::type,
                (x, y) -> x, java.util.LinkedHashMap::new)).values()).containsExactly(EventTypes.CANARY_STARTED,
                EventTypes.CANARY_STEPPED, EventTypes.CANARY_PROMOTED);
        assertThat(d.revision()).isEqualTo(4);
        // The wake-up that promoted it finishes by setting none: no wake-up is left once the ramp has ended.
        Instant settled = Instant.now().plusSeconds(10);
        while (first.pendingCount() + second.pendingCount() > 0 && Instant.now().isBefore(settled)) {
            Thread.sleep(20);
        }
        assertThat(first.pendingCount() + second.pendingCount()).isZero();
    }

    @Test
    void aStartEventDeliveredBeforeItsPublisherMarkedItAnnouncedIsPublishedAndHandledOnce() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", clock.instant().minusSeconds(3600), null));
        // The bus hands each ramp event to AdvanceCanary before the publish returns, so before the start request has
        // marked it announced; the copies the handler would publish are delivered too (a few at most here).
        List<VigilEvent> delivered = new CopyOnWriteArrayList<>();
        CanaryWakeups[] advance = new CanaryWakeups[1];
        CanaryService service = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, event -> {
            published.add(event);
            if (published.size() <= 4 && event.type().equals(EventTypes.CANARY_STARTED)) {
                delivered.add(event);
                advance[0].onRampEvent(READMISSION, ((Number) event.data().get("revision")).longValue(), event.id());
            }
        }, log, clock, v -> { });
        advance[0] = new CanaryWakeups(service, store, clock);
        try {
            service.start(READMISSION, new CanaryService.StartCommand(2, null, Duration.ofMinutes(10), null), OPS);
        } finally {
            advance[0].close();
        }

        assertThat(published).extracting(VigilEvent::type).containsExactly(EventTypes.CANARY_STARTED);
        assertThat(delivered).hasSize(1);
        assertThat(store.findDeployment(READMISSION).orElseThrow().revision()).isEqualTo(2);
    }

    @Test
    void aRampEventForAModelThatIsNotRegisteredIsModelNotFoundAndChangesNothing() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));

        assertThatThrownBy(() -> first.onRampEvent(new ModelName("no-such-model"), 2, "00000000-0000-0000-0000-000000000000"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
                    assertThat(e.code().httpStatus()).isEqualTo(404);
                })
                .hasMessageContaining("model `no-such-model` is not registered (registered models: readmission)");
        assertThat(published).isEmpty();
        assertThat(audit.read(java.time.LocalDate.now(java.time.ZoneOffset.UTC),
                java.time.LocalDate.now(java.time.ZoneOffset.UTC))).isEmpty();
        assertThat(first.pendingCount()).isZero();
    }

    @Test
    void aRampEventForARegisteredModelWithoutACanaryChangesNothing() {
        store.put(version(READMISSION, 1, Stage.APPROVED));
        assertThat(first.onRampEvent(READMISSION, 2, "00000000-0000-0000-0000-000000000000")).as("registered, never deployed").isEmpty();

        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", clock.instant(), null));
        assertThat(first.onRampEvent(READMISSION, 2, "00000000-0000-0000-0000-000000000000")).as("deployed, no canary").isEmpty();
        assertThat(published).isEmpty();
        assertThat(first.pendingCount()).isZero();
    }
}

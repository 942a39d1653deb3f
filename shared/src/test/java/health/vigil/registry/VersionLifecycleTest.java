package health.vigil.registry;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.registry.VersionLifecycle.Move;
import health.vigil.registry.VersionLifecycle.Outcome;
import health.vigil.security.Principal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class VersionLifecycleTest {
    private static final Instant NOW = Instant.parse("2026-11-06T09:30:00Z");
    private static final Principal GATES = new Principal("vigil-gates", Set.of());
    private static final ModelVersion V1 = new ModelVersion(READMISSION, 1);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final VersionLifecycle lifecycle = new VersionLifecycle(store, new AuditLog(auditStore, clock), clock);

    private List<AuditRecord> audit() {
        return auditStore.read("2026-11-06");
    }

    private VersionRecord stored() {
        return store.findVersion(READMISSION, 1).orElseThrow();
    }

    @Test
    void aMoveIsWrittenKeptInTheHistoryAndAuditedWithActorReasonAndPreviousStage() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));

        Move move = lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");

        assertThat(move.outcome()).isEqualTo(Outcome.MOVED);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_RUNNING);
        assertThat(stored().history()).containsExactly(new StageChange(Stage.REGISTERED, Stage.GATES_RUNNING,
                "vigil-gates", "evaluation started", NOW, "event-1"));
        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.actor()).isEqualTo("vigil-gates");
            assertThat(r.action()).isEqualTo(VersionLifecycle.ACTION);
            assertThat(r.subject()).isEqualTo("/models/readmission/versions/1");
            assertThat(r.outcome()).isEqualTo("gates_running");
            assertThat(r.details()).containsEntry("from", "registered").containsEntry("to", "gates_running")
                    .containsEntry("reason", "evaluation started").containsEntry("cause", "event-1");
        });
    }

    @Test
    void aReplayedMoveWritesNothingAndSaysItWasThisCausesMove() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));
        Move first = lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");

        Move again = lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");
        Move other = lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-2");

        assertThat(again.outcome()).isEqualTo(Outcome.REPLAYED);
        assertThat(other.outcome()).isEqualTo(Outcome.ALREADY_MOVED);
        assertThat(stored().etag()).isEqualTo(first.version().etag());
        assertThat(stored().history()).hasSize(1);
        assertThat(audit()).hasSize(1);
    }

    @Test
    void anOldEventNeverMovesAVersionBack() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));
        lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");
        lifecycle.move(V1, Stage.GATES_RUNNING, Stage.GATES_PASSED, GATES, "every gate passed", "event-1");
        String etag = stored().etag();

        Move late = lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", null);

        assertThat(late.outcome()).isEqualTo(Outcome.ALREADY_MOVED);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_PASSED);
        assertThat(stored().etag()).isEqualTo(etag);
        assertThat(audit()).hasSize(2);
    }

    @Test
    void aCauseKeepsAnOldRoundsEventFromFinishingANewRound() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));
        lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "run-1");
        lifecycle.move(V1, Stage.GATES_RUNNING, Stage.GATES_PASSED, GATES, "every gate passed", "run-1");
        lifecycle.move(V1, Stage.GATES_PASSED, Stage.GATES_RUNNING, GATES, "new evaluation dataset", "run-2");

        Move late = lifecycle.move(V1, Stage.GATES_RUNNING, Stage.GATES_PASSED, GATES, "every gate passed", "run-1");

        assertThat(late.outcome()).isEqualTo(Outcome.REPLAYED);
        assertThat(stored().stage()).isEqualTo(Stage.GATES_RUNNING);
    }

    @Test
    void aMoveTheLifecycleDoesNotAllowIsRefusedWithWhatMustHappenFirst() {
        store.put(version(READMISSION, 1, Stage.GATES_PASSED));

        assertThatThrownBy(() -> lifecycle.move(V1, Stage.GATES_PASSED, Stage.PRODUCTION, GATES, "deploy", null))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                    assertThat(e.getMessage()).contains("production only from approved");
                });
        assertThat(stored().history()).isEmpty();
        assertThat(audit()).isEmpty();
    }

    @Test
    void aVersionInAnotherStageIsRefusedAndToldWhatMustHappenFirst() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));

        assertThatThrownBy(() -> lifecycle.move(V1, Stage.GATES_PASSED, Stage.APPROVED, GATES, "signed", null))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                    assertThat(e.getMessage()).contains("readmission:1 cannot move from gates_passed to approved")
                            .contains("it is registered");
                });
        assertThat(stored().stage()).isEqualTo(Stage.REGISTERED);
    }

    @Test
    void aMoveNeedsAReason() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));

        assertThatThrownBy(() -> lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, " ", null))
                .isInstanceOf(ValidationException.class).hasMessageContaining("say why");
    }

    @Test
    void concurrentDeliveriesOfOneMoveMakeItOnceWithOneAuditRecord() throws Exception {
        store.put(version(READMISSION, 1, Stage.REGISTERED));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Move>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started",
                        "event-1"));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Move> f : pool.invokeAll(calls)) {
                outcomes.add(f.get().outcome());
            }
            assertThat(outcomes).filteredOn(o -> o == Outcome.MOVED).hasSize(1);
            assertThat(outcomes).filteredOn(o -> o == Outcome.REPLAYED).hasSize(15);
        } finally {
            pool.shutdownNow();
        }
        assertThat(stored().history()).hasSize(1);
        assertThat(audit()).hasSize(1);
    }

    @Test
    void aRetryAfterACrashBetweenTheWriteAndTheAuditCompletesTheOneRecord() {
        VersionRecord registered = store.put(version(READMISSION, 1, Stage.REGISTERED));
        // The move was written, then the process stopped before auditing it.
        store.updateVersion(registered.withStage(new StageChange(Stage.REGISTERED, Stage.GATES_RUNNING, "vigil-gates",
                "evaluation started", NOW, "event-1")));
        assertThat(audit()).isEmpty();

        lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");
        lifecycle.move(V1, Stage.REGISTERED, Stage.GATES_RUNNING, GATES, "evaluation started", "event-1");

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry(AuditLog.KEY_DETAIL, VersionLifecycle.auditKey(V1, 0)));
    }
}

package health.vigil.shadow;

import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shadow report on the real local stores (the SQLite registry, audit log and prediction log): live predictions
 * scored before the shadow was set were never mirrored, so they are not counted as missing shadow scores.
 */
class ShadowReportOnLocalStoresTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant DEPLOYED = Instant.parse("2026-12-02T06:00:00Z");
    private static final Instant SHADOW_SET = DEPLOYED.plus(Duration.ofHours(2));
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));
    private static final int BEFORE_SHADOW = 300;
    private static final int AFTER_SHADOW = 200;
    private static final int DROPPED = 5;

    @TempDir
    Path home;
    private LocalAdapters adapters;
    private RegistryStore registry;
    private PredictionLog log;
    private final MutableClock clock = new MutableClock(DEPLOYED);
    private ShadowService shadows;

    @BeforeEach
    void stableOneWithLivePredictionsBeforeAShadowOfTwo() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        registry = adapters.registryStore();
        log = adapters.predictionLog();
        shadows = new ShadowService(registry, new AuditLog(adapters.auditStore(), clock), event -> {}, log, clock,
                v -> {}, m -> Optional.empty(), m -> health.vigil.monitoring.MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
        registry.createNextVersion(MODEL, n -> version(MODEL, n, Stage.PRODUCTION));
        registry.createNextVersion(MODEL, n -> version(MODEL, n, Stage.APPROVED));
        registry.saveDeployment(Deployment.stableOnly(MODEL, 1, 1, "ops", DEPLOYED, null));
        for (int i = 0; i < BEFORE_SHADOW; i++) {
            Instant at = DEPLOYED.plusSeconds(10L * i);
            log.append(List.of(prediction(PredictionIds.next(at), 1, Slot.STABLE, at, null)));
        }

        clock.set(SHADOW_SET);
        shadows.configure(MODEL, new ShadowService.ConfigureCommand(2, TrafficSlot.ALL), OPS);
        for (int i = 0; i < AFTER_SHADOW; i++) {
            Instant at = SHADOW_SET.plusSeconds(1 + 10L * i);
            String liveId = PredictionIds.next(at);
            log.append(List.of(prediction(liveId, 1, Slot.STABLE, at, null)));
            if (i >= DROPPED) {
                log.append(List.of(prediction(PredictionIds.next(at), 2, Slot.SHADOW, at,
                        ShadowPairing.write(liveId, Map.of()))));
            }
        }
        clock.set(SHADOW_SET.plus(Duration.ofHours(1)));
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    @Test
    void theDefaultWindowStartsWhenTheShadowWasSet() {
        ShadowReport report = shadows.report(MODEL, Optional.empty(), Optional.empty(), Optional.empty());

        assertThat(report.shadowSince()).isEqualTo(SHADOW_SET);
        assertThat(report.from()).isEqualTo(SHADOW_SET);
        assertThat(report.to()).isEqualTo(clock.instant());
        assertThat(report.livePredictions()).isEqualTo(AFTER_SHADOW);
        assertThat(report.expectedMirrored()).isEqualTo(AFTER_SHADOW);
        assertThat(report.paired()).isEqualTo(AFTER_SHADOW - DROPPED);
        assertThat(report.missing()).isEqualTo(DROPPED);
    }

    @Test
    void anExplicitWindowIsKeptButLivePredictionsFromBeforeTheShadowAreNotMissing() {
        ShadowReport report = shadows.report(MODEL, Optional.empty(), Optional.of(DEPLOYED), Optional.empty());

        assertThat(report.from()).isEqualTo(DEPLOYED);
        assertThat(report.livePredictions()).isEqualTo(BEFORE_SHADOW + AFTER_SHADOW);
        assertThat(report.expectedMirrored()).isEqualTo(AFTER_SHADOW);
        assertThat(report.paired()).isEqualTo(AFTER_SHADOW - DROPPED);
        assertThat(report.missing()).isEqualTo(DROPPED);
    }

    @Test
    void theMomentIsStoredAndNeitherARepeatedConfigurationNorAStopMovesIt() {
        shadows.configure(MODEL, new ShadowService.ConfigureCommand(2, TrafficSlot.ALL), OPS);
        Deployment stopped = shadows.stop(MODEL, OPS);

        assertThat(stopped.slot(Slot.SHADOW)).contains(new TrafficSlot(Slot.SHADOW, 2, 0, SHADOW_SET));
        assertThat(registry.findDeployment(MODEL).orElseThrow().slot(Slot.SHADOW).orElseThrow().since())
                .isEqualTo(SHADOW_SET);
        ShadowReport report = shadows.report(MODEL, Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(report.from()).isEqualTo(SHADOW_SET);
        assertThat(report.paired()).isEqualTo(AFTER_SHADOW - DROPPED);
        assertThat(report.missing()).as("a stopped shadow expects nothing").isZero();
    }

    @Test
    void aShadowSetAgainAtAnotherShareCountsFromTheNewMoment() {
        Instant changed = clock.instant();
        shadows.configure(MODEL, new ShadowService.ConfigureCommand(2, 5_000), OPS);
        clock.set(changed.plus(Duration.ofMinutes(30)));

        ShadowReport report = shadows.report(MODEL, Optional.empty(), Optional.of(DEPLOYED), Optional.empty());

        assertThat(report.shadowSince()).isEqualTo(changed);
        assertThat(report.expectedMirrored()).isZero();
        assertThat(report.missing()).isZero();
        assertThat(report.paired()).as("pairs already made are still compared").isEqualTo(AFTER_SHADOW - DROPPED);
    }

    private static PredictionRecord prediction(String id, int version, Slot slot, Instant at, String context) {
        double score = (at.getEpochSecond() % 100) / 100.0;
        return new PredictionRecord(id, MODEL, version, slot, "ab12cd34", at, new float[] {1f}, score, score >= 0.5,
                context);
    }
}

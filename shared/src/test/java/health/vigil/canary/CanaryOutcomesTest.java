package health.vigil.canary;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.Deployment;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.StepAnalysis;
import health.vigil.port.Telemetry;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.routing.RoutedPatients;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller joins the step's predictions to their realised outcomes and judges calibration and AUROC: a canary
 * whose risks run high, with a score distribution, mean score and flag rate its policy tolerates, is rolled back on
 * {@code calibration_error}; the same canary without outcomes passes, with the outcome metrics reported as not tested.
 */
class CanaryOutcomesTest {
    private static final Instant START = Instant.parse("2026-12-01T08:00:00Z");
    private static final Duration BAKE = Duration.ofMinutes(5);
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));
    /** A policy that tolerates the shifted scores themselves: only the outcomes can tell. */
    private static final CanaryPolicy POLICY = new CanaryPolicy(0.01, 200, 0.5, 0.02, 5.0, null, null, null,
            null, null, null, 0.5);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final MutableClock clock = new MutableClock(START);
    private final AuditLog audit = new AuditLog(auditStore, clock);
    private final Map<String, Boolean> outcomes = new ConcurrentHashMap<>();

    private CanaryService service(CanaryService.OutcomeLookup lookup) {
        return new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, e -> { }, log, clock, v -> { },
                Telemetry.NONE, null, lookup);
    }

    @BeforeEach
    void stableVersionOneAndApprovedVersionTwo() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", START.minusSeconds(3600), null));
    }

    /** Patients whose outcome follows their true risk; a slot predicts logistic(logit(risk) + shift). */
    private void traffic(Slot slot, int version, int count, double shift, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Deployment deployment = store.findDeployment(READMISSION).orElseThrow();
        List<PredictionRecord> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double margin = -1.0 + random.nextGaussian();
            double risk = 1 / (1 + Math.exp(-margin));
            double score = 1 / (1 + Math.exp(-(margin + shift)));
            String id = UUID.randomUUID().toString();
            batch.add(new PredictionRecord(id, READMISSION, version, slot, slot == Slot.CANARY
                    ? RoutedPatients.onCanary(deployment) : RoutedPatients.onStable(deployment), START.plusMillis(i),
                    new float[] {1f}, score, score >= 0.5, null));
            outcomes.put(id, random.nextDouble() < risk);
        }
        log.append(batch);
    }

    private StepAnalysis firstStep(CanaryService canaries) {
        canaries.start(READMISSION, new CanaryService.StartCommand(2, List.of(2_500, 5_000, 10_000), BAKE, POLICY),
                OPS);
        traffic(Slot.CANARY, 2, 2_500, 0.7, 1);
        traffic(Slot.STABLE, 1, 7_500, 0, 2);
        clock.advance(BAKE.plusSeconds(1));
        canaries.tick();
        return store.findDeployment(READMISSION).orElseThrow().canary().analyses().get(0);
    }

    @Test
    void aCanaryWhoseRisksRunHighIsRolledBackOnCalibrationOnceOutcomesAreKnown() {
        StepAnalysis analysis = firstStep(service((model, records) -> {
            Map<String, Boolean> known = new java.util.HashMap<>();
            records.forEach(r -> known.put(r.predictionId(), outcomes.get(r.predictionId())));
            return known;
        }));

        assertThat(analysis.decision()).as(analysis.reason()).isEqualTo(StepAnalysis.FAIL);
        assertThat(analysis.metrics()).filteredOn(m -> m.failed()).extracting(m -> m.name())
                .containsExactly("calibration_error");
        assertThat(analysis.metrics()).filteredOn(m -> m.name().equals("auroc")).singleElement()
                .satisfies(m -> assertThat(m.failed()).isFalse());
    }

    @Test
    void withoutOutcomesTheSameCanaryPassesAndTheReasonSaysCalibrationWasNotTested() {
        StepAnalysis analysis = firstStep(service(CanaryService.OutcomeLookup.NONE));

        assertThat(analysis.decision()).isEqualTo(StepAnalysis.PASS);
        assertThat(analysis.reason()).contains("calibration_error and auroc (0 canary, 0 stable predictions with an"
                + " outcome");
    }

    /**
     * A step with a few patients' outcomes on one side gives that count as fewer than the model's minCellSize (here
     * 20, which the ramp keeps from its start), in the analysis, the ramp's reason and its audit record alike.
     */
    @Test
    void aFewOutcomesOnOneSideAreGivenAsFewerThanTheCellSizeInTheReasonAndItsAuditRecord() {
        // The first 3 canary and 40 stable predictions the controller joins have an outcome.
        int[] joined = new int[2];
        CanaryService canaries = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit, e -> { },
                log, clock, v -> { }, Telemetry.NONE, null, (model, records) -> {
                    Map<String, Boolean> known = new java.util.HashMap<>();
                    for (PredictionRecord r : records) {
                        int side = r.slot() == Slot.CANARY ? 0 : 1;
                        if (joined[side] < (side == 0 ? 3 : 40)) {
                            joined[side]++;
                            known.put(r.predictionId(), outcomes.get(r.predictionId()));
                        }
                    }
                    return known;
                }, model -> 20);

        StepAnalysis analysis = firstStep(canaries);

        assertThat(analysis.reason()).contains("calibration_error and auroc (fewer than 20 canary, 40 stable"
                + " predictions with an outcome").doesNotContain("(3 canary");
        Deployment after = store.findDeployment(READMISSION).orElseThrow();
        assertThat(after.canary().minCellSize()).isEqualTo(20);
        assertThat(after.canary().reason()).contains("(fewer than 20 canary, 40 stable predictions with an outcome");
        assertThat(auditStore.read("2026-12-01").stream().filter(r -> r.action().equals(CanaryService.ACTION))
                .map(r -> r.details().get("reason")).filter(r -> r.contains("with an outcome")).toList())
                .isNotEmpty().allSatisfy(r -> assertThat(r).contains("fewer than 20 canary, 40 stable")
                        .doesNotContain("(3 canary"));
    }
}

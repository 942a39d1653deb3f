package health.vigil.experiment;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.canary.CanaryService;
import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.VersionLifecycle;
import health.vigil.routing.RoutedPatients;
import health.vigil.routing.TrafficRouter;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.statistics.SampleSize;
import health.vigil.statistics.TwoProportionTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExperimentServiceTest {
    private static final Instant START = Instant.parse("2026-12-02T08:00:00Z");
    private static final Principal OPS = new Principal("ops-oncall", Set.of(Role.DEPLOYMENTS_OPERATE));
    private static final ExperimentPlan FLAG_PLAN = ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20, 0.05, null,
            null, null, 3_000);
    private static final ExperimentPlan AUROC_PLAN = ExperimentPlan.of(ExperimentMetric.AUROC, 0.70, 0.10, 0.3, 0.05,
            0.8, 5_000);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final InMemoryPredictionLog log = new InMemoryPredictionLog();
    private final MutableClock clock = new MutableClock(START);
    private final AuditLog audit = new AuditLog(auditStore, clock);
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> outcomes = new HashMap<>();
    private final ExperimentService experiments = new ExperimentService(store, audit, published::add, log,
            Optional.of((model, records) -> {
                Map<String, Boolean> found = new HashMap<>();
                records.forEach(r -> {
                    if (outcomes.containsKey(r.predictionId())) {
                        found.put(r.predictionId(), outcomes.get(r.predictionId()));
                    }
                });
                return found;
            }), clock, v -> {});

    /** A patient the running experiment's salted routing assigns to the treatment (bucket 0). */
    private String treated() {
        return RoutedPatients.onCanary(store.findDeployment(READMISSION).orElseThrow());
    }

    /** A patient the running experiment's salted routing assigns to control (bucket 9,999). */
    private String controlled() {
        return RoutedPatients.onStable(store.findDeployment(READMISSION).orElseThrow());
    }

    @BeforeEach
    void stableOneApprovedTwo() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.APPROVED));
        store.put(version(READMISSION, 3, Stage.GATES_PASSED));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", START.minusSeconds(3600), null));
    }

    private List<AuditRecord> experimentRecords() {
        return auditStore.read("2026-12-02").stream().filter(r -> r.action().equals(ExperimentService.ACTION)).toList();
    }

    @Test
    void theSampleSizeIsComputedFromThePowerCalculation() {
        ExperimentService.PowerResult power = experiments.power(
                ExperimentPlan.of(ExperimentMetric.POSITIVE_RATE, 0.10, 0.05, null, null, null, null));
        assertThat(power.control()).isEqualTo(686);
        assertThat(power.treatment()).isEqualTo(686);
        assertThat(power.unit()).isEqualTo("labelled predictions");
        assertThatThrownBy(() -> ExperimentPlan.of(ExperimentMetric.AUROC, 0.7, 0.05, null, null, null, null))
                .isInstanceOf(ValidationException.class).hasMessageContaining("prevalence");
        // Given where it shapes nothing, it is refused rather than kept and ignored.
        for (ExperimentMetric metric : List.of(ExperimentMetric.FLAG_RATE, ExperimentMetric.POSITIVE_RATE)) {
            assertThatThrownBy(() -> ExperimentPlan.of(metric, 0.2, 0.05, 0.12, null, null, null))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("\"prevalence\" is for auroc experiments only").hasMessageContaining(metric.wireName());
        }
    }

    @Test
    void startingSplitsTrafficAtTheDeclaredShareAuditsOnceAndAReplayChangesNothing() {
        Deployment d = experiments.start(READMISSION, new ExperimentService.StartCommand(2, 1, FLAG_PLAN), OPS);

        assertThat(d.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, 7_000),
                new TrafficSlot(Slot.CANARY, 2, 3_000));
        Experiment e = d.experiment();
        SampleSize.Plan expected = SampleSize.twoProportions(0.20, 0.05, 0.05, 0.8, 0.3);
        assertThat(e.plannedControl()).isEqualTo(expected.control());
        assertThat(e.plannedTreatment()).isEqualTo(expected.treatment());
        assertThat(e.running()).isTrue();
        assertThat(experimentRecords()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("started");
            assertThat(r.details()).containsEntry("primaryMetric", "flag_rate")
                    .containsEntry("plannedControl", Long.toString(expected.control()));
        });
        assertThat(published).singleElement().satisfies(ev -> {
            assertThat(ev.type()).isEqualTo(EventTypes.EXPERIMENT_STARTED);
            assertThat(ev.id()).isEqualTo(experimentRecords().get(0).id());
        });

        Deployment again = experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS);
        assertThat(again.revision()).isEqualTo(d.revision());
        assertThat(experimentRecords()).hasSize(1);
        assertThat(published).hasSize(1);
    }

    @Test
    void anExperimentNeedsAnApprovedTreatmentTheStableAsControlAndNoCanaryAlongside() {
        assertThatThrownBy(() -> experiments.start(READMISSION, new ExperimentService.StartCommand(3, null, FLAG_PLAN),
                OPS)).isInstanceOf(ConflictException.class).hasMessageContaining("only an approved");
        assertThatThrownBy(() -> experiments.start(READMISSION, new ExperimentService.StartCommand(2, 2, FLAG_PLAN),
                OPS)).isInstanceOf(ConflictException.class).hasMessageContaining("the control arm is the stable version");
        experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS);
        assertThatThrownBy(() -> experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, AUROC_PLAN),
                OPS)).isInstanceOf(ConflictException.class).hasMessageContaining("stop it");
        CanaryService canaries = new CanaryService(store, new VersionLifecycle(store, audit, clock), audit,
                published::add, log, clock, v -> {});
        assertThatThrownBy(() -> canaries.start(READMISSION, new CanaryService.StartCommand(2, null, null, null), OPS))
                .isInstanceOf(ConflictException.class).hasMessageContaining("experiment");
    }

    /**
     * Where the model's gate policy requires a canary, an experiment is no way round it: a treatment that has never
     * been stable would answer patients without a canary's ramp and analysis, so the start is refused, changes nothing
     * and is a refused record; a version that was stable before may still be the treatment.
     */
    @Test
    void whereThePolicyRequiresACanaryATreatmentThatHasNeverBeenStableIsRefused() {
        store.put(version(READMISSION, 4, Stage.RETIRED).withStage(new health.vigil.model.StageChange(Stage.APPROVED,
                Stage.PRODUCTION, "ops", "deployed", START.minusSeconds(7200))).withStage(
                new health.vigil.model.StageChange(Stage.PRODUCTION, Stage.RETIRED, "ops", "replaced by version 1",
                        START.minusSeconds(3600))));
        ExperimentService requiring = new ExperimentService(store, audit, published::add, log, Optional.empty(), clock,
                v -> { }, model -> 5, model -> true);
        Deployment before = store.findDeployment(READMISSION).orElseThrow();

        ConflictException refused = org.assertj.core.api.Assertions.catchThrowableOfType(() -> requiring.start(
                READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS), ConflictException.class);

        assertThat(refused).isNotNull();
        assertThat(refused.code()).isEqualTo(health.vigil.error.ErrorCode.CANARY_REQUIRED);
        assertThat(refused.getMessage()).contains("readmission:2 has never been the stable version",
                "requireCanary", "the experiment was not started", "vigil canary start readmission 2");
        assertThat(store.findDeployment(READMISSION)).contains(before);
        assertThat(published).isEmpty();
        assertThat(experimentRecords()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.details()).containsEntry("reason", "CANARY_REQUIRED").containsEntry("request", "start");
        });

        Deployment started = requiring.start(READMISSION, new ExperimentService.StartCommand(4, null, FLAG_PLAN), OPS);

        assertThat(started.runningExperiment()).map(Experiment::treatmentVersion).contains(4);
    }

    @Test
    void theShadowVersionIsNotAlsoTheTreatment() {
        Deployment current = store.findDeployment(READMISSION).orElseThrow();
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 10_000)), current.revision() + 1, "ops", START, current.etag()));

        assertThatThrownBy(() -> experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN),
                OPS)).isInstanceOf(ConflictException.class).hasMessageContaining("is the shadow version");
        assertThat(experimentRecords()).as("no experiment started; the attempt is on record as refused")
                .singleElement().extracting(AuditRecord::outcome).isEqualTo("refused");

        // A stopped shadow keeps its slot at weight 0, mirroring nothing: the version may then be the treatment.
        Deployment mirroring = store.findDeployment(READMISSION).orElseThrow();
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 0)), mirroring.revision() + 1, "ops", START, mirroring.etag()));
        assertThat(experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS)
                .experiment()).isNotNull();
    }

    @Test
    void patientsAreAssignedByPseudonymAndStayInTheirArm() {
        Deployment d = experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS);
        Pseudonymizer pseudonymizer = new Pseudonymizer("experiment tests use this fixed 32+ byte key"
                .getBytes(StandardCharsets.UTF_8));
        int treated = 0;
        for (int i = 0; i < 10_000; i++) {
            String pseudonym = pseudonymizer.pseudonym("MRN-" + i);
            TrafficSlot arm = TrafficRouter.route(d, pseudonym);
            // The patient's bucket under the experiment's own salt, drawn when it started, below the share.
            boolean expectedTreatment = TrafficRouter.bucket(d.experiment().bucketSalt(), pseudonym) < 3_000;
            assertThat(arm.version()).isEqualTo(expectedTreatment ? 2 : 1);
            assertThat(TrafficRouter.route(store.findDeployment(READMISSION).orElseThrow(), pseudonym))
                    .isEqualTo(arm);
            treated += arm.version() == 2 ? 1 : 0;
        }
        assertThat(treated).isBetween(2_850, 3_150);
    }

    @Test
    void stoppingReturnsAllTrafficToControlAndKeepsTheExperimentForItsReport() {
        experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS);
        clock.advance(Duration.ofHours(1));
        Deployment stopped = experiments.stop(READMISSION, OPS);
        experiments.stop(READMISSION, OPS);

        assertThat(stopped.slots()).containsExactly(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL));
        assertThat(stopped.experiment().running()).isFalse();
        assertThat(stopped.experiment().stoppedAt()).isEqualTo(START.plus(Duration.ofHours(1)));
        assertThat(experimentRecords()).extracting(AuditRecord::outcome).containsExactly("started", "stopped");
        assertThat(published).extracting(VigilEvent::type)
                .containsExactly(EventTypes.EXPERIMENT_STARTED, EventTypes.EXPERIMENT_STOPPED);
        assertThat(experiments.report(READMISSION).to()).isEqualTo(START.plus(Duration.ofHours(1)));
    }

    @Test
    void theReportComparesTheArmsAgainstFiguresComputedFromTheRecordsAndSaysWhenThePlanIsReached() {
        experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, AUROC_PLAN), OPS);
        long planned = store.findDeployment(READMISSION).orElseThrow().experiment().plannedControl();
        Random random = new Random(9);
        long[][] counts = new long[2][4]; // per arm: predictions, flagged, labelled, positives
        List<List<double[]>> labelled = List.of(new java.util.ArrayList<>(), new java.util.ArrayList<>());
        int written = 0;
        for (int i = 0; written < 2 * planned + 400; i++) {
            boolean treatment = i % 2 == 1;
            boolean positive = random.nextDouble() < 0.3;
            double signal = positive ? (treatment ? 1.2 : 0.75) : 0;
            double score = 1 / (1 + Math.exp(-(signal + random.nextGaussian() - 1)));
            String id = UUID.randomUUID().toString();
            log.append(List.of(new PredictionRecord(id, READMISSION, treatment ? 2 : 1,
                    treatment ? Slot.CANARY : Slot.STABLE, treatment ? treated() : controlled(), START.plusSeconds(i),
                    new float[] {1f}, score, score >= 0.4, null)));
            int arm = treatment ? 1 : 0;
            counts[arm][0]++;
            counts[arm][1] += score >= 0.4 ? 1 : 0;
            if (i % 10 != 0) { // a tenth never gets an outcome
                outcomes.put(id, positive);
                labelled.get(arm).add(new double[] {score, positive ? 1 : 0});
                counts[arm][2]++;
                counts[arm][3] += positive ? 1 : 0;
                written++;
            }
        }
        // A stable prediction from before the experiment and a shadow one are not part of it.
        log.append(List.of(new PredictionRecord("before", READMISSION, 1, Slot.STABLE, "ab12cd34",
                START.minusSeconds(5), new float[] {1f}, 0.9, true, null)));
        clock.set(START.plus(Duration.ofDays(2)));

        ExperimentReport report = experiments.report(READMISSION);

        assertThat(report.outcomes()).isTrue();
        assertThat(report.arms()).extracting(ExperimentReport.Arm::predictions).containsExactly(counts[0][0], counts[1][0]);
        assertThat(report.arms()).extracting(ExperimentReport.Arm::labelled).containsExactly(counts[0][2], counts[1][2]);
        TwoProportionTest.Result flags = TwoProportionTest.compare(counts[1][1], counts[1][0], counts[0][1],
                counts[0][0]);
        assertThat(report.flagRate().difference()).isCloseTo(flags.difference(), within(1e-12));
        assertThat(report.flagRate().pValue()).isCloseTo(flags.pValue(), within(1e-12));
        assertThat(report.positiveRate().control()).isCloseTo(counts[0][3] / (double) counts[0][2], within(1e-12));
        double controlAuroc = aurocOverAllPairs(labelled.get(0));
        double treatmentAuroc = aurocOverAllPairs(labelled.get(1));
        assertThat(report.auroc().control()).isCloseTo(controlAuroc, within(1e-12));
        assertThat(report.auroc().treatment()).isCloseTo(treatmentAuroc, within(1e-12));
        assertThat(report.auroc().difference()).isCloseTo(treatmentAuroc - controlAuroc, within(1e-12));
        assertThat(report.auroc().lower95()).isLessThan(report.auroc().difference());
        assertThat(report.auroc().treatment()).isCloseTo(report.arms().get(1).auroc(), within(1e-12));
        assertThat(report.primary().plannedSampleReached()).isEqualTo(counts[0][2] >= planned
                && counts[1][2] >= report.experiment().plannedTreatment());
        assertThat(report.primary().plannedSampleReached()).isTrue();
        assertThat(report.primary().note()).contains("planned sample is reached");
    }

    /**
     * A request that named the treatment's version, for a patient the experiment assigns to control, is no part of
     * the comparison: counted, a caller's choice of patients would be in the treatment arm, and a patient in both arms.
     */
    @Test
    void aRequestPinnedToAnArmsVersionIsNotCountedInThatArm() {
        experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, FLAG_PLAN), OPS);
        log.append(List.of(
                new PredictionRecord("routed-control", READMISSION, 1, Slot.STABLE, controlled(), START.plusSeconds(1),
                        new float[] {1f}, 0.9, true, null),
                new PredictionRecord("routed-treatment", READMISSION, 2, Slot.CANARY, treated(), START.plusSeconds(2),
                        new float[] {1f}, 0.1, false, null),
                // Pinned: the control patient scored by the treatment, the treatment patient by control.
                new PredictionRecord("pinned-treatment", READMISSION, 2, Slot.CANARY, controlled(),
                        START.plusSeconds(3), new float[] {1f}, 0.8, true, null),
                new PredictionRecord("pinned-control", READMISSION, 1, Slot.STABLE, treated(), START.plusSeconds(4),
                        new float[] {1f}, 0.2, false, null)));
        clock.advance(Duration.ofMinutes(5));

        ExperimentReport report = experiments.report(READMISSION);

        assertThat(report.arms()).extracting(ExperimentReport.Arm::predictions).containsExactly(1L, 1L);
    }

    @Test
    void withoutOutcomesTheReportSaysSoAndComparesFlagRatesOnly() {
        ExperimentService noOutcomes = new ExperimentService(store, audit, published::add, log, Optional.empty(), clock,
                v -> {});
        noOutcomes.start(READMISSION, new ExperimentService.StartCommand(2, null, AUROC_PLAN), OPS);
        log.append(List.of(new PredictionRecord("p1", READMISSION, 1, Slot.STABLE, controlled(), START.plusSeconds(1),
                new float[] {1f}, 0.9, true, null), new PredictionRecord("p2", READMISSION, 2, Slot.CANARY, treated(),
                START.plusSeconds(2), new float[] {1f}, 0.1, false, null)));
        clock.advance(Duration.ofMinutes(5));

        ExperimentReport report = noOutcomes.report(READMISSION);
        assertThat(report.outcomes()).isFalse();
        assertThat(report.flagRate()).isNotNull();
        assertThat(report.auroc()).isNull();
        assertThat(report.primary().plannedSampleReached()).isFalse();
        assertThat(report.primary().note()).contains("joins no outcomes");
    }

    /**
     * An arm's outcomes follow the monitoring report's small-cell rule (the default minCellSize, 11): control's 3
     * labelled predictions show neither count; treatment's 40 with 2 positive show the 40 but not the positives, nor
     * the positive rate or AUROC that give them back, and the comparisons of outcomes are withheld with them. Each
     * arm says why; the primary metric's sample gives control's as fewer than 11.
     */
    @Test
    void anArmsFewPatientsOutcomesAreWithheldWithWhatWouldGiveThemBack() {
        experiments.start(READMISSION, new ExperimentService.StartCommand(2, null, AUROC_PLAN), OPS);
        int[][] arms = {{3, 1}, {40, 2}}; // control, treatment: labelled, positive
        for (int arm = 0; arm < 2; arm++) {
            for (int i = 0; i < 60; i++) {
                String id = UUID.randomUUID().toString();
                boolean treatment = arm == 1;
                log.append(List.of(new PredictionRecord(id, READMISSION, treatment ? 2 : 1,
                        treatment ? Slot.CANARY : Slot.STABLE, treatment ? treated() : controlled(),
                        START.plusSeconds(2L * i + arm), new float[] {1f}, 0.01 * i, i % 2 == 0, null)));
                if (i < arms[arm][0]) {
                    outcomes.put(id, i < arms[arm][1]);
                }
            }
        }
        clock.advance(Duration.ofHours(1));

        JsonNode report = Json.readTree("report", Json.write(experiments.report(READMISSION)));

        JsonNode control = report.path("arms").get(0);
        JsonNode treatment = report.path("arms").get(1);
        assertThat(control.has("labelled")).isFalse();
        assertThat(control.has("positives")).isFalse();
        assertThat(control.path("positiveRate").isNull()).isTrue();
        assertThat(control.path("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        assertThat(treatment.path("labelled").asLong()).isEqualTo(40);
        assertThat(treatment.has("positives")).isFalse();
        assertThat(treatment.path("positiveRate").isNull()).isTrue();
        assertThat(treatment.path("auroc").isNull()).isTrue();
        assertThat(treatment.path("suppressed").asText())
                .isEqualTo("fewer than 11 positive or fewer than 11 negative outcomes");
        assertThat(report.path("positiveRate").isNull()).isTrue();
        assertThat(report.path("auroc").isNull()).isTrue();
        // Predictions and flags are the model's own answers, not outcomes: they stay.
        assertThat(control.path("predictions").asLong()).isEqualTo(60);
        assertThat(report.path("flagRate").isObject()).isTrue();
        assertThat(report.path("primary").has("controlSample")).isFalse();
        assertThat(report.path("primary").path("treatmentSample").asLong()).isEqualTo(40);
        assertThat(report.path("primary").path("note").asText()).contains("(fewer than 11 of ")
                .contains(", 40 of ").doesNotContain("(3 of");
    }

    private static double aurocOverAllPairs(List<double[]> rows) {
        double wins = 0;
        long pairs = 0;
        for (double[] p : rows) {
            if (p[1] != 1) {
                continue;
            }
            for (double[] n : rows) {
                if (n[1] == 0) {
                    wins += p[0] > n[0] ? 1 : p[0] == n[0] ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        return wins / pairs;
    }
}

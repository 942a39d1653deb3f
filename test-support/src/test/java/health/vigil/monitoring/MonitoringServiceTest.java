package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.error.ConflictException;
import health.vigil.error.ValidationException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.canary.CanaryService;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.Telemetry;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ForwardingArtifactStore;
import health.vigil.port.WorkQueue;
import health.vigil.port.PredictionLog;
import health.vigil.model.SegmentColumns;
import health.vigil.features.FeaturePipelines;
import java.util.Optional;
import health.vigil.retraining.RetrainService;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.testing.samples.PatientRows;
import health.vigil.model.ModelVersion;
import health.vigil.testing.batch.SetUpBatchJob;
import health.vigil.testing.governance.SetUpApproval;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduled monitoring check on the wired local platform (SQLite, files, the audit log, the real ONNX model):
 * predictions scored into hourly windows, outcomes sent for some of them, and the check run by the timer's entry
 * point. Each decision of the policy is shown once, and a second run of a window writes nothing.
 */
class MonitoringServiceTest {
    /** The default policy showing every segment count, for the tests of the breakdown itself (see SmallCellsTest). */
    private static final MonitoringPolicy EVERY_COUNT = everyCount(MonitoringPolicy.DEFAULTS);

    private static MonitoringPolicy everyCount(MonitoringPolicy p) {
        return new MonitoringPolicy(p.window(), p.drift(), p.consecutiveWindows(), p.minLabelled(),
                p.minLabelledPerClass(), p.minAuroc(), p.maxBrier(), p.minExpectedAuroc(), 0);
    }
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

    @TempDir
    Path home;
    private final MutableClock clock = new MutableClock(START);
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    /** Set to make the next publication fail, as an unavailable Event Grid topic does. */
    private volatile boolean topicDown;
    /** Set to make the next publication of this event type fail. */
    private volatile String topicDownFor;
    /** The partitions of batch jobs, run by the test; a one-hour window is never fanned out, so nothing else comes. */
    private final Queue<String> batchPartitions = new ConcurrentLinkedQueue<>();
    private VigilPlatform platform;
    private ModelName model;

    @AfterEach
    void close() {
        if (platform != null) {
            platform.close();
        }
    }

    private void start(MonitoringPolicy policy) {
        start(policy, Telemetry.NONE);
    }

    private void start(MonitoringPolicy policy, Telemetry telemetry) {
        start(policy, telemetry, VigilConfig.local(home));
    }

    private void start(MonitoringPolicy policy, Telemetry telemetry, VigilConfig config) {
        platform = VigilPlatform.builder(config).eventPublisher(this::publish).clock(clock)
                .monitoringPolicies(m -> policy).telemetry(telemetry).workQueue((queue, id, message) -> {
                    assertThat(queue).isEqualTo(WorkQueue.BATCH_PARTITIONS);
                    batchPartitions.add(message);
                }).build();
        byte[] zip = SampleModels.readmissionLogistic().zip();
        platform.artifacts().put(ArtifactStore.MODELS, "readmission.zip", new ByteArrayInputStream(zip), false);
        model = platform.registration().register(new BlobCreated("upload-1", ArtifactStore.MODELS, "readmission.zip",
                null, zip.length, null)).version().modelName();
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
    }

    @Test
    void aWindowLikeTrainingIsOkAndASecondRunOfItWritesNothing() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(800, 7), r -> r, START.plusSeconds(600));

        clock.set(START.plus(Duration.ofMinutes(65)));
        List<MonitoringReport> first = platform.monitoring().checkAll().reports();
        int auditRecords = auditRecords().size();
        List<MonitoringReport> again = platform.monitoring().checkAll().reports();

        assertThat(first).singleElement().satisfies(r -> {
            assertThat(r.severity()).as(r.reasons().toString()).isEqualTo(MonitoringReport.Severity.OK);
            assertThat(r.from()).isEqualTo(START);
            assertThat(r.to()).isEqualTo(START.plus(Duration.ofHours(1)));
            assertThat(r.predictions()).isEqualTo(800);
            assertThat(r.drift().estimate().cases()).isEqualTo(800);
            assertThat(r.labelledFraction()).isZero();
            assertThat(r.estimateError()).isNull();
        });
        assertThat(again).isEqualTo(first);
        assertThat(auditRecords()).hasSize(auditRecords);
        assertThat(auditRecords().stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION)))
                .singleElement().satisfies(a -> {
                    assertThat(a.outcome()).isEqualTo("ok");
                    assertThat(a.details()).containsEntry("reportId", first.get(0).id()).containsEntry("predictions", "800");
                });
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.DRIFT_DETECTED,
                EventTypes.RETRAIN_REQUESTED);
        assertThat(platform.monitoring().reports().list(model.value(), START, START.plusSeconds(1))).isEqualTo(first);
    }

    @Test
    void checksOfOneWindowRunAtOnceRecordItAndReportItsTelemetryOnce() throws Exception {
        List<String> checked = new CopyOnWriteArrayList<>();
        start(MonitoringPolicy.DEFAULTS, new Telemetry() {
            @Override
            public void driftChecked(ModelVersion version, String outcome) {
                checked.add(version + " " + outcome);
            }
        });
        // Several instances' timers firing together, window after window: each run finds the window unchecked and
        // checks it; one of them records it. Which run gets there first is up to the scheduler, so the race is run
        // over eight windows.
        int windows = 8;
        int runs = 6;
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        try {
            for (int w = 0; w < windows; w++) {
                Instant hour = START.plus(Duration.ofHours(w));
                score(SampleModels.readmissionCohort(200, 20 + w), MonitoringServiceTest::olderAndSicker,
                        hour.plusSeconds(600));
                clock.set(hour.plus(Duration.ofMinutes(65)));
                CyclicBarrier together = new CyclicBarrier(runs);
                List<Future<List<MonitoringReport>>> done = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    done.add(pool.submit(() -> {
                        together.await();
                        return platform.monitoring().checkAll().reports();
                    }));
                }
                for (Future<List<MonitoringReport>> f : done) {
                    assertThat(f.get(120, TimeUnit.SECONDS)).last()
                            .satisfies(r -> assertThat(r.from()).isEqualTo(hour));
                }
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.CHECK_ACTION))
                .hasSize(windows);
        assertThat(checked).hasSize(windows).allMatch(c -> c.equals(model.value() + ":1 drifted"));
    }

    @Test
    void anOlderSickerPopulationIsDriftDetectedOnceAndAsksForRetrainingOnce() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(800, 8), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);
        List<VigilEvent> afterFirst = List.copyOf(published);
        platform.monitoring().checkAll();
        clock.set(START.plus(Duration.ofMinutes(70)));
        platform.monitoring().checkAll();

        assertThat(report.severity()).isEqualTo(MonitoringReport.Severity.ALERT);
        assertThat(report.drift().features()).filteredOn(f -> f.status() == DriftReport.Status.DRIFTED)
                .extracting(DriftReport.FeatureDrift::name).contains("age", "hba1c");
        assertThat(report.reasons().get(0)).startsWith("drift in ").contains("age");
        AuditRecord check = auditRecords().stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION))
                .findFirst().orElseThrow();
        VigilEvent drift = afterFirst.stream().filter(e -> e.type().equals(EventTypes.DRIFT_DETECTED)).findFirst()
                .orElseThrow();
        assertThat(drift.id()).isEqualTo(check.id());
        assertThat(drift.data()).containsEntry("reportId", report.id()).containsEntry("severity", "ALERT");
        assertThat(drift.subject()).isEqualTo("/models/" + model.value() + "/versions/1");
        // Every later run sends nothing again and writes no audit record.
        assertThat(published).hasSize(afterFirst.size());
        AuditRecord retrain = auditRecords().stream().filter(a -> a.action().equals(MonitoringService.RETRAIN_ACTION))
                .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(),
                        list -> { assertThat(list).hasSize(1); return list.get(0); }));
        assertThat(retrain.details()).containsEntry("reportId", report.id()).containsEntry("parentVersion", "1");
        assertThat(afterFirst).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).singleElement()
                .satisfies(e -> assertThat(e.id()).isEqualTo(retrain.id()));
        String stored = Json.write(report);
        assertThat(stored).doesNotContain("patient-");
        // The same window checked again days later (on request) answers the stored report and decides nothing new.
        int records = auditRecords().size();
        clock.set(START.plus(Duration.ofDays(3)));
        assertThat(platform.monitoring().check(model, START, START.plus(Duration.ofHours(1))).reports()).containsExactly(report);
        assertThat(auditRecords()).hasSize(records);
        assertThat(published.stream().map(VigilEvent::id).distinct()).hasSize(afterFirst.size());
    }

    private void publish(VigilEvent event) {
        if (topicDown || event.type().equals(topicDownFor)) {
            topicDown = false;
            topicDownFor = null;
            throw new health.vigil.error.StoreException("the event topic is unavailable", null);
        }
        published.add(event);
    }

    /**
     * The drift-detected alert counts the drift events published; an operator who runs the check of a window again
     * (to read it, or twice at 3 a.m.) must not page the team again. A window's events go out once; only a run that
     * found them unsent (the topic was down after the report was stored) sends them.
     */
    @Test
    void aDriftedWindowCheckedAgainSendsNoEventUnlessItsEventsWereNeverSent() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(800, 8), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        clock.set(START.plus(Duration.ofMinutes(65)));
        Instant to = START.plus(Duration.ofHours(1));
        published.clear();

        topicDown = true;
        assertThatThrownBy(() -> platform.monitoring().checkAll())
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(published).isEmpty();
        platform.monitoring().check(model, START, to, Duration.ZERO, "operator");
        List<VigilEvent> sent = List.copyOf(published);
        platform.monitoring().check(model, START, to, Duration.ZERO, "operator");
        platform.monitoring().checkAll();

        assertThat(sent).extracting(VigilEvent::type).contains(EventTypes.DRIFT_DETECTED,
                EventTypes.RETRAIN_REQUESTED);
        assertThat(published).containsExactlyElementsOf(sent);
    }

    @Test
    void aRetrainingRequestIsTakenOnlyForTheReportTheCheckAskedItFor() {
        start(MonitoringPolicy.DEFAULTS);
        // A window like training asks for nothing; the first drift alert asks; the next alert of the same day is
        // debounced (the policy asks once per interval), so it asks for nothing either.
        List<MonitoringReport> hours = new ArrayList<>();
        for (int hour = 0; hour < 3; hour++) {
            score(SampleModels.readmissionCohort(800, 7 + hour), hour == 0 ? r -> r : MonitoringServiceTest::olderAndSicker,
                    START.plus(Duration.ofMinutes(60L * hour + 10)));
            clock.set(START.plus(Duration.ofMinutes(60L * hour + 65)));
            hours.add(platform.monitoring().checkAll().reports().get(0));
        }
        MonitoringReport quiet = hours.get(0);
        MonitoringReport asked = hours.get(1);
        MonitoringReport debounced = hours.get(2);

        assertThat(List.of(asked.severity(), debounced.severity())).containsOnly(MonitoringReport.Severity.ALERT);
        assertThat(platform.monitoring().retrainRequestOf(asked.id())).hasValueSatisfying(r -> {
            assertThat(r.action()).isEqualTo(MonitoringService.RETRAIN_ACTION);
            assertThat(r.details()).containsEntry("reportId", asked.id());
        });
        assertThat(platform.monitoring().retrainRequestOf(quiet.id())).isEmpty();
        assertThat(platform.monitoring().retrainRequestOf(debounced.id())).isEmpty();
        assertThat(platform.monitoring().retrainRequestOf(model.value() + "/v1/stable/no-such-window")).isEmpty();

        // Retraining takes the request the check made and refuses one citing either report that asked for nothing,
        // writing nothing (this platform has no training library: a request it takes is recorded as deferred).
        int records = auditRecords().size();
        for (MonitoringReport report : List.of(quiet, debounced)) {
            assertThatThrownBy(() -> platform.retraining().handle(new RetrainService.Request("forged-" + report.id(),
                    model, 1, report.id()))).as(report.id())
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(409))
                    .hasMessageStartingWith("the monitoring report " + report.id() + " did not ask for retraining");
        }
        assertThat(auditRecords()).hasSize(records);
        VigilEvent request = published.stream().filter(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED))
                .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(),
                        list -> { assertThat(list).hasSize(1); return list.get(0); }));
        assertThat(platform.retraining().handle(new RetrainService.Request(request.id(), model, 1,
                (String) request.data().get("reportId"))).outcome()).isEqualTo("deferred");
    }

    @Test
    void oneDriftedWindowIsAWarningAndTheSecondInARowAnAlertWhenThePolicyAsksForTwo() {
        start(new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS, 2, 50, 10, 0.6, 0.25, 0.6));
        score(SampleModels.readmissionCohort(400, 9), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        score(SampleModels.readmissionCohort(400, 10), MonitoringServiceTest::olderAndSicker,
                START.plus(Duration.ofMinutes(70)));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport first = platform.monitoring().checkAll().reports().get(0);
        clock.set(START.plus(Duration.ofMinutes(125)));
        MonitoringReport second = platform.monitoring().checkAll().reports().get(0);

        assertThat(first.severity()).isEqualTo(MonitoringReport.Severity.WARNING);
        assertThat(first.driftedWindows()).isEqualTo(1);
        assertThat(second.severity()).isEqualTo(MonitoringReport.Severity.ALERT);
        assertThat(second.driftedWindows()).isEqualTo(2);
        // Drift.Detected for both windows (drift was found in each); retraining only once the alert is raised.
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED)).hasSize(2);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).singleElement()
                .satisfies(e -> assertThat(e.data()).containsEntry("reportId", second.id()));
    }

    @Test
    void outcomesThatTheScoresNoLongerRankAreDegradedPerformanceBesideTheLabelFreeEstimate() {
        start(MonitoringPolicy.DEFAULTS);
        SyntheticCohort cohort = SampleModels.readmissionCohort(600, 11);
        List<ScoredRow> scored = score(cohort, r -> r, START.plusSeconds(600));
        // The realised outcomes run against the scores: the highest risks did not come back, the lowest did.
        List<Map<String, Object>> outcomes = new ArrayList<>();
        double median = scored.stream().mapToDouble(ScoredRow::score).sorted().toArray()[scored.size() / 2];
        for (int i = 0; i < 300; i++) {
            outcomes.add(Map.of("predictionId", scored.get(i).predictionId(), "outcome", scored.get(i).score() < median ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);

        assertThat(report.performance().labelled()).isEqualTo(300);
        assertThat(report.labelledFraction()).isEqualTo(0.5);
        assertThat(report.performance().auroc()).isLessThan(0.1);
        assertThat(report.performance().aurocUpper()).isLessThan(0.6);
        assertThat(report.drift().estimate().expectedAuroc()).isGreaterThan(0.6);
        // The estimator's track record in this window: how far its expected AUROC was from the realised one.
        assertThat(report.estimateError()).isEqualTo(report.drift().estimate().expectedAuroc()
                - report.performance().auroc());
        assertThat(report.performanceDegraded()).isTrue();
        assertThat(report.severity()).isEqualTo(MonitoringReport.Severity.ALERT);
        // The verdict comes with its interval and sample, so whoever reads the reason can tell a fall from noise.
        LabelledPerformance p = report.performance();
        assertThat(report.reasons()).contains(String.format(java.util.Locale.ROOT, "AUROC %.3f (95%% CI %.3f to %.3f)"
                + " on %d outcomes, %d positive, is below 0.600", p.auroc(), p.aurocLower(), p.aurocUpper(), 300,
                p.positives()), String.format(java.util.Locale.ROOT, "Brier score %.3f (95%% CI %.3f to %.3f) on 300"
                + " outcomes is above 0.250", p.brier(), p.brierLower(), p.brierUpper()));
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.PERFORMANCE_DEGRADED)).singleElement()
                .satisfies(e -> assertThat(e.data()).containsEntry("reportId", report.id()));
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).singleElement()
                .satisfies(e -> assertThat(e.data().get("reason")).isEqualTo("performance below the monitoring policy"));
    }

    @Test
    void aSinglePositiveOutcomeLeavesTheRealisedAurocUnjudgedAndRaisesNothing() {
        start(MonitoringPolicy.DEFAULTS);
        List<ScoredRow> scored = score(SampleModels.readmissionCohort(600, 11), r -> r, START.plusSeconds(600));
        // Sixty outcomes, more than the policy's minimum, but one positive only: the patient the model ranked lowest,
        // so the realised AUROC is far below the floor, and meaningless.
        List<ScoredRow> labelled = scored.subList(0, 60).stream()
                .sorted(java.util.Comparator.comparingDouble(ScoredRow::score)).toList();
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < labelled.size(); i++) {
            outcomes.add(Map.of("predictionId", labelled.get(i).predictionId(), "outcome", i == 0 ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);

        assertThat(report.performance().labelled()).isEqualTo(60);
        // One positive is a small cell: the report withholds it, and the statistics read from it, reasons included.
        assertThat(report.performance().positives()).isNull();
        assertThat(report.performance().auroc()).isNull();
        assertThat(report.performance().suppressed())
                .isEqualTo("fewer than 11 positive or fewer than 11 negative outcomes");
        assertThat(report.performanceDegraded()).as(report.reasons().toString()).isFalse();
        assertThat(report.severity()).isEqualTo(MonitoringReport.Severity.OK);
        assertThat(report.reasons()).contains("the realised AUROC is not judged yet: 60 outcomes (fewer than 11"
                + " positive or fewer than 11 negative outcomes); at least 10 of each class are needed");
        assertThat(String.join("; ", report.reasons())).doesNotContain(", 1 positive", "59 negative");
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.PERFORMANCE_DEGRADED,
                EventTypes.RETRAIN_REQUESTED);
        assertThat(platform.monitoring().retrainRequestOf(report.id())).isEmpty();
    }

    @Test
    void anAurocOnTooFewOfAClassIsNoEstimateErrorNoGaugeAndNoSegmentsNumber() {
        List<String> gauges = new CopyOnWriteArrayList<>();
        start(EVERY_COUNT, new Telemetry() {
            @Override
            public void performance(ModelVersion version, String metric, String source, double value) {
                gauges.add(metric + " from " + source);
            }
        });
        String csv = "age,admission_type,readmitted\n" + "71,emergency,1\n45,elective,0\n".repeat(10);
        platform.datasets().register(new health.vigil.gates.EvaluationDataset.Declaration(model.value(), "eval.csv",
                "readmitted", "age", null, List.of("admission_type")), csv.getBytes(),
                new Principal("data-steward", java.util.Set.of(health.vigil.security.Role.DATASETS_REGISTER)));
        SyntheticCohort cohort = SampleModels.readmissionCohort(600, 11);
        List<ScoredRow> scored = score(cohort, r -> r, START.plusSeconds(600));
        // 400 outcomes, three of them positive, all three emergency admissions: more outcomes than the policy's
        // minimum overall and among the emergencies, but three positives where it judges an AUROC on ten.
        List<Map<String, Object>> outcomes = new ArrayList<>();
        int positives = 0;
        for (int i = 0; i < 400; i++) {
            boolean emergency = "emergency".equals(cohort.records().get(i).get("admission_type"));
            boolean positive = emergency && positives < 3;
            positives += positive ? 1 : 0;
            outcomes.add(Map.of("predictionId", scored.get(i).predictionId(), "outcome", positive ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);

        assertThat(report.performance().labelled()).isEqualTo(400);
        assertThat(report.performance().positives()).isEqualTo(3);
        assertThat(report.performance().auroc()).isNotNull();
        assertThat(report.drift().estimate().expectedAuroc()).isNotNull();
        assertThat(report.estimateError()).isNull();
        assertThat(gauges).contains("brier from labels", "calibration_error from labels", "auroc from label_free")
                .doesNotContain("auroc from labels");
        assertThat(report.segments()).filteredOn(p -> p.column().equals("admission_type")
                && p.value().equals("emergency")).singleElement().satisfies(p -> {
                    assertThat(p.labelled()).isGreaterThanOrEqualTo(MonitoringPolicy.DEFAULTS.minLabelled());
                    assertThat(p.positives()).isEqualTo(3);
                    assertThat(p.status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
                    assertThat(p.performance()).isNull();
                });
    }

    @Test
    void realisedPerformanceIsBrokenDownByTheSegmentsOfTheGatesAndASmallSegmentGivesNoNumber() {
        start(EVERY_COUNT);
        // The steward's evaluation dataset names the segments: age (banded by decade), admission type, and a payer
        // column the model never sees.
        // Ten rows of each outcome, the fewest a dataset may have.
        String csv = "age,admission_type,payer,readmitted\n" + "71,emergency,public,1\n45,elective,private,0\n".repeat(10);
        platform.datasets().register(new health.vigil.gates.EvaluationDataset.Declaration(model.value(), "eval.csv",
                "readmitted", "age", null, List.of("admission_type", "payer")), csv.getBytes(),
                new Principal("data-steward", java.util.Set.of(health.vigil.security.Role.DATASETS_REGISTER)));
        SyntheticCohort cohort = SampleModels.readmissionCohort(600, 11);
        List<ScoredRow> scored = score(cohort, r -> r, START.plusSeconds(600));
        List<Map<String, Object>> outcomes = new ArrayList<>();
        double median = scored.stream().mapToDouble(ScoredRow::score).sorted().toArray()[scored.size() / 2];
        Map<String, long[]> expected = new java.util.TreeMap<>();
        for (int i = 0; i < 400; i++) {
            boolean positive = scored.get(i).score() < median;
            outcomes.add(Map.of("predictionId", scored.get(i).predictionId(), "outcome", positive ? 1 : 0));
            int age = ((Number) cohort.records().get(i).get("age")).intValue();
            String band = (age / 10 * 10) + "-" + (age / 10 * 10 + 9);
            long[] c = expected.computeIfAbsent(band, b -> new long[2]);
            c[0]++;
            c[1] += positive ? 1 : 0;
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);

        List<SegmentPerformance> byAge = report.segments().stream().filter(p -> p.column().equals("age")).toList();
        assertThat(byAge).extracting(SegmentPerformance::value).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (SegmentPerformance band : byAge) {
            long[] c = expected.get(band.value());
            assertThat(band.labelled()).as(band.value()).isEqualTo(c[0]);
            assertThat(band.positives()).as(band.value()).isEqualTo(c[1]);
            long perClass = MonitoringPolicy.DEFAULTS.minLabelledPerClass();
            if (c[0] < MonitoringPolicy.DEFAULTS.minLabelled() || c[1] < perClass || c[0] - c[1] < perClass) {
                assertThat(band.status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
                assertThat(band.performance()).isNull();
            } else {
                assertThat(band.status()).isEqualTo(SegmentPerformance.Status.MEASURED);
                // The outcomes run against the scores in every band, as overall.
                assertThat(band.performance().auroc()).isLessThan(0.3);
                assertThat(band.performance().aurocLower()).isLessThanOrEqualTo(band.performance().auroc());
                assertThat(band.performance().labelled()).isEqualTo(c[0]);
            }
        }
        assertThat(byAge).extracting(SegmentPerformance::status).contains(SegmentPerformance.Status.MEASURED,
                SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(report.segments()).filteredOn(p -> p.column().equals("admission_type"))
                .extracting(SegmentPerformance::value).containsExactlyInAnyOrder("emergency", "urgent", "elective");
        assertThat(report.segments().stream().filter(p -> p.column().equals("admission_type"))
                .mapToLong(SegmentPerformance::labelled).sum()).isEqualTo(400);
        assertThat(report.reasons()).anySatisfy(r -> assertThat(r).contains("'payer' is not a logged model input"));
        // Stored and served with its segments.
        assertThat(platform.monitoring().reports().find(report.id()).orElseThrow().segments())
                .isEqualTo(report.segments());
    }

    @Test
    void aNightlyFilesPredictionsGetABatchReportWithTheirRealisedPerformanceAndTheStableReportIsUnchanged() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(400, 7), r -> r, START.plusSeconds(600));
        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport liveOnly = platform.monitoring().check(model, START, START.plus(Duration.ofHours(1)))
                .reports().get(0);
        // The next hour: the same live traffic, and a nightly file of another population scored in a batch job,
        // whose outcomes run against its scores (the highest risks did not come back, the lowest did).
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(400, 7), r -> r, hour.plusSeconds(600));
        SyntheticCohort nightly = SampleModels.readmissionCohort(500, 31);
        List<Map<String, Object>> records = nightly.records().stream()
                .map(r -> olderAndSicker(new LinkedHashMap<>(r))).toList();
        clock.set(hour.plusSeconds(1200));
        List<JsonNode> results = SetUpBatchJob.score(platform, model, "nightly.csv", records,
                nightly.schema().names(), batchPartitions);
        double median = results.stream().mapToDouble(r -> r.get("score").asDouble()).sorted().toArray()[250];
        List<Map<String, Object>> outcomes = new ArrayList<>();
        double squaredErrors = 0;
        long positives = 0;
        for (int i = 0; i < 300; i++) {
            double score = results.get(i).get("score").asDouble();
            int outcome = score < median ? 1 : 0;
            outcomes.add(Map.of("predictionId", results.get(i).get("predictionId").asText(), "outcome", outcome));
            squaredErrors += (score - outcome) * (score - outcome);
            positives += outcome;
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));
        int recordsBefore = auditRecords().size();

        clock.set(hour.plus(Duration.ofMinutes(65)));
        List<MonitoringReport> checked = platform.monitoring().checkAll().reports();
        List<VigilEvent> afterFirst = List.copyOf(published);
        int recordsAfter = auditRecords().size();
        List<MonitoringReport> again = platform.monitoring().checkAll().reports();

        assertThat(checked).extracting(MonitoringReport::slot).containsExactly("stable", "batch");
        MonitoringReport stable = checked.get(0);
        MonitoringReport batch = checked.get(1);
        // The stable slot is judged on its live predictions alone, as in the hour without a file.
        assertThat(stable.predictions()).isEqualTo(liveOnly.predictions()).isEqualTo(400);
        assertThat(stable.drift()).isEqualTo(liveOnly.drift());
        assertThat(stable.performance().labelled()).isZero();
        assertThat(stable.severity()).isEqualTo(liveOnly.severity()).isEqualTo(MonitoringReport.Severity.OK);
        // The file's report: its own drift, estimate, realised performance and segments.
        assertThat(batch.id()).isEqualTo(model.value() + "/v1/batch/2026-12-01T110000Z--2026-12-01T120000Z");
        assertThat(batch.version()).isEqualTo(1);
        assertThat(batch.predictions()).isEqualTo(500);
        assertThat(batch.drift().features()).filteredOn(f -> f.status() == DriftReport.Status.DRIFTED)
                .extracting(DriftReport.FeatureDrift::name).contains("age", "hba1c");
        assertThat(batch.drift().estimate().cases()).isEqualTo(500);
        assertThat(batch.performance().labelled()).isEqualTo(300);
        assertThat(batch.performance().positives()).isEqualTo(positives);
        assertThat(batch.performance().brier()).isCloseTo(squaredErrors / 300, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(batch.performance().auroc()).isLessThan(0.1);
        assertThat(batch.labelledFraction()).isEqualTo(0.6);
        assertThat(batch.performanceDegraded()).isTrue();
        assertThat(batch.severity()).isEqualTo(MonitoringReport.Severity.ALERT);
        assertThat(batch.segments()).isEmpty(); // this model has no evaluation dataset naming segments
        // Stored, audited once and announced once like a slot's report; retraining is asked for by stable alone.
        assertThat(platform.monitoring().reports().find(batch.id())).contains(batch);
        assertThat(recordsAfter - recordsBefore).isEqualTo(2);
        AuditRecord check = auditRecords().stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION)
                && batch.id().equals(a.details().get("reportId"))).findFirst().orElseThrow();
        assertThat(check.details()).containsEntry("slot", "batch").containsEntry("predictions", "500")
                .containsEntry("labelled", "300");
        assertThat(afterFirst).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED)).singleElement()
                .satisfies(e -> {
                    assertThat(e.id()).isEqualTo(check.id());
                    assertThat(e.data()).containsEntry("slot", "batch").containsEntry("reportId", batch.id());
                });
        assertThat(afterFirst).filteredOn(e -> e.type().equals(EventTypes.PERFORMANCE_DEGRADED)).singleElement()
                .satisfies(e -> assertThat(e.data()).containsEntry("slot", "batch"));
        assertThat(afterFirst).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_REQUESTED);
        assertThat(platform.monitoring().retrainRequestOf(batch.id())).isEmpty();
        // A replayed check answers the stored reports, writes nothing and sends the same event ids.
        assertThat(again).isEqualTo(checked);
        assertThat(auditRecords()).hasSize(recordsAfter);
        assertThat(published.stream().map(VigilEvent::id).distinct())
                .containsExactlyInAnyOrderElementsOf(afterFirst.stream().map(VigilEvent::id).distinct().toList());
    }

    @Test
    void aWindowWithoutBatchPredictionsHasNoBatchReportAndNoAuditRecordForIt() {
        start(MonitoringPolicy.DEFAULTS);
        // A file scored in the first hour; the second hour has live traffic only.
        SyntheticCohort nightly = SampleModels.readmissionCohort(100, 32);
        clock.set(START.plusSeconds(600));
        SetUpBatchJob.score(platform, model, "nightly.csv", nightly.records(), nightly.schema().names(),
                batchPartitions);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 33), r -> r, hour.plusSeconds(600));
        clock.set(hour.plus(Duration.ofMinutes(65)));
        int records = auditRecords().size();

        MonitoringRun run = platform.monitoring().check(model, hour, hour.plus(Duration.ofHours(1)));
        platform.monitoring().check(model, hour, hour.plus(Duration.ofHours(1)));

        assertThat(run.pending()).isEmpty();
        assertThat(run.reports()).singleElement().satisfies(r -> {
            assertThat(r.slot()).isEqualTo("stable");
            assertThat(r.predictions()).isEqualTo(300);
        });
        assertThat(auditRecords()).hasSize(records + 1);
        assertThat(platform.monitoring().reports().list(model.value(), hour, hour.plusSeconds(1)))
                .extracting(MonitoringReport::slot).containsExactly("stable");
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, model.value() + "/v1/batch/")).isEmpty();
        // The hour of the file has its batch report (100 predictions, no live ones beside it).
        assertThat(platform.monitoring().check(model, START, hour).reports())
                .extracting(MonitoringReport::slot, MonitoringReport::predictions)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("stable", 0L),
                        org.assertj.core.groups.Tuple.tuple("batch", 100L));
    }

    @Test
    void aCanaryRolledBackBeforeTheCheckHasItsPredictionsOfTheWindowReported() {
        Principal operator = startWithACanaryOfVersion2At(START.plusSeconds(300));
        List<ScoredRow> scored = score(SampleModels.readmissionCohort(600, 7), r -> r, START.plusSeconds(600));
        long onCanary = scored.stream().filter(r -> r.slot() == Slot.CANARY).count();
        clock.set(START.plusSeconds(1200));
        platform.canaries().abort(model, operator);

        clock.set(START.plus(Duration.ofMinutes(65)));
        List<MonitoringReport> reports = platform.monitoring().checkAll().reports();
        int records = auditRecords().size();
        List<MonitoringReport> again = platform.monitoring().checkAll().reports();

        assertThat(onCanary).isPositive().isLessThan(600);
        assertThat(reports).extracting(MonitoringReport::id, MonitoringReport::predictions).containsExactly(
                org.assertj.core.groups.Tuple.tuple(model.value() + "/v1/stable/2026-12-01T100000Z--2026-12-01T110000Z",
                        600 - onCanary),
                org.assertj.core.groups.Tuple.tuple(model.value() + "/v2/canary/2026-12-01T100000Z--2026-12-01T110000Z",
                        onCanary));
        assertThat(again).isEqualTo(reports);
        assertThat(auditRecords()).hasSize(records);
    }

    @Test
    void aPromotedCanarysPredictionsBeforeThePromotionAndTheReplacedStableVersionsAreReported() {
        Principal operator = startWithACanaryOfVersion2At(START.plusSeconds(300));
        List<ScoredRow> ramped = score(SampleModels.readmissionCohort(400, 7), r -> r, START.plusSeconds(600));
        clock.set(START.plusSeconds(1200));
        platform.canaries().promote(model, operator);
        score(SampleModels.readmissionCohort(200, 8), r -> r, START.plusSeconds(1800));

        clock.set(START.plus(Duration.ofMinutes(65)));
        List<MonitoringReport> reports = platform.monitoring().checkAll().reports();

        long onCanary = ramped.stream().filter(r -> r.slot() == Slot.CANARY).count();
        assertThat(reports).extracting(MonitoringReport::version, MonitoringReport::slot, MonitoringReport::predictions)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "stable", 400 - onCanary),
                        org.assertj.core.groups.Tuple.tuple(2, "stable", 200L),
                        org.assertj.core.groups.Tuple.tuple(2, "canary", onCanary));
    }

    @Test
    void aRunWithoutAWindowInTheMinuteOfTheTrafficChecksTheLastWholeHourAndTheTrafficIsInTheNextOnesReport() {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, hour.plusSeconds(620));
        clock.set(hour.plusSeconds(640));

        List<MonitoringReport> now = platform.monitoring().check(model, java.util.Optional.empty(),
                java.util.Optional.empty(), Duration.ZERO, "operator").reports();
        clock.set(hour.plus(Duration.ofMinutes(65)));
        List<MonitoringReport> timer = platform.monitoring().checkAll().reports();
        int records = auditRecords().size();
        clock.set(hour.plus(Duration.ofMinutes(70)));
        List<MonitoringReport> later = platform.monitoring().check(model, java.util.Optional.empty(),
                java.util.Optional.empty(), Duration.ZERO, "operator").reports();

        // The hour that had ended, the one the timer checks: no report of a window cut at the minute of the traffic.
        assertThat(now).singleElement().satisfies(r -> {
            assertThat(r.from()).isEqualTo(START);
            assertThat(r.to()).isEqualTo(hour);
        });
        assertThat(timer).singleElement().satisfies(r -> assertThat(r.predictions()).isEqualTo(300));
        assertThat(later).isEqualTo(timer);
        assertThat(auditRecords().stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION))).hasSize(2);
        // The second run of the hour adds who asked for it, and no second check.
        assertThat(auditRecords()).hasSize(records + 1);
        assertThat(platform.monitoring().reports().list(model.value(), START, hour.plus(Duration.ofHours(1))))
                .extracting(MonitoringReport::predictions).containsExactly(0L, 300L);
    }

    @Test
    void aFewPredictionsAreInsufficientDataAndRaiseNothing() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(1, 12), r -> r, START.plusSeconds(600));

        clock.set(START.plus(Duration.ofMinutes(65)));
        MonitoringReport report = platform.monitoring().checkAll().reports().get(0);

        assertThat(report.severity()).isEqualTo(MonitoringReport.Severity.INSUFFICIENT_DATA);
        assertThat(report.predictions()).isEqualTo(1);
        // One case has no pair to order and, below the threshold, no flagged case: those values are absent, and the
        // report as stored and served holds no NaN.
        assertThat(report.drift().estimate().expectedAuroc()).isNull();
        assertThat(Json.write(report)).doesNotContain("NaN").doesNotContain("expectedAuroc");
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.DRIFT_DETECTED,
                EventTypes.RETRAIN_REQUESTED, EventTypes.PERFORMANCE_DEGRADED);
    }

    @Test
    void aWindowOnRequestMustHaveEndedAndAnUnknownModelIsNotFound() {
        start(MonitoringPolicy.DEFAULTS);
        assertThatThrownBy(() -> platform.monitoring().check(model, START, START.plusSeconds(60)))
                .isInstanceOf(ValidationException.class).hasMessageStartingWith("'to' is in the future");
        // Each broken rule is named first, then the rules of a window.
        Map<String, Instant[]> broken = Map.of(
                "'from' must be before 'to'", new Instant[] {START.minusSeconds(60), START.minusSeconds(120)},
                "'from' and 'to' must be whole seconds", new Instant[] {START.minusMillis(1500), START.minusSeconds(1)},
                "the window is longer than 31 days", new Instant[] {START.minus(java.time.Duration.ofDays(34)), START});
        broken.forEach((rule, window) -> assertThatThrownBy(() -> platform.monitoring().check(model, window[0], window[1]))
                .as(rule).isInstanceOf(ValidationException.class).hasMessageStartingWith(rule)
                .hasMessageContaining("at most 31 days long"));
        assertThatThrownBy(() -> platform.monitoring().check(new ModelName("not-deployed"), START.minusSeconds(60), START))
                .hasMessageContaining("not deployed");
    }

    @Test
    void aWindowCheckedBeforeItSettledIsProvisionalAndItsFinalReportCountsThePredictionsWrittenLate() {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        Principal operator = rampVersion2At(START.plusSeconds(3000));
        clock.set(hour.plusSeconds(1));

        List<MonitoringReport> early = platform.monitoring().check(model, START, hour).reports();
        // Requests in flight at the end of the window, answered by both versions and written after the check.
        List<ScoredRow> late = score(SampleModels.readmissionCohort(200, 8), r -> r, hour.minusSeconds(1));
        clock.set(hour.plusSeconds(30));
        List<MonitoringReport> again = platform.monitoring().check(model, START, hour).reports();
        clock.set(hour.plus(Duration.ofMinutes(5)));
        List<MonitoringReport> settled = platform.monitoring().check(model, START, hour).reports();
        List<MonitoringReport> later = platform.monitoring().check(model, START, hour).reports();

        assertThat(early).singleElement().satisfies(r -> {
            assertThat(r.slot()).isEqualTo("stable");
            assertThat(r.predictions()).isEqualTo(300);
            assertThat(r.provisional()).isTrue();
            assertThat(r.reasons()).anySatisfy(reason -> assertThat(reason).contains("less than 120 seconds after its end")
                    .contains("VIGIL_MONITORING_SETTLE_SECONDS").contains("may be missing").contains("provisional"));
        });
        long onCanary = late.stream().filter(r -> r.slot() == Slot.CANARY).count();
        long onStable = late.size() - onCanary;
        assertThat(onCanary).isPositive();
        assertThat(onStable).isPositive();
        // Before the window settles, a run answers the stored provisional report.
        assertThat(again).extracting(MonitoringReport::version, MonitoringReport::slot, MonitoringReport::predictions,
                MonitoringReport::provisional).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "stable", 300L, true),
                        org.assertj.core.groups.Tuple.tuple(2, "canary", onCanary, true));
        // The first run after it settled replaces both, under the same ids, counting every prediction of the window.
        assertThat(settled).extracting(MonitoringReport::id).isEqualTo(again.stream().map(MonitoringReport::id).toList());
        assertThat(settled).extracting(MonitoringReport::predictions, MonitoringReport::provisional).containsExactly(
                org.assertj.core.groups.Tuple.tuple(300L + onStable, false),
                org.assertj.core.groups.Tuple.tuple(onCanary, false));
        assertThat(settled).allSatisfy(r -> assertThat(r.reasons()).noneMatch(reason -> reason.contains("may be missing")));
        assertThat(later).isEqualTo(settled);
        assertThat(platform.monitoring().reports().list(model.value(), START, hour)).isEqualTo(settled);
        // The trail holds each report's provisional check and its final check, once.
        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.CHECK_ACTION))
                .extracting(a -> a.details().get("reportId"), a -> a.details().get("provisional"),
                        a -> a.details().get("predictions"))
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(early.get(0).id(), "true", "300"),
                        org.assertj.core.groups.Tuple.tuple(settled.get(1).id(), "true", Long.toString(onCanary)),
                        org.assertj.core.groups.Tuple.tuple(early.get(0).id(), "false", Long.toString(300 + onStable)),
                        org.assertj.core.groups.Tuple.tuple(settled.get(1).id(), "false", Long.toString(onCanary)));
        // Once the window has settled, the versions and slots it served are kept, and later runs read them.
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.servedName(model, START,
                hour))).hasSize(1);
        assertThat(operator.name()).isEqualTo("operator");
    }

    /**
     * A drift alert raised by a provisional report is not raised again by the final one that agrees with it; drift
     * that only the final report finds, in predictions written after the early check, is raised then. A window checked
     * early by hand is finalised by the timer's next run.
     */
    @Test
    void aFinalReportSendsOnlyTheEventsItsProvisionalReportDidNotAndTheTimerFinalisesAWindowCheckedByHand() {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(800, 8), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        clock.set(hour.plusSeconds(1));
        MonitoringReport early = platform.monitoring().check(model, START, hour).reports().get(0);
        List<VigilEvent> afterEarly = List.copyOf(published);
        clock.set(hour.plus(Duration.ofMinutes(5)));
        MonitoringReport settled = platform.monitoring().check(model, START, hour).reports().get(0);

        assertThat(early.provisional()).isTrue();
        assertThat(early.drifted()).isTrue();
        assertThat(afterEarly).extracting(VigilEvent::type).contains(EventTypes.DRIFT_DETECTED,
                EventTypes.RETRAIN_REQUESTED);
        assertThat(settled.provisional()).isFalse();
        assertThat(settled.drifted()).isTrue();
        assertThat(published).containsExactlyElementsOf(afterEarly);
        assertThat(platform.monitoring().retrainRequestOf(settled.id())).isPresent();

        // The next hour: a few predictions when it is checked by hand, a drifted population written after that.
        Instant next = hour.plus(Duration.ofHours(1));
        Instant handFrom = hour.plusSeconds(60);
        score(SampleModels.readmissionCohort(5, 9), r -> r, hour.plusSeconds(600));
        clock.set(next.plusSeconds(1));
        MonitoringReport quiet = platform.monitoring().check(model, handFrom, next).reports().get(0);
        score(SampleModels.readmissionCohort(800, 10), MonitoringServiceTest::olderAndSicker, next.minusSeconds(2));
        published.clear();
        clock.set(next.plus(Duration.ofMinutes(5)));
        platform.monitoring().checkAll();
        platform.monitoring().checkAll();

        assertThat(quiet.provisional()).isTrue();
        assertThat(quiet.drifted()).isFalse();
        MonitoringReport finalised = platform.monitoring().reports().find(quiet.id()).orElseThrow();
        assertThat(finalised.provisional()).isFalse();
        assertThat(finalised.predictions()).isEqualTo(805);
        assertThat(finalised.drifted()).isTrue();
        AuditRecord finalCheck = auditRecords().stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION)
                && quiet.id().equals(a.details().get("reportId")) && "false".equals(a.details().get("provisional")))
                .findFirst().orElseThrow();
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED)
                && quiet.id().equals(e.data().get("reportId"))).singleElement()
                .satisfies(e -> assertThat(e.id()).isEqualTo(finalCheck.id()));
    }

    /**
     * A noted window that cannot be finalised (here its check fails: its stored list of versions and slots is
     * unreadable) is left for the next run; it keeps neither the other noted windows nor the hour the timer checks
     * from being checked, and the run still fails so the failure is seen.
     */
    @Test
    void aWindowThatCannotBeFinalisedKeepsNeitherTheOthersNorTheTimersHourFromBeingChecked() {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        clock.set(hour.plusSeconds(1));
        MonitoringReport early = platform.monitoring().check(model, START, hour).reports().get(0);
        Instant before = START.minus(Duration.ofHours(1));
        platform.artifacts().put(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model) + "0000.json",
                new ByteArrayInputStream(Json.writeBytes(new MonitoringService.UnsettledWindow(model.value(), before,
                        START))), false);
        platform.artifacts().put(ArtifactStore.MONITORING, MonitoringService.servedName(model, before, START),
                new ByteArrayInputStream("{".getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
        score(SampleModels.readmissionCohort(100, 8), r -> r, hour.plusSeconds(600));
        Instant next = hour.plus(Duration.ofHours(1));
        clock.set(next.plus(Duration.ofMinutes(5)));

        assertThatThrownBy(() -> platform.monitoring().checkAll()).isInstanceOf(ValidationException.class)
                .hasMessageContaining(MonitoringService.servedName(model, before, START));

        assertThat(early.provisional()).isTrue();
        assertThat(platform.monitoring().reports().find(early.id()).orElseThrow().provisional()).isFalse();
        MonitoringReport timers = platform.monitoring().reports().find(MonitoringReport.idOf(model.value(),
                early.version(), Slot.STABLE.wireName(), hour, next)).orElseThrow();
        assertThat(timers.predictions()).isEqualTo(100);
    }

    /**
     * A note under {@code unsettled/} that no window can be read from (truncated JSON, JSON of another shape, an empty
     * object) is set aside by the runs that find it, run together and replayed: its bytes kept under
     * {@code unreadable/}, one record per note naming it and the copy and nothing it held, the note removed, and no run
     * failing on it; the timer's hour is checked as usual. Before, every run failed on such a note, for good, as no
     * window could be read from it to abandon it by.
     */
    @Test
    void aNoteNoWindowCanBeReadFromIsSetAsideOnceByRunsTogetherAndNoRunFailsOnIt() throws Exception {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put(MonitoringService.unsettledPrefix(model) + "0000.json", "{\"mrn\": \"MRN-4471\"");
        notes.put(MonitoringService.unsettledPrefix(model) + "0001.json", "{\"window\": \"MRN-4471\"}");
        notes.put(MonitoringService.unsettledPrefix(model) + "0002.json", "{}");
        notes.forEach((name, text) -> platform.artifacts().put(ArtifactStore.MONITORING, name,
                new ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), false));
        clock.set(hour.plus(Duration.ofMinutes(5)));

        fourRunsTogetherThenTwoReplays();

        List<AuditRecord> setAside = auditRecords().stream()
                .filter(a -> a.action().equals(MonitoringService.UNREADABLE_NOTE_ACTION)).toList();
        assertThat(setAside).extracting(a -> a.details().get("note"))
                .containsExactlyInAnyOrderElementsOf(notes.keySet());
        for (AuditRecord a : setAside) {
            assertThat(a.actor()).isEqualTo(MonitoringService.ACTOR);
            assertThat(a.outcome()).isEqualTo("set_aside");
            assertThat(a.details().values()).noneMatch(v -> v.contains("MRN-4471"));
            assertThat(a.details().get("reason")).contains("no window could be read from the note");
            String kept = a.details().get("keptAs");
            assertThat(kept).startsWith("unreadable/" + model.value() + "/");
            try (java.io.InputStream in = platform.artifacts().open(ArtifactStore.MONITORING, kept)) {
                assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(notes.get(a.details().get("note")));
            }
        }
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model)))
                .extracting(ArtifactStore.StoredArtifact::name).doesNotContainAnyElementsOf(notes.keySet());
        assertThat(platform.monitoring().reports().find(MonitoringReport.idOf(model.value(), 1,
                Slot.STABLE.wireName(), START, hour))).hasValueSatisfying(r -> assertThat(r.predictions())
                .isEqualTo(300));
    }

    /**
     * A note written anew between a run's read of it and its removal (another run forgot it or set it aside, and a
     * check noted its window again) stays for the next run, whether the run set aside the version it read as
     * unreadable or finalised its window: only that version is removed. The next run reads the new notes and checks
     * their windows. Before, the new note was removed with the old, and its window was not checked again.
     */
    @Test
    void aNoteWrittenAnewBetweenARunsReadAndItsRemovalStaysForTheNextRun() throws Exception {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        clock.set(hour.plusSeconds(1));
        assertThat(platform.monitoring().check(model, START, hour).reports().get(0).provisional()).isTrue();
        String settling = platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model))
                .get(0).name();
        String unreadable = MonitoringService.unsettledPrefix(model) + "0000.json";
        platform.artifacts().put(ArtifactStore.MONITORING, unreadable,
                new ByteArrayInputStream("{\"mrn\": \"MRN-4471\"".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                false);
        Instant before = START.minus(Duration.ofHours(1));
        Map<String, byte[]> anew = Map.of(
                unreadable, Json.writeBytes(new MonitoringService.UnsettledWindow(model.value(), before, START)),
                settling, Json.writeBytes(new MonitoringService.UnsettledWindow(model.value(), START, hour)));
        java.util.Set<String> written = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ArtifactStore writingAnewBeforeRemoval = new ForwardingArtifactStore(platform.artifacts()) {
            private void writeAnew(String container, String name) {
                if (container.equals(ArtifactStore.MONITORING) && anew.containsKey(name) && written.add(name)) {
                    store.put(container, name, new ByteArrayInputStream(anew.get(name)), true);
                }
            }

            @Override
            public void delete(String container, String name) {
                writeAnew(container, name);
                store.delete(container, name);
            }

            @Override
            public boolean delete(String container, String name, String ifMatch) {
                writeAnew(container, name);
                return store.delete(container, name, ifMatch);
            }
        };
        MonitoringService service = new MonitoringService(platform.registry(), writingAnewBeforeRemoval,
                FeaturePipelines.standard()::forManifest, platform.predictionLog(), platform.outcomeJoin(),
                platform.audit(), this::publish, Telemetry.NONE, clock, m -> MonitoringPolicy.DEFAULTS,
                RetrainPolicy.DEFAULTS, Integer.MAX_VALUE - 8, m -> SegmentColumns.NONE, Optional.empty(), 1,
                VigilConfig.DEFAULT_MONITORING_SETTLING);
        clock.set(hour.plus(Duration.ofMinutes(5)));

        service.checkAll();

        assertThat(written).containsExactlyInAnyOrder(unreadable, settling);
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model)))
                .extracting(ArtifactStore.StoredArtifact::name).containsExactlyInAnyOrder(unreadable, settling);
        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.UNREADABLE_NOTE_ACTION))
                .singleElement().satisfies(a -> assertThat(a.details()).containsEntry("note", unreadable));
        for (String note : List.of(unreadable, settling)) {
            try (java.io.InputStream in = platform.artifacts().open(ArtifactStore.MONITORING, note)) {
                assertThat(in.readAllBytes()).as(note).isEqualTo(anew.get(note));
            }
        }

        service.checkAll();

        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model)))
                .isEmpty();
        assertThat(platform.monitoring().reports().find(MonitoringReport.idOf(model.value(), 1,
                Slot.STABLE.wireName(), before, START))).hasValueSatisfying(r -> assertThat(r.provisional()).isFalse());
    }

    /**
     * A model whose window cannot be checked now (here its drift alert cannot be sent: the topic is down) keeps no
     * model after it from being checked, and its window is checked again by the next hour's run, which sends the
     * alert the failed run could not; the window is then forgotten. Before, the loop stopped at the failure and the
     * next run checked only the next hour, so the later models' reports and the alert were lost for good.
     */
    @Test
    void aModelWhoseWindowFailsKeepsNoOtherFromBeingCheckedAndTheNextRunChecksItsWindowAgain() {
        start(MonitoringPolicy.DEFAULTS);
        ModelName first = model;
        ModelName second = registerAndDeployAnother("zz-readmission");
        assertThat(platform.registry().listModels()).containsExactly(first, second);
        score(SampleModels.readmissionCohort(800, 8), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        model = second;
        score(SampleModels.readmissionCohort(300, 9), r -> r, START.plusSeconds(700));
        model = first;
        Instant hour = START.plus(Duration.ofHours(1));
        clock.set(hour.plus(Duration.ofMinutes(5)));
        published.clear();

        topicDown = true;
        assertThatThrownBy(() -> platform.monitoring().checkAll())
                .isInstanceOf(health.vigil.error.StoreException.class);

        String firstsReport = MonitoringReport.idOf(first.value(), 1, Slot.STABLE.wireName(), START, hour);
        assertThat(platform.monitoring().reports().find(MonitoringReport.idOf(second.value(), 1,
                Slot.STABLE.wireName(), START, hour)))
                .hasValueSatisfying(r -> assertThat(r.predictions()).isEqualTo(300));
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.DRIFT_DETECTED);
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(first)))
                .hasSize(1);

        clock.set(hour.plus(Duration.ofMinutes(65)));
        platform.monitoring().checkAll();

        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED)).singleElement()
                .satisfies(e -> assertThat(e.data()).containsEntry("reportId", firstsReport));
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(first)))
                .isEmpty();
        assertThat(platform.monitoring().reports().find(MonitoringReport.idOf(first.value(), 1,
                Slot.STABLE.wireName(), hour, hour.plus(Duration.ofHours(1))))).isPresent();
    }

    /**
     * A run recorded its retraining request and could not send it; before the next run a new version of the model was
     * registered (now pending), which makes the policy ask for nothing. The recorded request is still sent, with the
     * recorded reason. Before, the next run decided again, asked for nothing and marked the report announced, so the
     * request stood in the audit log and was never sent.
     */
    @Test
    void aRecordedRetrainingRequestIsSentByTheNextRunWhateverThePolicyWouldDecideThen() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(800, 8), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        Instant hour = START.plus(Duration.ofHours(1));
        clock.set(hour.plus(Duration.ofMinutes(5)));
        published.clear();

        topicDownFor = EventTypes.RETRAIN_REQUESTED;
        assertThatThrownBy(() -> platform.monitoring().checkAll())
                .isInstanceOf(health.vigil.error.StoreException.class);
        String report = MonitoringReport.idOf(model.value(), 1, Slot.STABLE.wireName(), START, hour);
        AuditRecord recorded = platform.monitoring().retrainRequestOf(report).orElseThrow();
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_REQUESTED);
        byte[] trees = SampleModels.readmissionTrees().zip();
        platform.artifacts().put(ArtifactStore.MODELS, "readmission-trees.zip", new ByteArrayInputStream(trees), false);
        platform.registration().register(new BlobCreated("upload-2", ArtifactStore.MODELS, "readmission-trees.zip",
                null, trees.length, null));
        assertThat(platform.registry().listVersions(model)).anyMatch(v -> v.version() == 2
                && RetrainPolicy.PENDING.contains(v.stage()));

        clock.set(hour.plus(Duration.ofMinutes(65)));
        platform.monitoring().checkAll();

        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).singleElement()
                .satisfies(e -> {
                    assertThat(e.id()).isEqualTo(recorded.id());
                    assertThat(e.data()).containsEntry("reportId", report)
                            .containsEntry("reason", recorded.details().get("reason"));
                });
    }

    /**
     * The timer fans a two-hour window out and one partition's message is lost (the queue gave up on it): the window is
     * noted, and the run after the next window has begun checks it again, queues the lost partition once more and
     * merges the report. Before, only a window checked before it settled was noted, so the report was never made.
     */
    @Test
    void aFannedOutWindowWhosePartitionMessageWasLostIsMergedByALaterRun() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        score(SampleModels.readmissionCohort(300, 8), r -> r, START.plusSeconds(4200));
        MonitoringPolicy twoHours = new MonitoringPolicy(Duration.ofHours(2), DriftThresholds.DEFAULTS, 1, 50, 10,
                0.6, 0.25, 0.6);
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        MonitoringService[] service = new MonitoringService[1];
        WorkQueue losingTheFirst = (queue, id, message) -> {
            if (sent.incrementAndGet() != 1) {
                service[0].checkPartition(message);
            }
        };
        service[0] = new MonitoringService(platform.registry(), platform.artifacts(),
                FeaturePipelines.standard()::forManifest, platform.predictionLog(), platform.outcomeJoin(),
                platform.audit(), this::publish, Telemetry.NONE, clock, m -> twoHours, RetrainPolicy.DEFAULTS,
                Integer.MAX_VALUE - 8, m -> SegmentColumns.NONE, Optional.of(losingTheFirst), 1,
                VigilConfig.DEFAULT_MONITORING_SETTLING);
        Instant end = START.plus(Duration.ofHours(2));
        String id = MonitoringReport.idOf(model.value(), 1, Slot.STABLE.wireName(), START, end);
        clock.set(end.plus(Duration.ofMinutes(5)));

        assertThat(service[0].checkAll().pending()).isNotEmpty();
        assertThat(platform.monitoring().reports().find(id)).isEmpty();

        clock.set(end.plus(Duration.ofHours(2)).plus(Duration.ofMinutes(5)));
        service[0].checkAll();

        assertThat(platform.monitoring().reports().find(id)).hasValueSatisfying(r -> assertThat(r.predictions())
                .isEqualTo(600));
        // The run that queued the lost partition again saw the window pending; the next one finds it final and forgets
        // it.
        clock.set(end.plus(Duration.ofHours(4)).plus(Duration.ofMinutes(5)));
        service[0].checkAll();
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, MonitoringService.unsettledPrefix(model)))
                .extracting(ArtifactStore.StoredArtifact::name).noneMatch(n -> n.contains("T100000Z--"));
    }

    /**
     * Two windows of two hours whose patients drifted alike, under a policy that alerts on two drifted windows in a
     * row, checked by a service that fans every window out to a queue that loses the first window's messages while
     * {@code losingTheFirst} holds.
     */
    private record TwoDriftedWindows(MonitoringService service,
            java.util.concurrent.atomic.AtomicBoolean losingTheFirst, Instant middle, Instant end, String firstId,
            String secondId, java.util.concurrent.atomic.AtomicInteger firstsMessages) {}

    private TwoDriftedWindows twoDriftedWindowsWhoseFirstLosesItsMessages() {
        start(MonitoringPolicy.DEFAULTS);
        MonitoringPolicy twoInARow = new MonitoringPolicy(Duration.ofHours(2), DriftThresholds.DEFAULTS, 2, 50, 10,
                0.6, 0.25, 0.6);
        Instant middle = START.plus(Duration.ofHours(2));
        Instant end = START.plus(Duration.ofHours(4));
        score(SampleModels.readmissionCohort(400, 9), MonitoringServiceTest::olderAndSicker, START.plusSeconds(600));
        score(SampleModels.readmissionCohort(400, 10), MonitoringServiceTest::olderAndSicker, middle.plusSeconds(600));
        String firstId = MonitoringReport.idOf(model.value(), 1, Slot.STABLE.wireName(), START, middle);
        String secondId = MonitoringReport.idOf(model.value(), 1, Slot.STABLE.wireName(), middle, end);
        java.util.concurrent.atomic.AtomicBoolean losingTheFirst = new java.util.concurrent.atomic.AtomicBoolean(true);
        MonitoringService[] service = new MonitoringService[1];
        java.util.concurrent.atomic.AtomicInteger firstsMessages = new java.util.concurrent.atomic.AtomicInteger();
        WorkQueue queue = (q, id, message) -> {
            if (message.contains(firstId)) {
                firstsMessages.incrementAndGet();
            }
            if (!(losingTheFirst.get() && message.contains(firstId))) {
                service[0].checkPartition(message);
            }
        };
        service[0] = new MonitoringService(platform.registry(), platform.artifacts(),
                FeaturePipelines.standard()::forManifest, platform.predictionLog(), platform.outcomeJoin(),
                platform.audit(), this::publish, Telemetry.NONE, clock, m -> twoInARow, RetrainPolicy.DEFAULTS,
                Integer.MAX_VALUE - 8, m -> SegmentColumns.NONE, Optional.of(queue), 1,
                VigilConfig.DEFAULT_MONITORING_SETTLING);
        return new TwoDriftedWindows(service[0], losingTheFirst, middle, end, firstId, secondId, firstsMessages);
    }

    /**
     * Two drifted windows in a row raise the alert, and the second window is checked while the first is still fanned
     * out (its partitions' messages lost): the second's report is provisional, and the run that merges the first
     * replaces it with the alert the two make, as if they had been checked in order. Before, the second's report was
     * final with one drifted window, and the alert and its retraining request never came.
     */
    @Test
    void aWindowCheckedBeforeTheWindowBeforeItHasItsFinalReportIsJudgedAgainOnceThatOneHasIt() {
        TwoDriftedWindows windows = twoDriftedWindowsWhoseFirstLosesItsMessages();
        MonitoringService service = windows.service();

        clock.set(windows.middle().plus(Duration.ofMinutes(5)));
        assertThat(service.checkAll().pending()).isNotEmpty();
        clock.set(windows.end().plus(Duration.ofMinutes(5)));
        service.checkAll();

        assertThat(platform.monitoring().reports().find(windows.firstId())).isEmpty();
        assertThat(platform.monitoring().reports().find(windows.secondId())).hasValueSatisfying(r -> {
            assertThat(r.provisional()).as(r.reasons().toString()).isTrue();
            assertThat(r.driftedWindows()).isEqualTo(1);
        });

        windows.losingTheFirst().set(false);
        clock.set(windows.end().plus(Duration.ofHours(2)).plus(Duration.ofMinutes(5)));
        service.checkAll();

        assertThat(platform.monitoring().reports().find(windows.firstId())).hasValueSatisfying(r -> {
            assertThat(r.provisional()).isFalse();
            assertThat(r.drifted()).isTrue();
        });
        MonitoringReport second = platform.monitoring().reports().find(windows.secondId()).orElseThrow();
        assertThat(second.provisional()).as(second.reasons().toString()).isFalse();
        assertThat(second.driftedWindows()).isEqualTo(2);
        assertThat(second.severity()).isEqualTo(MonitoringReport.Severity.ALERT);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).singleElement()
                .satisfies(e -> assertThat(e.data()).containsEntry("reportId", windows.secondId()));
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED)).hasSize(2);
    }

    /**
     * The window before a drifted window never gets its final report (its partitions' messages are always lost): the
     * timer checks it again, and the drifted window waits for it, until a day after it settled; the first run after
     * that abandons it, recorded once with the reason, and the drifted window is judged final with it counted as not
     * drifted, its reason saying so, its events going out once. No later run queues the abandoned window's partitions;
     * a check asked for by hand still makes its report, and the drifted window's stands. Before, the abandoned window
     * was checked again, its partitions queued again, on every run for good.
     */
    @Test
    void aWindowThatNeverGetsItsFinalReportIsAbandonedOnceADayAfterItSettledAndTheWindowAfterItStopsWaiting() {
        TwoDriftedWindows windows = twoDriftedWindowsWhoseFirstLosesItsMessages();
        MonitoringService service = windows.service();
        String firstNote = MonitoringReport.compact(START) + "--" + MonitoringReport.compact(windows.middle());
        String secondNote = MonitoringReport.compact(windows.middle()) + "--" + MonitoringReport.compact(windows.end());
        java.util.function.Supplier<List<String>> notes = () -> platform.artifacts().list(ArtifactStore.MONITORING,
                MonitoringService.unsettledPrefix(model)).stream().map(ArtifactStore.StoredArtifact::name).toList();
        java.util.function.Supplier<List<AuditRecord>> abandoned = () -> auditRecords().stream()
                .filter(a -> a.action().equals(MonitoringService.ABANDON_ACTION)).toList();

        clock.set(windows.middle().plus(Duration.ofMinutes(5)));
        service.checkAll();
        clock.set(windows.end().plus(Duration.ofMinutes(5)));
        service.checkAll();
        // Still checked, and still waited for, a second before its day is up.
        clock.set(windows.middle().plus(VigilConfig.DEFAULT_MONITORING_SETTLING).plus(Duration.ofDays(1))
                .minusSeconds(1));
        service.checkAll();
        assertThat(platform.monitoring().reports().find(windows.secondId())).hasValueSatisfying(r ->
                assertThat(r.provisional()).as(r.reasons().toString()).isTrue());
        assertThat(notes.get()).anyMatch(n -> n.contains(firstNote)).anyMatch(n -> n.contains(secondNote));
        assertThat(abandoned.get()).isEmpty();

        clock.set(windows.middle().plus(Duration.ofDays(1)).plus(Duration.ofMinutes(5)));
        service.checkAll();
        service.checkAll(); // a replay of the run

        assertThat(abandoned.get()).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo("abandoned");
            assertThat(a.subject()).isEqualTo("/models/" + model.value() + "/monitoring");
            assertThat(a.details()).containsEntry("from", START.toString())
                    .containsEntry("to", windows.middle().toString());
            assertThat(a.details().get("reason")).startsWith("its check fanned out over the prediction log's"
                    + " partitions was still waiting for 2 of them 1 day after the window settled");
        });
        assertThat(platform.monitoring().reports().find(windows.firstId())).isEmpty();
        MonitoringReport second = platform.monitoring().reports().find(windows.secondId()).orElseThrow();
        assertThat(second.provisional()).as(second.reasons().toString()).isFalse();
        assertThat(second.driftedWindows()).isEqualTo(1);
        assertThat(second.severity()).isEqualTo(MonitoringReport.Severity.WARNING);
        assertThat(second.reasons()).anyMatch(r -> r.startsWith("the window from " + START + " has no final report"
                + " and the scheduled check abandoned it (monitoring.window.abandoned), so it is counted as not"
                + " drifted"));
        assertThat(notes.get()).isEmpty();
        assertThat(published).filteredOn(e -> windows.secondId().equals(e.data().get("reportId")))
                .extracting(VigilEvent::type).containsExactly(EventTypes.DRIFT_DETECTED);

        // Later runs leave the abandoned window alone, even once its messages would get through.
        int queued = windows.firstsMessages().get();
        windows.losingTheFirst().set(false);
        clock.set(clock.instant().plus(Duration.ofHours(2)));
        service.checkAll();
        assertThat(windows.firstsMessages()).hasValue(queued);
        assertThat(platform.monitoring().reports().find(windows.firstId())).isEmpty();

        // Asked for by hand, it is checked and reported; the drifted window's final report stands.
        service.check(model, START, windows.middle(), Duration.ZERO, "operator@example.org");

        assertThat(platform.monitoring().reports().find(windows.firstId()))
                .hasValueSatisfying(r -> assertThat(r.drifted()).isTrue());
        assertThat(platform.monitoring().reports().find(windows.secondId())).contains(second);
        assertThat(published).filteredOn(e -> windows.secondId().equals(e.data().get("reportId")))
                .extracting(VigilEvent::type).containsExactly(EventTypes.DRIFT_DETECTED);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED)).isEmpty();
        assertThat(abandoned.get()).hasSize(1);
    }

    /**
     * A window whose check fails on every run (here its stored list of versions and slots cannot be read) is checked
     * again, and fails the run, until a day after it settled. The runs after that, run together and replayed, abandon
     * it once: one record with the reason, the window no longer checked and no run failing on it. Before, every run
     * checked it again and failed, for good.
     */
    @Test
    void aWindowWhoseCheckKeepsFailingIsAbandonedOnceByRunsTogetherAndNoLaterRunFailsOnIt() throws Exception {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        platform.artifacts().put(ArtifactStore.MONITORING, MonitoringService.servedName(model, START, hour),
                new ByteArrayInputStream("{".getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
        String note = MonitoringReport.compact(START) + "--" + MonitoringReport.compact(hour);
        java.util.function.Supplier<List<String>> notes = () -> platform.artifacts().list(ArtifactStore.MONITORING,
                MonitoringService.unsettledPrefix(model)).stream().map(ArtifactStore.StoredArtifact::name)
                .filter(n -> n.contains(note)).toList();
        java.util.function.Supplier<List<AuditRecord>> abandoned = () -> auditRecords().stream()
                .filter(a -> a.action().equals(MonitoringService.ABANDON_ACTION)).toList();

        clock.set(hour.plus(Duration.ofMinutes(5)));
        assertThatThrownBy(() -> platform.monitoring().checkAll()).isInstanceOf(ValidationException.class);
        clock.set(hour.plus(VigilConfig.DEFAULT_MONITORING_SETTLING).plus(Duration.ofDays(1)).minusSeconds(1));
        assertThatThrownBy(() -> platform.monitoring().checkAll()).isInstanceOf(ValidationException.class);
        assertThat(notes.get()).hasSize(1);
        assertThat(abandoned.get()).isEmpty();

        clock.set(hour.plus(Duration.ofDays(1)).plus(Duration.ofMinutes(5)));
        fourRunsTogetherThenTwoReplays();

        assertThat(abandoned.get()).singleElement().satisfies(a -> {
            assertThat(a.actor()).isEqualTo(MonitoringService.ACTOR);
            assertThat(a.details()).containsEntry("from", START.toString()).containsEntry("to", hour.toString())
                    .containsEntry("reason", "its check still failed (MALFORMED_JSON) 1 day after the window"
                            + " settled, so the scheduled check no longer checks it; check it by hand once the cause"
                            + " is fixed");
        });
        assertThat(notes.get()).isEmpty();
        assertThat(platform.monitoring().reports().find(MonitoringReport.idOf(model.value(), 1,
                Slot.STABLE.wireName(), START, hour))).isEmpty();
    }

    /**
     * The await limit comes from {@code VIGIL_MONITORING_AWAIT_SECONDS}: set to an hour, a window whose check keeps
     * failing is abandoned by the first run an hour after it settled, not a day. Before, the setting was not read and
     * the window was checked, and failed the run, for a day.
     */
    @Test
    void theAwaitLimitIsTheSettingsAndAWindowIsAbandonedThatLongAfterItSettled() {
        start(MonitoringPolicy.DEFAULTS, Telemetry.NONE, VigilConfig.fromEnvironment(Map.of("VIGIL_MODE", "local",
                "VIGIL_HOME", home.toString(), "VIGIL_MONITORING_AWAIT_SECONDS", "3600")));
        Instant hour = START.plus(Duration.ofHours(1));
        platform.artifacts().put(ArtifactStore.MONITORING, MonitoringService.servedName(model, START, hour),
                new ByteArrayInputStream("{".getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
        clock.set(hour.plus(Duration.ofMinutes(5)));
        assertThatThrownBy(() -> platform.monitoring().checkAll()).isInstanceOf(ValidationException.class);

        clock.set(hour.plus(VigilConfig.DEFAULT_MONITORING_SETTLING).plus(Duration.ofHours(1)));
        platform.monitoring().checkAll();

        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.ABANDON_ACTION))
                .singleElement().satisfies(a -> assertThat(a.details()).containsEntry("from", START.toString())
                        .hasEntrySatisfying("reason", r -> assertThat(r).contains("1 h after the window settled")));
    }

    /**
     * A fanned-out window whose partitions' messages were lost until its day was up: the run that abandons it queues
     * none of them again, so the queue, now delivering, brings no report of it beside the abandonment record. Before,
     * that run queued them once more and abandoned the window as their partials merged into a report, audited and
     * announced after the record said the scheduled check no longer checks it.
     */
    @Test
    void theRunThatAbandonsAFannedOutWindowQueuesNoneOfItsPartitionsAgain() {
        LosingQueue window = twoHoursWhoseMessagesAreLost();
        clock.set(window.end().plus(Duration.ofMinutes(5)));
        assertThat(window.service().checkAll().pending()).isNotEmpty();
        window.losing().set(false);
        int sent = window.sent().get();

        clock.set(window.end().plus(Duration.ofDays(1)).plus(Duration.ofMinutes(5)));
        window.service().checkAll();

        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.ABANDON_ACTION))
                .singleElement().satisfies(a -> assertThat(a.details()).containsEntry("from", START.toString()));
        assertThat(window.sent()).hasValue(sent);
        assertThat(platform.monitoring().reports().find(window.id())).isEmpty();
        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.CHECK_ACTION))
                .noneMatch(a -> window.id().equals(a.details().get("reportId")));
    }

    /**
     * Messages of an abandoned fanned-out window delivered late (the queue held them, or delivers them again) keep
     * their partials and make no report, audit record or event; the check asked for by hand merges those partials at
     * once, queueing nothing, and its report, record and events are written once however often the messages come or
     * the check is asked for again. Before, the late messages merged the report beside the abandonment record.
     */
    @Test
    void partitionsDeliveredAfterTheirWindowWasAbandonedMakeNoReportUntilTheWindowIsCheckedByHand() {
        LosingQueue window = twoHoursWhoseMessagesAreLost();
        clock.set(window.end().plus(Duration.ofMinutes(5)));
        window.service().checkAll();
        clock.set(window.end().plus(Duration.ofDays(1)).plus(Duration.ofMinutes(5)));
        window.service().checkAll();
        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.ABANDON_ACTION)).hasSize(1);
        List<String> late = window.lost().stream().filter(m -> m.contains(window.id())).distinct().toList();
        assertThat(late).hasSize(2);
        java.util.function.Supplier<List<AuditRecord>> checks = () -> auditRecords().stream()
                .filter(a -> a.action().equals(MonitoringService.CHECK_ACTION)
                        && window.id().equals(a.details().get("reportId"))).toList();
        java.util.function.Supplier<List<VigilEvent>> events = () -> published.stream()
                .filter(e -> window.id().equals(e.data().get("reportId"))).toList();

        late.forEach(window.service()::checkPartition);
        late.forEach(window.service()::checkPartition); // delivered again

        assertThat(platform.monitoring().reports().find(window.id())).isEmpty();
        assertThat(platform.artifacts().list(ArtifactStore.MONITORING, "partials/" + window.id() + "/")).hasSize(2);
        assertThat(checks.get()).isEmpty();
        assertThat(events.get()).isEmpty();

        int sent = window.sent().get();
        MonitoringRun run = window.service().check(model, START, window.end(), Duration.ZERO,
                "operator@example.org");
        List<VigilEvent> announced = events.get();
        window.service().check(model, START, window.end(), Duration.ZERO, "operator@example.org");
        late.forEach(window.service()::checkPartition);

        assertThat(run.pending()).isEmpty();
        assertThat(run.reports()).singleElement().satisfies(r -> {
            assertThat(r.id()).isEqualTo(window.id());
            assertThat(r.provisional()).isFalse();
            assertThat(r.predictions()).isEqualTo(600);
        });
        assertThat(window.sent()).hasValue(sent);
        assertThat(checks.get()).hasSize(1);
        assertThat(events.get()).isEqualTo(announced);
    }

    /**
     * A service over a two-hour window of 600 predictions, fanned out one hour per message to a queue that loses the
     * window's messages (kept in {@code lost}) while {@code losing} holds and otherwise delivers them at once.
     */
    private record LosingQueue(MonitoringService service, java.util.concurrent.atomic.AtomicBoolean losing,
            List<String> lost, java.util.concurrent.atomic.AtomicInteger sent, Instant end, String id) {}

    private LosingQueue twoHoursWhoseMessagesAreLost() {
        start(MonitoringPolicy.DEFAULTS);
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        score(SampleModels.readmissionCohort(300, 8), r -> r, START.plusSeconds(4200));
        MonitoringPolicy twoHours = new MonitoringPolicy(Duration.ofHours(2), DriftThresholds.DEFAULTS, 1, 50, 10,
                0.6, 0.25, 0.6);
        Instant end = START.plus(Duration.ofHours(2));
        String id = MonitoringReport.idOf(model.value(), 1, Slot.STABLE.wireName(), START, end);
        java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> lost = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
        MonitoringService[] service = new MonitoringService[1];
        WorkQueue queue = (q, messageId, message) -> {
            if (!message.contains(id)) {
                service[0].checkPartition(message);
                return;
            }
            sent.incrementAndGet();
            if (losing.get()) {
                lost.add(message);
            } else {
                service[0].checkPartition(message);
            }
        };
        service[0] = new MonitoringService(platform.registry(), platform.artifacts(),
                FeaturePipelines.standard()::forManifest, platform.predictionLog(), platform.outcomeJoin(),
                platform.audit(), this::publish, Telemetry.NONE, clock, m -> twoHours, RetrainPolicy.DEFAULTS,
                Integer.MAX_VALUE - 8, m -> SegmentColumns.NONE, Optional.of(queue), 1,
                VigilConfig.DEFAULT_MONITORING_SETTLING);
        return new LosingQueue(service[0], losing, lost, sent, end, id);
    }

    /** A copy of the sample model under another name, registered, approved and deployed as version 1. */
    private ModelName registerAndDeployAnother(String name) {
        health.vigil.testing.samples.SamplePackage sample = SampleModels.readmissionLogistic();
        health.vigil.model.Manifest m = sample.manifest();
        byte[] zip = health.vigil.modelpackage.ModelPackageWriter.write(new health.vigil.model.Manifest(
                m.formatVersion(), new ModelName(name), m.task(), m.description(), m.features(), m.featurePipeline(),
                m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance()), sample.onnx(),
                sample.reference());
        platform.artifacts().put(ArtifactStore.MODELS, name + ".zip", new ByteArrayInputStream(zip), false);
        ModelName other = platform.registration().register(new BlobCreated("upload-" + name, ArtifactStore.MODELS,
                name + ".zip", null, zip.length, null)).version().modelName();
        SetUpApproval.approve(platform, new ModelVersion(other, 1));
        platform.deployments().deploy(other, 1, Principal.SYSTEM);
        return other;
    }

    /** Instances finalising a window together leave one final report and one final audit record. */
    @Test
    void checksFinalisingAWindowTogetherStoreOneReportAndRecordItOnce() throws Exception {
        start(MonitoringPolicy.DEFAULTS);
        Instant hour = START.plus(Duration.ofHours(1));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        clock.set(hour.plusSeconds(1));
        String id = platform.monitoring().check(model, START, hour).reports().get(0).id();
        score(SampleModels.readmissionCohort(100, 8), r -> r, hour.minusSeconds(1));
        clock.set(hour.plus(Duration.ofMinutes(5)));

        int runs = 6;
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        List<MonitoringReport> answers = new ArrayList<>();
        try {
            CyclicBarrier together = new CyclicBarrier(runs);
            List<Future<MonitoringReport>> done = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                done.add(pool.submit(() -> {
                    together.await();
                    return platform.monitoring().check(model, START, hour).reports().get(0);
                }));
            }
            for (Future<MonitoringReport> f : done) {
                answers.add(f.get(120, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        MonitoringReport stored = platform.monitoring().reports().find(id).orElseThrow();
        assertThat(stored.provisional()).isFalse();
        assertThat(stored.predictions()).isEqualTo(400);
        assertThat(answers).allSatisfy(r -> assertThat(r).isEqualTo(stored));
        assertThat(auditRecords()).filteredOn(a -> a.action().equals(MonitoringService.CHECK_ACTION)
                && "false".equals(a.details().get("provisional"))).singleElement()
                .satisfies(a -> assertThat(a.details()).containsEntry("reportId", id).containsEntry("predictions", "400"));
    }

    @Test
    void theFirstCheckOfAWindowReadsEachPartitionOfItsLogOnceInOneInvocationAndFannedOut() {
        start(MonitoringPolicy.DEFAULTS);
        Instant end = START.plus(Duration.ofHours(2));
        score(SampleModels.readmissionCohort(300, 7), r -> r, START.plusSeconds(600));
        score(SampleModels.readmissionCohort(300, 8), r -> r, START.plusSeconds(4200));
        clock.set(end.plus(Duration.ofMinutes(5)));
        ReadCountingLog inOne = new ReadCountingLog(platform.predictionLog());
        ReadCountingLog fannedOut = new ReadCountingLog(platform.predictionLog());

        List<MonitoringReport> one = monitoringOn(inOne.log, false).check(model, START, end).reports();
        // Another window over the same two hours (the first one's report is stored), fanned out one partition per
        // queued invocation, delivered at once, and merged.
        List<MonitoringReport> fanned = monitoringOn(fannedOut.log, true).check(model, START.plusSeconds(1), end,
                Duration.ofSeconds(20)).reports();

        assertThat(one).singleElement().satisfies(r -> assertThat(r.predictions()).isEqualTo(600));
        assertThat(inOne.reads).as("partitions read").isEqualTo(2);
        assertThat(fanned).singleElement().satisfies(r -> assertThat(r.predictions()).isEqualTo(600));
        assertThat(fannedOut.reads).as("partitions read").isEqualTo(2);
    }

    /**
     * A monitoring service like the platform's, on a prediction log that counts its reads; fanned out above one
     * partition over a queue that delivers each partition to it at once, or in one invocation.
     */
    private MonitoringService monitoringOn(PredictionLog log, boolean fanOut) {
        MonitoringService[] service = new MonitoringService[1];
        Optional<WorkQueue> queue = fanOut ? Optional.of((q, id, message) -> service[0].checkPartition(message))
                : Optional.empty();
        service[0] = new MonitoringService(platform.registry(), platform.artifacts(),
                FeaturePipelines.standard()::forManifest, log, platform.outcomeJoin(), platform.audit(), this::publish,
                Telemetry.NONE, clock, m -> MonitoringPolicy.DEFAULTS, RetrainPolicy.DEFAULTS, Integer.MAX_VALUE - 8,
                m -> SegmentColumns.NONE, queue, 1, VigilConfig.DEFAULT_MONITORING_SETTLING);
        return service[0];
    }

    /** The platform's prediction log, counting the partitions and ranges of time read from it. */
    private static final class ReadCountingLog {
        final PredictionLog log;
        int reads;

        ReadCountingLog(PredictionLog platformLog) {
            this.log = (PredictionLog) java.lang.reflect.Proxy.newProxyInstance(PredictionLog.class.getClassLoader(),
                    new Class<?>[] {PredictionLog.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null; // the platform closes its log
                        }
                        if (method.getName().equals("scan")) {
                            reads++;
                        }
                        try {
                            return method.invoke(platformLog, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /** Version 1 deployed, version 2 approved and ramped out as a canary at half the traffic from {@code at}. */
    private Principal startWithACanaryOfVersion2At(Instant at) {
        start(MonitoringPolicy.DEFAULTS);
        return rampVersion2At(at);
    }

    /** Version 2 of the deployed model approved and ramped out as a canary at half the traffic from {@code at}. */
    private Principal rampVersion2At(Instant at) {
        byte[] zip = SampleModels.readmissionTrees().zip();
        platform.artifacts().put(ArtifactStore.MODELS, "readmission-2.zip", new ByteArrayInputStream(zip), false);
        platform.registration().register(new BlobCreated("upload-2", ArtifactStore.MODELS, "readmission-2.zip", null,
                zip.length, null));
        SetUpApproval.approve(platform, new ModelVersion(model, 2));
        Principal operator = new Principal("operator", java.util.Set.of(health.vigil.security.Role.DEPLOYMENTS_OPERATE));
        clock.set(at);
        platform.canaries().start(model, new CanaryService.StartCommand(2, List.of(5000, 10000), Duration.ofHours(2),
                null), operator);
        return operator;
    }

    private List<ScoredRow> score(SyntheticCohort cohort, UnaryOperator<Map<String, Object>> change, Instant at) {
        Instant before = clock.instant();
        clock.set(at);
        List<ScoredRow> out = new ArrayList<>();
        List<PatientRow> rows = new ArrayList<>();
        for (int i = 0; i < cohort.rows(); i++) {
            rows.add(PatientRows.of("patient-" + at.getEpochSecond() + "-" + i,
                    change.apply(new LinkedHashMap<>(cohort.records().get(i)))));
            if (rows.size() == 500 || i == cohort.rows() - 1) {
                out.addAll(platform.scoring().score(new ScoreRequest(model, null, rows)).rows());
                rows = new ArrayList<>();
            }
        }
        clock.set(before.isAfter(at) ? before : at);
        return out;
    }

    /** Twenty years older and a much higher HbA1c: a population the model was not trained on. */
    static Map<String, Object> olderAndSicker(Map<String, Object> record) {
        record.put("age", Math.min(110, ((Number) record.get("age")).longValue() + 20));
        record.put("hba1c", Math.min(20, ((Number) record.get("hba1c")).doubleValue() + 3));
        return record;
    }

    private List<AuditRecord> auditRecords() {
        LocalDate day = LocalDate.ofInstant(START, ZoneOffset.UTC);
        return platform.audit().read(day, day.plusDays(5));
    }

    /** Four scheduled runs started together, then the same run again and one an hour later, as replays. */
    private void fourRunsTogetherThenTwoReplays() throws Exception {
        int runs = 4;
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        try {
            CyclicBarrier together = new CyclicBarrier(runs);
            List<Future<MonitoringRun>> done = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                done.add(pool.submit(() -> {
                    together.await();
                    return platform.monitoring().checkAll();
                }));
            }
            for (Future<MonitoringRun> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        platform.monitoring().checkAll();
        clock.set(clock.instant().plus(Duration.ofHours(1)));
        platform.monitoring().checkAll();
    }
}

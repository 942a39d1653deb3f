package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.gates.EvaluationDataset;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.WorkQueue;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.batch.SetUpBatchJob;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.testing.samples.PatientRows;
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
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monitoring window over more log partitions than the threshold, checked by fanning it out: one queued message per
 * hour of the local log, each summarised by {@link MonitoringService#checkPartition}, merged by whichever finds every
 * partial present. Two platforms log the same predictions and outcomes; the one without a queue checks the window in
 * one invocation, and its report is the fanned-out report exactly (drift, labelled performance, segments, verdict).
 */
class MonitoringFanOutTest {
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
    private static final Instant END = START.plus(Duration.ofHours(4));

    @TempDir
    Path homes;
    private final List<Site> sites = new ArrayList<>();

    /** One platform with its clock, events and (when it has one) queued messages. */
    private static final class Site {
        final MutableClock clock = new MutableClock(START);
        final List<VigilEvent> published = new CopyOnWriteArrayList<>();
        final List<String> messages = new CopyOnWriteArrayList<>();
        final Queue<String> batchPartitions = new ConcurrentLinkedQueue<>();
        /** Whether each monitoring message is handled as it is queued, as a listening function would. */
        boolean deliverAtOnce;
        VigilPlatform platform;
        ModelName model;
    }

    @AfterEach
    void close() {
        sites.forEach(s -> s.platform.close());
    }

    @Test
    void aFannedOutWindowGivesExactlyTheReportOfTheCheckInOneInvocation() {
        Site single = site("single", false);
        Site fanned = site("fanned", true);

        MonitoringRun one = single.platform.monitoring().check(single.model, START, END);
        MonitoringRun planned = fanned.platform.monitoring().check(fanned.model, START, END);

        assertThat(one.pending()).isEmpty();
        assertThat(one.reports()).extracting(MonitoringReport::slot).containsExactly("stable");
        assertThat(planned.reports()).isEmpty();
        // The stable slot's check alone: the window's log holds no batch prediction, so no batch check is queued.
        assertThat(planned.pending()).extracting(MonitoringRun.Pending::slot).containsExactly("stable");
        assertThat(planned.pending()).allSatisfy(p -> {
            assertThat(p.partitions()).isEqualTo(4);
            assertThat(p.done()).isZero();
        });
        assertThat(fanned.messages).hasSize(4);
        // Delivered in any order: the last partial to be written merges.
        for (int k = fanned.messages.size() - 1; k >= 0; k--) {
            assertThat(fanned.platform.monitoring().reports().find(one.reports().get(0).id())).isEmpty();
            fanned.platform.monitoring().checkPartition(fanned.messages.get(k));
        }

        MonitoringReport expected = one.reports().get(0);
        MonitoringReport merged = fanned.platform.monitoring().reports().find(expected.id()).orElseThrow();
        assertThat(merged).isEqualTo(expected);
        // The window is a real one: drift in the later hours, outcomes for part of it, performance per segment.
        assertThat(merged.predictions()).isEqualTo(4 * 300);
        assertThat(merged.drifted()).isTrue();
        assertThat(merged.performance().labelled()).isEqualTo(4 * 150);
        assertThat(merged.performance().auroc()).isNotNull();
        assertThat(merged.segments()).extracting(SegmentPerformance::column).contains("age", "admission_type");
        assertThat(merged.segments()).anySatisfy(s -> assertThat(s.status())
                .isEqualTo(SegmentPerformance.Status.MEASURED));
        assertThat(fanned.platform.artifacts().list(ArtifactStore.MONITORING, "partials/" + expected.id() + "/"))
                .hasSize(4);
        assertThat(single.platform.artifacts().list(ArtifactStore.MONITORING, "partials/")).isEmpty();
        // The batch check merged to nothing: no report, no audit record, as in one invocation.
        assertThat(fanned.platform.monitoring().reports().list(fanned.model.value(), START, END))
                .containsExactly(merged);
        assertThat(auditRecords(fanned)).filteredOn(a -> a.action().equals(MonitoringService.CHECK_ACTION))
                .hasSize(1);
        // Audited and announced as the check in one invocation is.
        assertThat(checkRecords(fanned, expected.id())).singleElement().satisfies(a ->
                assertThat(a.details()).isEqualTo(checkRecords(single, expected.id()).get(0).details()));
        assertThat(fanned.published).extracting(VigilEvent::type)
                .containsExactlyInAnyOrderElementsOf(single.published.stream().map(VigilEvent::type).toList());
        // Asked again, the window answers its stored report, has nothing pending and queues nothing.
        MonitoringRun again = fanned.platform.monitoring().check(fanned.model, START, END);
        assertThat(again.reports()).containsExactly(merged);
        assertThat(again.pending()).isEmpty();
        assertThat(fanned.messages).hasSize(4);
        // A window of one hour is checked in one invocation even where there is a queue.
        fanned.clock.set(END.plus(Duration.ofMinutes(5)));
        MonitoringRun hour = fanned.platform.monitoring().check(fanned.model, START, START.plus(Duration.ofHours(1)));
        assertThat(hour.reports()).singleElement().satisfies(r -> assertThat(r.predictions()).isEqualTo(300));
        assertThat(fanned.messages).hasSize(4);
    }

    @Test
    void redeliveredMessagesAndConcurrentCompletionsLeaveOneReportOneAuditRecordAndOneSetOfEvents() throws Exception {
        Site fanned = site("fanned", true);
        MonitoringRun planned = fanned.platform.monitoring().check(fanned.model, START, END);
        String id = planned.pending().get(0).reportId();
        // The stable slot's check; the batch check beside it has its own messages.
        List<String> messages = fanned.messages.stream().filter(m -> m.contains(id)).toList();
        assertThat(messages).hasSize(4);
        for (int k = 0; k < messages.size() - 1; k++) {
            fanned.platform.monitoring().checkPartition(messages.get(k));
        }
        fanned.platform.monitoring().checkPartition(messages.get(0)); // redelivered before the merge

        // The last partition delivered to six invocations at once, with two redeliveries of the first.
        int invocations = 8;
        CyclicBarrier start = new CyclicBarrier(invocations);
        ExecutorService pool = Executors.newFixedThreadPool(invocations);
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < invocations; i++) {
            String message = i < 6 ? messages.get(messages.size() - 1) : messages.get(0);
            runs.add(pool.submit(() -> {
                start.await();
                fanned.platform.monitoring().checkPartition(message);
                return null;
            }));
        }
        for (Future<?> run : runs) {
            run.get();
        }
        pool.shutdown();
        List<VigilEvent> afterCompletion = List.copyOf(fanned.published);
        int auditRecords = auditRecords(fanned).size();
        // Every message redelivered after the report is stored.
        for (String message : messages) {
            fanned.platform.monitoring().checkPartition(message);
        }

        assertThat(fanned.platform.monitoring().reports().list(fanned.model.value(), START, END)).singleElement()
                .satisfies(r -> assertThat(r.id()).isEqualTo(id));
        assertThat(checkRecords(fanned, id)).hasSize(1);
        assertThat(auditRecords(fanned)).hasSize(auditRecords)
                .filteredOn(a -> a.action().equals(MonitoringService.RETRAIN_ACTION)).hasSize(1);
        AuditRecord check = checkRecords(fanned, id).get(0);
        // One set of events: every publication of Drift.Detected carries the audit record's id, and nothing new
        // was announced by the redeliveries.
        assertThat(fanned.published).filteredOn(e -> e.type().equals(EventTypes.DRIFT_DETECTED))
                .isNotEmpty().allSatisfy(e -> assertThat(e.id()).isEqualTo(check.id()));
        assertThat(fanned.published.stream().map(VigilEvent::id).distinct())
                .containsExactlyInAnyOrderElementsOf(afterCompletion.stream().map(VigilEvent::id).distinct().toList());
        assertThat(fanned.published.stream().filter(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED))
                .map(VigilEvent::id).distinct()).hasSize(1);
        assertThat(fanned.platform.artifacts().list(ArtifactStore.MONITORING, "partials/")).hasSize(4);
    }

    @Test
    void aNightlyFilesBatchReportIsTheSameFannedOutAndInOneInvocation() {
        Site single = site("single", false, true);
        Site fanned = site("fanned", true, true);

        MonitoringRun one = single.platform.monitoring().check(single.model, START, END);
        MonitoringRun planned = fanned.platform.monitoring().check(fanned.model, START, END);
        // The stable check reads every partition of the window, last first here: as it merges, it knows the window
        // also served batch predictions, and queues their check.
        int stableMessages = fanned.messages.size();
        for (int k = stableMessages - 1; k >= 0; k--) {
            fanned.platform.monitoring().checkPartition(fanned.messages.get(k));
        }
        assertThat(fanned.messages).hasSize(2 * stableMessages);
        for (int k = fanned.messages.size() - 1; k >= stableMessages; k--) {
            fanned.platform.monitoring().checkPartition(fanned.messages.get(k));
        }

        assertThat(one.reports()).extracting(MonitoringReport::slot).containsExactly("stable", "batch");
        assertThat(planned.pending()).extracting(MonitoringRun.Pending::slot).containsExactly("stable");
        MonitoringReport expected = one.reports().get(1);
        MonitoringReport merged = fanned.platform.monitoring().reports().find(expected.id()).orElseThrow();
        assertThat(merged).isEqualTo(expected);
        assertThat(merged.id()).isEqualTo(fanned.model.value() + "/v1/batch/2026-12-01T100000Z--2026-12-01T140000Z");
        assertThat(merged.predictions()).isEqualTo(400);
        assertThat(merged.performance().labelled()).isEqualTo(200);
        assertThat(merged.performance().positives()).isEqualTo(50);
        assertThat(merged.drifted()).isTrue();
        assertThat(merged.segments()).extracting(SegmentPerformance::column).contains("age", "admission_type");
        // The stable slot's report is the one of its live predictions alone, either way.
        assertThat(fanned.platform.monitoring().reports().find(one.reports().get(0).id())).contains(one.reports().get(0));
        assertThat(one.reports().get(0).predictions()).isEqualTo(4 * 300);
        // Audited and announced once, as in one invocation; only the stable report may ask for retraining.
        assertThat(checkRecords(fanned, expected.id())).singleElement().satisfies(a ->
                assertThat(a.details()).isEqualTo(checkRecords(single, expected.id()).get(0).details()));
        assertThat(fanned.published).extracting(VigilEvent::type)
                .containsExactlyInAnyOrderElementsOf(single.published.stream().map(VigilEvent::type).toList());
        assertThat(fanned.published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_REQUESTED))
                .allSatisfy(e -> assertThat(e.data().get("reportId")).isEqualTo(one.reports().get(0).id()));
        // Redelivered messages and a second run of the window add nothing.
        int records = auditRecords(fanned).size();
        List<String> events = fanned.published.stream().map(VigilEvent::id).distinct().toList();
        fanned.messages.forEach(fanned.platform.monitoring()::checkPartition);
        assertThat(fanned.platform.monitoring().check(fanned.model, START, END).reports())
                .containsExactlyElementsOf(one.reports());
        assertThat(auditRecords(fanned)).hasSize(records);
        assertThat(fanned.published.stream().map(VigilEvent::id).distinct()).containsExactlyInAnyOrderElementsOf(events);
    }

    @Test
    void aRequestWaitingForAFannedOutWindowWithoutBatchPredictionsIsAnsweredWithoutPendingChecks() {
        Site fanned = site("fanned", true);
        fanned.deliverAtOnce = true;

        MonitoringRun run = fanned.platform.monitoring().check(fanned.model, START, END, Duration.ofSeconds(20),
                "analyst");

        // The stable check alone was queued (the window's log holds no batch prediction) and merged as its last
        // partition was done.
        assertThat(fanned.messages).hasSize(4);
        assertThat(run.reports()).extracting(MonitoringReport::slot).containsExactly("stable");
        assertThat(run.pending()).isEmpty();
        assertThat(fanned.platform.monitoring().reports().list(fanned.model.value(), START, END)).hasSize(1);
    }

    @Test
    void aRequestWaitingForTheFirstCheckOfAFannedOutWindowIsAnsweredWithTheChecksItsMergeStarted() {
        Site single = site("single", false, true);
        Site fanned = site("fanned", true, true);
        fanned.deliverAtOnce = true;

        MonitoringRun one = single.platform.monitoring().check(single.model, START, END);
        MonitoringRun run = fanned.platform.monitoring().check(fanned.model, START, END, Duration.ofSeconds(20),
                "analyst");

        // The stable check's merge found the window's batch predictions and checked them: the request that waited
        // answers both reports, as the check in one invocation does.
        assertThat(run.pending()).isEmpty();
        assertThat(run.reports()).containsExactlyElementsOf(one.reports());
        assertThat(run.reports()).extracting(MonitoringReport::slot).containsExactly("stable", "batch");
    }

    /**
     * A platform with the readmission model deployed, an evaluation dataset naming segments, and four hours of
     * predictions (the last two from an older, sicker population) with outcomes for half of each hour.
     */
    private Site site(String name, boolean queue) {
        return site(name, queue, false);
    }

    /**
     * @param nightlyFile whether a batch job also scores a file (of the older, sicker population) in the third hour,
     *     with outcomes for half of it; a site without a queue for monitoring then checks every window in one
     *     invocation
     */
    private Site site(String name, boolean queue, boolean nightlyFile) {
        Site site = new Site();
        WorkQueue work = (q, messageId, message) -> {
            if (q.equals(WorkQueue.BATCH_PARTITIONS)) {
                site.batchPartitions.add(message);
                return;
            }
            assertThat(queue).isTrue();
            assertThat(q).isEqualTo(WorkQueue.MONITORING_PARTITIONS);
            site.messages.add(message);
            if (site.deliverAtOnce) {
                site.platform.monitoring().checkPartition(message);
            }
        };
        VigilPlatform.Builder builder = VigilPlatform.builder(VigilConfig.local(homes.resolve(name)))
                .eventPublisher(site.published::add).clock(site.clock);
        if (queue || nightlyFile) {
            builder.workQueue(work);
        }
        site.platform = (queue ? builder : builder.monitoringFanOutAbove(Integer.MAX_VALUE)).build();
        sites.add(site);
        byte[] zip = SampleModels.readmissionLogistic().zip();
        site.platform.artifacts().put(ArtifactStore.MODELS, "readmission.zip", new ByteArrayInputStream(zip), false);
        site.model = site.platform.registration().register(new BlobCreated("upload-1", ArtifactStore.MODELS,
                "readmission.zip", null, zip.length, null)).version().modelName();
        SetUpApproval.approve(site.platform, new ModelVersion(site.model, 1));
        site.platform.deployments().deploy(site.model, 1, Principal.SYSTEM);
        // Ten rows of each outcome, the fewest a dataset may have.
        String csv = "age,admission_type,payer,readmitted\n" + "71,emergency,public,1\n45,elective,private,0\n".repeat(10);
        site.platform.datasets().register(new EvaluationDataset.Declaration(site.model.value(), "eval.csv",
                "readmitted", "age", null, List.of("admission_type", "payer")), csv.getBytes(),
                new Principal("data-steward", Set.of(Role.DATASETS_REGISTER)));
        for (int h = 0; h < 4; h++) {
            SyntheticCohort cohort = SampleModels.readmissionCohort(300, 20 + h);
            List<ScoredRow> scored = score(site, cohort, h >= 2, START.plus(Duration.ofMinutes(60L * h + 7)));
            List<Map<String, Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                outcomes.add(Map.of("predictionId", scored.get(i).predictionId(), "outcome", i % 3 == 0 ? 1 : 0));
            }
            String body = Json.write(Map.of("model", site.model.value(), "outcomes", outcomes));
            site.platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));
        }
        if (nightlyFile) {
            SyntheticCohort nightly = SampleModels.readmissionCohort(400, 40);
            site.clock.set(START.plus(Duration.ofMinutes(150)));
            List<JsonNode> results = SetUpBatchJob.score(site.platform, site.model, "nightly.csv", nightly.records()
                    .stream().map(r -> MonitoringServiceTest.olderAndSicker(new LinkedHashMap<>(r))).toList(),
                    nightly.schema().names(), site.batchPartitions);
            List<Map<String, Object>> outcomes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                outcomes.add(Map.of("predictionId", results.get(i).get("predictionId").asText(),
                        "outcome", i % 4 == 0 ? 1 : 0));
            }
            String body = Json.write(Map.of("model", site.model.value(), "outcomes", outcomes));
            site.platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes()));
        }
        site.clock.set(END.plus(Duration.ofMinutes(5)));
        return site;
    }

    private static List<ScoredRow> score(Site site, SyntheticCohort cohort, boolean shifted, Instant at) {
        site.clock.set(at);
        List<PatientRow> rows = new ArrayList<>();
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> record = new LinkedHashMap<>(cohort.records().get(i));
            if (shifted) {
                MonitoringServiceTest.olderAndSicker(record);
            }
            rows.add(PatientRows.of("patient-" + at.getEpochSecond() + "-" + i, record));
        }
        return site.platform.scoring().score(new ScoreRequest(site.model, null, rows)).rows();
    }

    private static List<AuditRecord> auditRecords(Site site) {
        LocalDate day = LocalDate.ofInstant(START, ZoneOffset.UTC);
        return site.platform.audit().read(day, day.plusDays(2));
    }

    private static List<AuditRecord> checkRecords(Site site, String reportId) {
        return auditRecords(site).stream().filter(a -> a.action().equals(MonitoringService.CHECK_ACTION)
                && reportId.equals(a.details().get("reportId"))).toList();
    }
}

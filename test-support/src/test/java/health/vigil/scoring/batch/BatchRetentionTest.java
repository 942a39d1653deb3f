package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.events.BlobCreated;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.scoring.ExpiredBatchFiles;
import health.vigil.scoring.PredictionRetention;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.CapturedLog;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch files through the platform's real local stores, the platform's clock moved past the retention period: the
 * daily retention run removes the files of jobs that finished before its cut-off, leaves a tombstone the routes answer
 * 410 from, and keeps what is running, what finished inside the period and an input a running job still reads.
 */
class BatchRetentionTest {
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final String HEADER = "patientId,age,prior_inpatient_stays,hba1c,on_insulin,admission_type,"
            + "length_of_stay_days\n";

    @TempDir
    Path home;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T08:00:00Z"));
    private final ConcurrentLinkedQueue<String> queued = new ConcurrentLinkedQueue<>();
    private VigilPlatform platform;
    private ModelName model;

    @BeforeEach
    void aDeployedTreeModel() {
        VigilConfig config = new VigilConfig(VigilConfig.Mode.LOCAL, home, VigilConfig.Limits.DEFAULTS, RETENTION,
                Map.of());
        platform = VigilPlatform.builder(config).clock(clock).eventPublisher(event -> { })
                .workQueue((queue, id, message) -> queued.add(message)).build();
        model = SetUpApproval.deployFirstVersion(platform, SampleModels.readmissionTrees(), "trees.zip");
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void aJobThatFinishedBeforeTheCutoffLeavesOnlyATombstoneAndItsRoutesAnswerGone() {
        String id = completedJob("old.csv");
        clock.advance(RETENTION.plusDays(1));

        assertThat(platform.predictionRetention().purgeExpired().batchJobs()).isEqualTo(1);

        assertThat(outputOf(id)).containsExactly(id + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "old.csv")).isEmpty();
        assertThat(read(ArtifactStore.BATCH_OUTPUT, id + "/purged.json")).doesNotContain("secret-patient")
                .contains(id);
        String purgedOn = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
        Principal submitter = new Principal("analyst", Set.of(Role.BATCHES_SUBMIT));
        List<Runnable> routes = List.of(() -> platform.batches().status(id), () -> platform.batches().summary(id),
                () -> platform.batches().openResults(id), () -> platform.batches().status(id, submitter),
                () -> platform.batches().summary(id, submitter),
                () -> platform.batches().readResults(id, 0, 1024, submitter));
        for (Runnable route : routes) {
            assertThatThrownBy(route::run).isInstanceOfSatisfying(VigilException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.PURGED_BY_RETENTION);
                assertThat(e.httpStatus()).isEqualTo(410);
                assertThat(e.getMessage()).contains("removed by retention on " + purgedOn)
                        .contains("VIGIL_PREDICTION_RETENTION_DAYS").contains("30 days");
            });
        }
        assertThat(purgeRecords()).singleElement().satisfies(r -> {
            assertThat(r.details()).containsEntry("batchId", id).containsEntry("inputRemoved", "true");
            assertThat(r.subject()).isEqualTo(new ModelVersion(model, 1).subject());
        });
    }

    /**
     * What is left of a purged job still says who may read it: its submitter (however spelled) and Batches.ReadAll
     * are told it is gone, another team that submits batches and the writer of a dropped file are refused as they were
     * while the job's files were there, and learn none of its dates. A tombstone written before it kept the job's
     * origin answers Batches.ReadAll only.
     */
    @Test
    void aPurgedJobIsGoneOnlyForThoseWhoMayReadItAndAnEarlierTombstoneOnlyForReadAll() throws Exception {
        String requested = completedJob("old.csv");
        String dropped = model.value() + "/nightly.csv";
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, dropped, stream(HEADER + row(1)), true, "analyst");
        String uploaded = platform.batches().submitUpload(uploaded(dropped)).orElseThrow().id();
        drain();
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv", stream(HEADER + row(1)), true,
                "analyst");
        String failed = platform.batches().submitUpload(uploaded("no-such-model/nightly.csv")).orElseThrow().id();
        clock.advance(RETENTION.plusDays(1));
        assertThat(platform.predictionRetention().purgeExpired().batchJobs()).isEqualTo(3);

        Principal submitter = new Principal("Analyst", Set.of(Role.BATCHES_SUBMIT));
        Principal cardiology = new Principal("cardiology", Set.of(Role.BATCHES_SUBMIT));
        Principal operator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));
        assertEachRead(requested, submitter, ErrorCode.PURGED_BY_RETENTION, "removed by retention");
        assertEachRead(requested, cardiology, ErrorCode.FORBIDDEN, "was submitted by another caller");
        for (String id : List.of(uploaded, failed)) {
            assertEachRead(id, submitter, ErrorCode.FORBIDDEN, "was started by a file placed in batch-input");
        }
        for (String id : List.of(requested, uploaded, failed)) {
            assertEachRead(id, operator, ErrorCode.PURGED_BY_RETENTION, "removed by retention");
        }

        // The tombstone as a build before this one wrote it: ids, model, version and dates only.
        com.fasterxml.jackson.databind.node.ObjectNode earlier = (com.fasterxml.jackson.databind.node.ObjectNode)
                health.vigil.json.Json.readTree("a tombstone", read(ArtifactStore.BATCH_OUTPUT,
                        BatchService.purgedName(requested)).getBytes(StandardCharsets.UTF_8));
        assertThat(earlier.path("origin").asText()).isEqualTo("REQUEST");
        assertThat(earlier.path("submittedBy").asText()).isEqualTo("analyst");
        earlier.remove(List.of("submittedBy", "origin"));
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.purgedName(requested),
                new ByteArrayInputStream(health.vigil.json.Json.writeBytes(earlier)), true);
        assertEachRead(requested, submitter, ErrorCode.FORBIDDEN, "read with the role Batches.ReadAll");
        assertEachRead(requested, operator, ErrorCode.PURGED_BY_RETENTION, "removed by retention");
    }

    /**
     * The 410 a caller who may read a purged job is answered says which model and version scored it, as the tombstone
     * keeps them, beside the dates; a job that failed before it was planned has neither, and its 410 gives the dates.
     */
    @Test
    void aPurgedJobsGoneAnswerNamesTheModelAndVersionToThoseWhoMayReadIt() {
        String requested = completedJob("old.csv");
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv", stream(HEADER + row(1)), true);
        String failed = platform.batches().submitUpload(uploaded("no-such-model/nightly.csv")).orElseThrow().id();
        clock.advance(RETENTION.plusDays(1));
        platform.predictionRetention().purgeExpired();

        Principal submitter = new Principal("analyst", Set.of(Role.BATCHES_SUBMIT));
        Principal operator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));
        assertEachRead(requested, submitter, ErrorCode.PURGED_BY_RETENTION,
                "batch " + requested + " (model " + model.value() + " version 1) finished on");
        assertEachRead(requested, operator, ErrorCode.PURGED_BY_RETENTION, "(model " + model.value() + " version 1)");
        assertEachRead(failed, operator, ErrorCode.PURGED_BY_RETENTION, "batch " + failed + " finished on");
    }

    /** The job's status, summary and results, each refused for {@code reader} with {@code code} and {@code words}. */
    private void assertEachRead(String id, Principal reader, ErrorCode code, String words) {
        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> reads = List.of(
                () -> platform.batches().status(id, reader), () -> platform.batches().summary(id, reader),
                () -> platform.batches().readResults(id, 0, 1024, reader));
        String purgedOn = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
        for (var read : reads) {
            assertThatThrownBy(read).isInstanceOfSatisfying(VigilException.class, e -> {
                assertThat(e.code()).as(reader.id() + " reading " + id).isEqualTo(code);
                assertThat(e.getMessage()).contains(words);
                if (code != ErrorCode.PURGED_BY_RETENTION) {
                    assertThat(e.getMessage()).doesNotContain(purgedOn).doesNotContain("retention");
                }
            });
        }
    }

    @Test
    void aFailedUploadPastTheCutoffGoesWithItsFile() {
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv", stream(HEADER + row(1)), true);
        String id = platform.batches().submitUpload(uploaded("no-such-model/nightly.csv")).orElseThrow().id();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.FAILED);
        clock.advance(RETENTION.plusDays(1));

        platform.predictionRetention().purgeExpired();

        assertThat(outputOf(id)).containsExactly(id + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv")).isEmpty();
        assertThatThrownBy(() -> platform.batches().status(id)).isInstanceOfSatisfying(VigilException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.PURGED_BY_RETENTION));
    }

    @Test
    void aRunningJobAJobThatFinishedInsideThePeriodAndAnInputARunningJobReadsAreKept() {
        String old = completedJob("shared.csv");
        upload("shared.csv");
        String running = platform.batches().submit(new BatchRequest(model, null, "shared.csv", false), "analyst").id();
        List<String> runningPartitions = new ArrayList<>(queued);
        queued.clear();
        Map<String, String> runningFiles = snapshot(ArtifactStore.BATCH_OUTPUT, running + "/");
        clock.advance(RETENTION.minusDays(10));
        String recent = completedJob("recent.csv");
        clock.advance(Duration.ofDays(11)); // the old job is 31 days past its end, the recent one 11

        platform.predictionRetention().purgeExpired();

        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isPresent();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, running + "/")).isEqualTo(runningFiles);
        assertThat(platform.batches().status(running).state()).isEqualTo(BatchStatus.State.RUNNING);
        assertThat(platform.batches().status(recent).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "recent.csv")).isPresent();
        assertThat(purgeRecords()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("batchId", old).containsEntry("inputRemoved", "false"));
        // The running job still has its file, and completes.
        runningPartitions.forEach(platform.batches()::scorePartition);
        assertThat(platform.batches().status(running).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    @Test
    void aSecondRunTwoRunsAtOnceAndReplayedSubmissionsWriteNothingMore() throws Exception {
        upload("old.csv");
        BatchRequest request = new BatchRequest(model, null, "old.csv", false);
        String submitted = platform.batches().submit(request, "analyst", "nightly-2026-03-02").job().id();
        upload(model.value() + "/nightly.csv");
        BlobCreated event = uploaded(model.value() + "/nightly.csv");
        String byUpload = platform.batches().submitUpload(event).orElseThrow().id();
        drain();
        // A job still running reads the uploaded file too, so the file stays and its event can be replayed.
        platform.batches().submit(new BatchRequest(model, null, event.blobName(), false), "analyst");
        queued.clear();
        clock.advance(RETENTION.plusDays(1));

        CyclicBarrier start = new CyclicBarrier(2);
        CompletableFuture<Void> one = CompletableFuture.runAsync(() -> awaitThenPurge(start));
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> awaitThenPurge(start));
        one.get();
        other.get();
        Map<String, String> output = snapshot(ArtifactStore.BATCH_OUTPUT, "");
        Map<String, String> input = snapshot(ArtifactStore.BATCH_INPUT, "");
        int records = allRecords().size();

        clock.advance(Duration.ofMinutes(20)); // the timer fires again
        assertThat(platform.predictionRetention().purgeExpired().batchJobs()).isZero();
        assertThat(platform.batches().submitUpload(event)).isEmpty();
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst", "nightly-2026-03-02"))
                .isInstanceOfSatisfying(VigilException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.PURGED_BY_RETENTION));
        clock.advance(Duration.ofDays(1)); // and the next day
        assertThat(platform.predictionRetention().purgeExpired().batchJobs()).isZero();

        assertThat(outputOf(submitted)).containsExactly(submitted + "/purged.json");
        assertThat(outputOf(byUpload)).containsExactly(byUpload + "/purged.json");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).isEqualTo(output);
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "")).isEqualTo(input).containsOnlyKeys(event.blobName());
        assertThat(queued).isEmpty();
        assertThat(purgeRecords()).extracting(r -> r.details().get("batchId"))
                .containsExactlyInAnyOrder(submitted, byUpload);
        // The next day's run adds its prediction.retention record of the cut-off, and nothing else.
        assertThat(allRecords()).hasSize(records + 1);
    }

    /**
     * A partition's message delivered again after its job was purged (a late redelivery) is done at once: it does not
     * fail on the missing plan, to be retried into the poison queue, and it writes, records and queues nothing.
     */
    @Test
    void aLateMessageOfAPurgedJobIsDoneWithNothingWritten() {
        PurgedJob purged = purgedJob("late.csv");
        String id = purged.id();
        Map<String, String> output = snapshot(ArtifactStore.BATCH_OUTPUT, "");
        int records = allRecords().size();

        for (String late : purged.messages()) {
            assertThatCode(() -> platform.batches().scorePartition(late)).doesNotThrowAnyException();
        }

        assertThat(outputOf(id)).containsExactly(id + "/purged.json");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).isEqualTo(output);
        assertThat(allRecords()).hasSize(records);
        assertThat(queued).isEmpty();
    }

    /** A job submitted on {@code file} and scored, with the partition messages it queued, then purged by retention. */
    private PurgedJob purgedJob(String file) {
        upload(file);
        String id = platform.batches().submit(new BatchRequest(model, null, file, false), "analyst").id();
        List<String> messages = new ArrayList<>(queued);
        drain();
        clock.advance(RETENTION.plusDays(1));
        platform.predictionRetention().purgeExpired();
        return new PurgedJob(id, messages);
    }

    private record PurgedJob(String id, List<String> messages) {}

    /**
     * A partition's message that reached the poison queue after its job was purged (one retried there before a purge,
     * or sent again by hand) is taken for what it is: its job was purged, not "no planned job"; nothing is written,
     * recorded or queued.
     */
    @Test
    void aPoisonedMessageOfAPurgedJobIsSaidToBePurgedWithNothingWritten() {
        PurgedJob purged = purgedJob("poisoned.csv");
        String id = purged.id();
        Map<String, String> output = snapshot(ArtifactStore.BATCH_OUTPUT, "");
        int records = allRecords().size();

        for (String poisoned : purged.messages()) {
            assertThat(platform.batches().partitionAbandoned(poisoned))
                    .extracting(BatchService.AbandonedPartition::batchId, BatchService.AbandonedPartition::outcome)
                    .containsExactly(id, BatchService.Abandoned.JOB_PURGED);
        }

        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).isEqualTo(output);
        assertThat(allRecords()).hasSize(records);
        assertThat(queued).isEmpty();
    }

    /**
     * A message delivered while a purge is under way, once the tombstone is written and only the plan is left: the job
     * completed long ago and is not failed for the input the purge removed, nor are its files written again.
     */
    @Test
    void aMessageDeliveredWhileItsJobIsPurgedLeavesNothingBehindAndFailsNothing() {
        upload("purging.csv");
        String id = platform.batches().submit(new BatchRequest(model, null, "purging.csv", false), "analyst").id();
        List<String> messages = new ArrayList<>(queued);
        drain();
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore deliveringBeforeThePlanGoes = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public void delete(String container, String name) {
                if (name.equals(BatchService.jobName(id))) {
                    messages.forEach(platform.batches()::scorePartition);
                }
                store.delete(container, name);
            }
        };

        new BatchRetention(deliveringBeforeThePlanGoes, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(outputOf(id)).containsExactly(id + "/purged.json");
        assertThat(allRecords()).noneMatch(r -> r.action().equals(BatchService.AUDIT_FAILED));
        assertThat(queued).isEmpty();
    }

    @Test
    void whereTheStoreKeepsNoDigestOfItsOwnAFileOfTheSameSizePutSinceStaysAndTheJobsOwnGoes() {
        String replacedJob = completedJob("replaced.csv");
        String original = read(ArtifactStore.BATCH_INPUT, "replaced.csv");
        String sameSize = original.replace("secret-patient-1,", "secret-patient-9,");
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, "replaced.csv", stream(sameSize), true);
        completedJob("own.csv");
        clock.advance(RETENTION.plusDays(1));
        // As Blob Storage without the platform's metadata: no digest, and none the store computed itself.
        ArtifactStore withoutDigests = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public Optional<StoredArtifact> describe(String container, String name) {
                return store.describe(container, name).map(a -> new StoredArtifact(a.container(), a.name(), a.size(),
                        null, a.etag(), a.uploadedBy()));
            }

            @Override
            public boolean computesItsOwnSha256() {
                return false;
            }
        };

        new BatchRetention(withoutDigests, platform.audit(), clock).purgeFinishedBefore(clock.instant().minus(RETENTION),
                RETENTION);

        assertThat(outputOf(replacedJob)).containsExactly(replacedJob + "/purged.json");
        assertThat(read(ArtifactStore.BATCH_INPUT, "replaced.csv")).as("another file of the same size").isEqualTo(sameSize);
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "own.csv")).as("the job's own file, read again")
                .isEmpty();
    }

    /**
     * Two purges at once: the other removes the job's input between this one's describe and its read of the file (the
     * local store then describes it without its metadata's digest). Gone is not the job's file to keep: the purge
     * completes, once.
     */
    @Test
    void anInputRemovedByAnotherPurgeWhileThisOneReadsItIsTakenAsGone() {
        String id = completedJob("gone.csv");
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore removedMeanwhile = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public Optional<StoredArtifact> describe(String container, String name) {
                Optional<StoredArtifact> found = store.describe(container, name);
                if (container.equals(ArtifactStore.BATCH_INPUT) && found.isPresent()) {
                    store.delete(container, name);
                    StoredArtifact a = found.get();
                    return Optional.of(new StoredArtifact(a.container(), a.name(), a.size(), null, a.etag(),
                            a.uploadedBy()));
                }
                return found;
            }
        };

        new BatchRetention(removedMeanwhile, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(outputOf(id)).containsExactly(id + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "gone.csv")).isEmpty();
    }

    /**
     * A job whose files cannot be read keeps no other job's patient files: every other job past the cut-off is
     * purged in the same run, and the run still fails at the end so that the timer counts it and runs again.
     */
    @Test
    void aJobWhoseFilesCannotBeReadKeepsNoOtherJobsFiles() {
        String one = completedJob("one.csv");
        String two = completedJob("two.csv");
        // Jobs are purged in the order of their ids: the first one fails.
        String unreadable = one.compareTo(two) < 0 ? one : two;
        String other = unreadable.equals(one) ? two : one;
        String otherInput = unreadable.equals(one) ? "two.csv" : "one.csv";
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore failingOnOne = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public java.io.InputStream open(String container, String name) {
                if (container.equals(ArtifactStore.BATCH_OUTPUT) && name.startsWith(unreadable + "/")) {
                    throw new health.vigil.error.StoreException("the store did not answer (test)", null);
                }
                return store.open(container, name);
            }
        };

        assertThatThrownBy(() -> new BatchRetention(failingOnOne, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION)).hasMessageContaining("the store did not answer");

        assertThat(outputOf(other)).containsExactly(other + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, otherInput)).isEmpty();
        assertThat(outputOf(unreadable)).contains(unreadable + "/job.json");
    }

    /**
     * A file put under {@code requests/} for a {@code POST /batches} that never named it belongs to no job: it goes
     * once the store last wrote it before the cut-off, audited without its contents, and a second run adds nothing.
     * A file written inside the period, or one that a running job, a job finished inside the period or a request sent
     * inside the period names, stays whatever its age.
     */
    @Test
    void aRequestFileNoJobNamesGoesOnceOlderThanThePeriodAndOneAJobOrARecentRequestNamesStays() {
        Instant start = clock.instant();
        uploadWrittenOn("requests/forgotten.csv", start);
        uploadWrittenOn("requests/refused-long-ago.csv", start);
        refusedKeyedRequest("requests/refused-long-ago.csv", "long-ago");
        uploadWrittenOn("requests/running.csv", start);
        String running = platform.batches().submit(new BatchRequest(model, null, "requests/running.csv", false),
                "analyst").id();
        List<String> runningPartitions = new ArrayList<>(queued);
        queued.clear();
        uploadWrittenOn("requests/finished-inside.csv", start);
        clock.advance(Duration.ofDays(25));
        uploadWrittenOn("requests/recent.csv", clock.instant());
        String finishedInside = platform.batches().submit(new BatchRequest(model, null, "requests/finished-inside.csv",
                false), "analyst").id();
        drain();
        uploadWrittenOn("requests/refused-recently.csv", start);
        refusedKeyedRequest("requests/refused-recently.csv", "recently");
        clock.advance(Duration.ofDays(6)); // the cut-off is a day after the start

        assertThat(platform.predictionRetention().purgeExpired().batchRequestFiles()).isEqualTo(2);

        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).containsOnlyKeys("requests/running.csv",
                "requests/finished-inside.csv", "requests/recent.csv", "requests/refused-recently.csv");
        assertThat(platform.batches().status(finishedInside).state()).isEqualTo(BatchStatus.State.COMPLETED);
        Instant cutoff = clock.instant().minus(RETENTION);
        List<AuditRecord> removals = allRecords().stream().filter(r -> r.action().equals("batch.input.purged"))
                .toList();
        assertThat(removals).extracting(AuditRecord::subject).containsExactlyInAnyOrder(
                "batch-input/requests/forgotten.csv", "batch-input/requests/refused-long-ago.csv");
        assertThat(removals).allSatisfy(r -> {
            assertThat(r.actor()).isEqualTo("system:retention");
            assertThat(r.outcome()).isEqualTo("purged");
            assertThat(r.details()).containsEntry("lastModified", start.toString())
                    .containsEntry("cutoff", cutoff.toString()).containsEntry("retentionDays", "30")
                    .containsEntry("input", r.subject());
            assertThat(r.toString()).doesNotContain("secret-patient");
        });
        int records = allRecords().size();
        Map<String, String> input = snapshot(ArtifactStore.BATCH_INPUT, "");

        assertThat(platform.predictionRetention().purgeExpired().batchRequestFiles()).as("the timer again").isZero();
        assertThat(allRecords()).hasSize(records);
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "")).isEqualTo(input);
        // The running job still has its file, and completes.
        runningPartitions.forEach(platform.batches()::scorePartition);
        assertThat(platform.batches().status(running).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * A request file that cannot be removed keeps no other: the others go in the same run, which still fails at the
     * end; the next run removes it under the record already made.
     */
    @Test
    void aRequestFileThatCannotBeRemovedKeepsNoOtherAndTheNextRunFinishesItUnderTheSameRecord() {
        uploadWrittenOn("requests/a.csv", clock.instant());
        uploadWrittenOn("requests/b.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore failingOnA = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                if (name.equals("requests/a.csv")) {
                    throw new health.vigil.error.StoreException("the store did not answer (test)", null);
                }
                return store.delete(container, name, ifMatch);
            }
        };

        assertThatThrownBy(() -> new BatchRetention(failingOnA, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION)).hasMessageContaining("the store did not answer");

        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).containsOnlyKeys("requests/a.csv");
        new BatchRetention(platform.artifacts(), platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).isEmpty();
        assertThat(allRecords()).filteredOn(r -> r.action().equals("batch.input.purged"))
                .extracting(AuditRecord::subject)
                .containsExactlyInAnyOrder("batch-input/requests/a.csv", "batch-input/requests/b.csv");
    }

    /**
     * A request file written again between the run's decision that it expired and its removal (the analyst uploads it
     * anew to send the {@code POST /batches} that names it) is another file: it stays, counted as kept, with no record
     * saying it was purged, and the job that names it scores it. Before, the run removed the new file, and such a job
     * failed as its input removed; later, it kept the file under a record of its removal, made before the removal.
     */
    @Test
    void aRequestFileWrittenAgainBetweenTheDecisionAndTheRemovalStaysCountedAsKeptAndUnrecorded() {
        uploadWrittenOn("requests/forgotten.csv", clock.instant());
        uploadWrittenOn("requests/sent-again.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        List<String> writtenAgain = new ArrayList<>();
        ArtifactStore writingAgainBeforeRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            private void writeAgain(String container, String name) {
                if (name.equals("requests/sent-again.csv") && writtenAgain.isEmpty()) {
                    writtenAgain.add(name);
                    upload(name);
                }
            }

            @Override
            public void delete(String container, String name) {
                writeAgain(container, name);
                store.delete(container, name);
            }

            @Override
            public boolean delete(String container, String name, String ifMatch) {
                writeAgain(container, name);
                return store.delete(container, name, ifMatch);
            }
        };

        ExpiredBatchFiles.Removed removed = new BatchRetention(writingAgainBeforeRemoval, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION);

        assertThat(writtenAgain).containsExactly("requests/sent-again.csv");
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).containsOnlyKeys("requests/sent-again.csv");
        assertThat(removed).isEqualTo(new ExpiredBatchFiles.Removed(0, 1, 1));
        assertThat(allRecords()).filteredOn(r -> r.action().equals("batch.input.purged"))
                .extracting(AuditRecord::subject).containsExactly("batch-input/requests/forgotten.csv");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        String id = platform.batches().submit(new BatchRequest(model, null, "requests/sent-again.csv", false),
                "analyst").id();
        drain();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * A run that stops after removing a request file and before recording it (the host is stopped between the two)
     * leaves the removal marked; the next run records it, once, and a run after that adds nothing.
     */
    @Test
    void aRunThatStopsBetweenARemovalAndItsRecordLeavesTheRecordToTheNextRunOnce() {
        uploadWrittenOn("requests/forgotten.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore stoppingAfterRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                boolean removed = store.delete(container, name, ifMatch);
                throw new IllegalStateException("the host stopped (test), removed: " + removed);
            }
        };

        assertThatThrownBy(() -> new BatchRetention(stoppingAfterRemoval, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION))
                .hasMessageContaining("the host stopped (test), removed: true");
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).isEmpty();
        assertThat(allRecords()).filteredOn(r -> r.action().equals("batch.input.purged")).isEmpty();

        clock.advance(BatchRetention.STOPPED_AFTER.plusMinutes(1));
        platform.predictionRetention().purgeExpired();
        platform.predictionRetention().purgeExpired();

        assertThat(allRecords()).filteredOn(r -> r.action().equals("batch.input.purged")).singleElement()
                .satisfies(r -> assertThat(r.subject()).isEqualTo("batch-input/requests/forgotten.csv"));
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
    }

    /**
     * A {@code POST /batches} naming an old request file while a retention run removes it, after the run's last look
     * at the jobs: the request finds the file marked as being removed and is refused (409, saying to upload the file
     * again), and no job is planned on it. Before, the job was planned and accepted, and then failed as its input was
     * removed under it.
     */
    @Test
    void aRequestNamingAFileTheRetentionIsRemovingIsRefusedAndNoJobIsPlannedOnIt() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        List<String> planned = new ArrayList<>();
        List<VigilException> refused = new ArrayList<>();
        ArtifactStore namedBeforeRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                if (name.equals("requests/old.csv") && planned.isEmpty() && refused.isEmpty()) {
                    try {
                        planned.add(platform.batches().submit(new BatchRequest(model, null, name, false), "analyst")
                                .id());
                    } catch (VigilException e) {
                        refused.add(e);
                    }
                }
                return store.delete(container, name, ifMatch);
            }
        };

        new BatchRetention(namedBeforeRemoval, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(planned).as("a job planned on a file removed under it").isEmpty();
        assertThat(refused).singleElement().satisfies(e -> {
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.getMessage()).contains("requests/old.csv").contains("upload the file again");
        });
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).isEmpty();
        assertThat(queued).isEmpty();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).isEmpty();
    }

    /**
     * A removal's marker left by a run that stopped before the removal took effect (the file, the same version, is
     * still there), older than {@link BatchRetention#STOPPED_AFTER}, turns no request away: the request is planned,
     * and the next run finishes the removal by keeping the file for the job, with no record. Before, every such
     * request was refused with 409 until the next run.
     */
    @Test
    void aMarkerLeftByARunThatStoppedRefusesNoRequestAndTheNextRunKeepsTheFileForItsJob() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore stoppingBeforeTheRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                throw new IllegalStateException("the host stopped (test)");
            }
        };
        assertThatThrownBy(() -> new BatchRetention(stoppingBeforeTheRemoval, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION))
                .hasMessageContaining("the host stopped (test)");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).hasSize(1);
        clock.advance(BatchRetention.STOPPED_AFTER.plusMinutes(1));

        String id = platform.batches().submit(new BatchRequest(model, null, "requests/old.csv", false), "analyst")
                .id();
        PredictionRetention.Purge next = platform.predictionRetention().purgeExpired();

        assertThat(next.batchRequestFiles()).isZero();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "requests/old.csv")).isPresent();
        assertThat(allRecords()).filteredOn(r -> r.action().equals(BatchRetention.AUDIT_UNCLAIMED_PURGED)).isEmpty();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        drain();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * Two runs at once (the timer and one started by hand) mark the same old request file, each under its own name.
     * Run A, seeing a request that names the file at its last look, keeps the file and takes its mark away; run B,
     * which looked before that request, goes on to remove it. A {@code POST /batches} between the two still finds B's
     * mark and is refused (409), and no job is planned on the file B removes. Before, both runs used one marker, A's
     * removal of it cleared B's, and the request was planned on the file B then removed.
     */
    @Test
    void aRunThatKeepsAFileLeavesAnotherRunsMarkAndARequestBetweenThemIsRefused() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        BatchRequest keyed = new BatchRequest(model, null, "requests/old.csv", false);
        List<VigilException> keyedRefused = new ArrayList<>();
        ArtifactStore runA = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                ArtifactStore.StoredArtifact marked = store.put(container, name, content, overwrite);
                if (name.startsWith(BatchRetention.REMOVALS) && keyedRefused.isEmpty()) {
                    // A keyed request refused as the file is marked: the request it stored names the file to A.
                    assertThatThrownBy(() -> platform.batches().submit(keyed, "analyst", "between-runs"))
                            .isInstanceOfSatisfying(VigilException.class, keyedRefused::add);
                }
                return marked;
            }
        };
        List<String> planned = new ArrayList<>();
        List<VigilException> refused = new ArrayList<>();
        List<ExpiredBatchFiles.Removed> runsA = new ArrayList<>();
        ArtifactStore runB = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                if (container.equals(ArtifactStore.BATCH_INPUT) && runsA.isEmpty()) {
                    runsA.add(new BatchRetention(runA, platform.audit(), clock).purgeFinishedBefore(
                            clock.instant().minus(RETENTION), RETENTION));
                    try {
                        planned.add(platform.batches().submit(new BatchRequest(model, null, name, false), "analyst")
                                .id());
                    } catch (VigilException e) {
                        refused.add(e);
                    }
                }
                return store.delete(container, name, ifMatch);
            }
        };

        ExpiredBatchFiles.Removed removedByB = new BatchRetention(runB, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(keyedRefused).singleElement().satisfies(e -> assertThat(e.httpStatus()).isEqualTo(409));
        assertThat(runsA).singleElement().satisfies(a -> assertThat(a.requestFiles()).isZero());
        assertThat(planned).as("a job planned on a file removed under it").isEmpty();
        assertThat(refused).singleElement().satisfies(e -> {
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.getMessage()).contains("requests/old.csv").contains("upload the file again");
        });
        assertThat(removedByB.requestFiles()).isEqualTo(1);
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).isEmpty();
        assertThat(queued).isEmpty();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
    }

    /**
     * A marker as the build before this one wrote it, one per file version: a fresh one still turns a request away;
     * one a run that stopped left is finished by the next run, which records the removal it took effect for, once.
     */
    @Test
    void aMarkerInTheEarlierOnePerVersionFormStillRefusesARequestAndIsFinished() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        Instant written = clock.instant();
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore.StoredArtifact old = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "requests/old.csv")
                .orElseThrow();
        String marker = BatchRetention.removalsOf(old.name(), old.etag()) + ".json";
        Instant cutoff = clock.instant().minus(RETENTION);
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, marker, new ByteArrayInputStream(
                health.vigil.json.Json.writeBytes(new BatchRetention.Removal(old.name(), old.etag(), written, cutoff,
                        RETENTION.toDays(), clock.instant(), null))), true);

        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "requests/old.csv", false),
                "analyst")).isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.httpStatus())
                        .isEqualTo(409));

        platform.artifacts().delete(ArtifactStore.BATCH_INPUT, "requests/old.csv"); // the run removed it, then stopped
        clock.advance(BatchRetention.STOPPED_AFTER.plusMinutes(1));
        platform.predictionRetention().purgeExpired();
        platform.predictionRetention().purgeExpired();

        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        assertThat(allRecords()).filteredOn(r -> r.action().equals(BatchRetention.AUDIT_UNCLAIMED_PURGED))
                .singleElement().satisfies(r -> assertThat(r.details()).containsEntry("lastModified",
                        written.toString()).containsEntry("input", "batch-input/requests/old.csv"));
    }

    /**
     * A removal's marker that does not read as JSON, written within {@link BatchRetention#STOPPED_AFTER} by the store's
     * time, may be a run's under way: the request is refused with the 409 of any fresh mark, saying what to do, and
     * no job is planned. Before, every request naming the file was refused as malformed JSON, for good.
     */
    @Test
    void anUnreadableMarkerWrittenWithinTheHourRefusesARequestAsAFreshMarkDoes() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        unreadableMarkerOf("requests/old.csv", clock.instant().minus(BatchRetention.STOPPED_AFTER.minusMinutes(1)));

        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "requests/old.csv", false),
                "analyst")).isInstanceOfSatisfying(VigilException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("requests/old.csv").contains("being removed by the daily"
                            + " retention").contains("upload the file again, then send the request again");
                });
        assertThat(queued).isEmpty();
    }

    /**
     * The same marker last written longer ago than {@link BatchRetention#STOPPED_AFTER} refuses nothing: the request
     * is planned and its job completes, and the next run removes the marker with one WARNING naming it, keeping the
     * file the job names, without failing. Before, the request was refused as malformed JSON and every run failed on
     * the marker, which stayed.
     */
    @Test
    void anUnreadableMarkerOlderThanTheHourRefusesNothingAndTheNextRunRemovesItWithAWarning() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        String marker = unreadableMarkerOf("requests/old.csv",
                clock.instant().minus(BatchRetention.STOPPED_AFTER.plusMinutes(1)));

        String id = platform.batches().submit(new BatchRequest(model, null, "requests/old.csv", false), "analyst")
                .id();
        drain();
        try (CapturedLog log = CapturedLog.of(BatchRetention.class)) {
            assertThatCode(() -> platform.predictionRetention().purgeExpired()).doesNotThrowAnyException();

            assertThat(log.records()).singleElement().satisfies(line -> {
                assertThat(line.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
                assertThat(line.getMessage()).contains("removed the marker " + ArtifactStore.BATCH_OUTPUT + "/"
                        + marker + ", which could not be read");
            });
        }

        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "requests/old.csv")).isPresent();
    }

    /**
     * A marker of the removal of {@code name}'s version now in the store that is not JSON, as the store keeps it when
     * it was last written at {@code when}; returns its name.
     */
    private String unreadableMarkerOf(String name, Instant when) {
        ArtifactStore.StoredArtifact file = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, name)
                .orElseThrow();
        String marker = BatchRetention.removalName(file.name(), file.etag(), "3b9e6f0a-5c1d-4e2f-8a7b-9c0d1e2f3a4b");
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, marker, stream("{\"input\": \"requests/old"), true);
        touch(ArtifactStore.BATCH_OUTPUT, marker, when);
        return marker;
    }

    /**
     * A {@code POST /batches} that names an old request file before a retention run's last look at the jobs keeps it:
     * the run sees the request and leaves the file, and the job scores it.
     */
    @Test
    void aRequestNamingAnOldFileBeforeTheRunsLastLookKeepsItForItsJob() {
        uploadWrittenOn("requests/old.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        List<String> planned = new ArrayList<>();
        ArtifactStore namedWhileMarking = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                if (name.startsWith(BatchRetention.REMOVALS) && planned.isEmpty()) {
                    planned.add(platform.batches().submit(new BatchRequest(model, null, "requests/old.csv", false),
                            "analyst").id());
                }
                return store.put(container, name, content, overwrite);
            }
        };

        ExpiredBatchFiles.Removed removed = new BatchRetention(namedWhileMarking, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION);

        assertThat(removed.requestFiles()).isZero();
        assertThat(snapshot(ArtifactStore.BATCH_INPUT, "requests/")).containsOnlyKeys("requests/old.csv");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        drain();
        assertThat(platform.batches().status(planned.get(0)).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * A {@code POST /batches} naming the input of a job the run purges (a file unchanged since that job read it, older
     * than the period) after the run's look at the jobs: the request finds the input marked as being removed and is
     * refused (409, saying to upload the file again), and no job is planned on it. Before, the job was planned and
     * accepted, and then failed as its input was removed under it.
     */
    @Test
    void aRequestNamingTheInputOfAJobBeingPurgedIsRefusedAndNoJobIsPlannedOnIt() {
        String old = completedJob("shared.csv");
        clock.advance(RETENTION.plusDays(1));
        List<String> planned = new ArrayList<>();
        List<VigilException> refused = new ArrayList<>();
        ArtifactStore namedBeforeRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            private void nameIt(String container, String name) {
                if (container.equals(ArtifactStore.BATCH_INPUT) && name.equals("shared.csv") && planned.isEmpty()
                        && refused.isEmpty()) {
                    try {
                        planned.add(platform.batches().submit(new BatchRequest(model, null, name, false), "analyst")
                                .id());
                    } catch (VigilException e) {
                        refused.add(e);
                    }
                }
            }

            @Override
            public void delete(String container, String name) {
                nameIt(container, name);
                store.delete(container, name);
            }

            @Override
            public boolean delete(String container, String name, String ifMatch) {
                nameIt(container, name);
                return store.delete(container, name, ifMatch);
            }
        };

        new BatchRetention(namedBeforeRemoval, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(planned).as("a job planned on an input removed under it").isEmpty();
        assertThat(refused).singleElement().satisfies(e -> {
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.getMessage()).contains("shared.csv").contains("upload the file again");
        });
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isEmpty();
        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).containsOnlyKeys(old + "/purged.json");
        assertThat(queued).isEmpty();
    }

    /**
     * A {@code POST /batches} that names the input of a job being purged before the run's last look at the jobs keeps
     * it: the job is purged, its tombstone says the input stayed, and the new job scores the file.
     */
    @Test
    void aRequestNamingTheInputOfAJobBeingPurgedBeforeTheRunsLastLookKeepsItForTheNewJob() {
        String old = completedJob("shared.csv");
        clock.advance(RETENTION.plusDays(1));
        List<String> planned = new ArrayList<>();
        ArtifactStore namedWhileMarking = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                if (name.startsWith(BatchRetention.REMOVALS) && planned.isEmpty()) {
                    planned.add(platform.batches().submit(new BatchRequest(model, null, "shared.csv", false),
                            "analyst").id());
                }
                return store.put(container, name, content, overwrite);
            }
        };

        new BatchRetention(namedWhileMarking, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(planned).hasSize(1);
        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(health.vigil.json.Json.readTree("a tombstone", read(ArtifactStore.BATCH_OUTPUT,
                old + "/purged.json")).path("inputRemoved").asBoolean(true)).isFalse();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isPresent();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
        drain();
        assertThat(platform.batches().status(planned.get(0)).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * The input of a job past the cut-off that a job which finished inside the period read too (the same file,
     * unchanged) is kept for the newer job until that job expires: the older job's tombstone and record say the input
     * stayed, and the newer job's purge removes it. Before, the older job's purge removed it.
     */
    @Test
    void anInputThatAJobFinishedInsideThePeriodReadIsKeptUntilThatJobExpires() {
        String old = completedJob("shared.csv");
        clock.advance(Duration.ofDays(20));
        String newer = platform.batches().submit(new BatchRequest(model, null, "shared.csv", false), "analyst").id();
        drain();
        clock.advance(Duration.ofDays(11)); // the old job is 31 days past its end, the newer one 11

        platform.predictionRetention().purgeExpired();

        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(tombstoneSaysInputRemoved(old)).isFalse();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isPresent();
        assertThat(platform.batches().status(newer).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(purgeRecords()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("batchId", old).containsEntry("inputRemoved", "false"));
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();

        clock.advance(Duration.ofDays(20)); // the newer job is 31 days past its end
        platform.predictionRetention().purgeExpired();

        assertThat(outputOf(newer)).containsExactly(newer + "/purged.json");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isEmpty();
        assertThat(purgeRecords()).filteredOn(r -> r.details().get("batchId").equals(newer)).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("inputRemoved", "true"));
    }

    /**
     * A job that names the input of a job being purged before the run's last look at the jobs, and finishes before
     * that look (a small file): it read the input inside the period, so the input is kept for it.
     */
    @Test
    void aJobThatReadTheInputOfAJobBeingPurgedAndFinishedBeforeTheRunsLastLookKeepsIt() {
        String old = completedJob("shared.csv");
        clock.advance(RETENTION.plusDays(1));
        List<String> finished = new ArrayList<>();
        ArtifactStore finishedWhileMarking = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                if (name.startsWith(BatchRetention.REMOVALS) && finished.isEmpty()) {
                    finished.add(platform.batches().submit(new BatchRequest(model, null, "shared.csv", false),
                            "analyst").id());
                    drain();
                }
                return store.put(container, name, content, overwrite);
            }
        };

        new BatchRetention(finishedWhileMarking, platform.audit(), clock).purgeFinishedBefore(
                clock.instant().minus(RETENTION), RETENTION);

        assertThat(finished).hasSize(1);
        assertThat(platform.batches().status(finished.get(0)).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(tombstoneSaysInputRemoved(old)).isFalse();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isPresent();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, BatchRetention.REMOVALS)).isEmpty();
    }

    /**
     * A request under an {@code Idempotency-Key} sent again longer than the period after it was first sent (refused
     * then: its file was not there yet) claims its file anew: a retention run while it is being planned keeps the
     * file, and the job scores it. Before, its request, dated by the first send, claimed nothing, and the file was
     * removed under the job.
     */
    @Test
    void aKeyedRequestSentAgainAfterThePeriodClaimsItsFileAnewWhileItIsPlanned() {
        BatchRequest request = new BatchRequest(model, null, "requests/late.csv", false);
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst", "late-key"))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
        String id = java.util.UUID.nameUUIDFromBytes("batches|analyst|late-key".getBytes(StandardCharsets.UTF_8))
                .toString();
        touch(ArtifactStore.BATCH_OUTPUT, BatchService.requestName(id), clock.instant());
        uploadWrittenOn("requests/late.csv", clock.instant());
        clock.advance(RETENTION.plusDays(1));
        List<ExpiredBatchFiles.Removed> runs = new ArrayList<>();
        ArtifactStore purgingWhilePlanned = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                if (name.equals(BatchService.jobName(id)) && runs.isEmpty()) {
                    runs.add(new BatchRetention(platform.artifacts(), platform.audit(), clock).purgeFinishedBefore(
                            clock.instant().minus(RETENTION), RETENTION));
                }
                return store.put(container, name, content, overwrite);
            }
        };
        BatchService batches = new BatchService(platform.registry(), platform.scoring().models(), purgingWhilePlanned,
                platform.predictionLog(), new health.vigil.privacy.Pseudonymizer(new byte[32]), platform.audit(),
                event -> { }, (queue, key, message) -> queued.add(message), clock, BatchSettings.DEFAULTS,
                platform.telemetry());

        BatchService.Submission sent = batches.submit(request, "analyst", "late-key");

        assertThat(sent.job().id()).isEqualTo(id);
        assertThat(runs).singleElement().satisfies(r -> assertThat(r.requestFiles()).isZero());
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "requests/late.csv")).isPresent();
        assertThat(read(ArtifactStore.BATCH_OUTPUT, BatchService.requestName(id))).contains("requests/late.csv");
        drain();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * The request a {@code POST /batches} under an {@code Idempotency-Key} stored before it was refused, with no job
     * planned, goes once the store last wrote it before the cut-off, counted in the run's result; one written inside
     * the period, and one beside which a job was planned, stay. A second run removes nothing more. Before, such a
     * request stayed for good: no job of it ever finished, so no purge reached it.
     */
    @Test
    void aKeyedRequestRefusedBeforeAJobWasPlannedGoesOnceOlderThanThePeriod() {
        refusedKeyedRequest("requests/long-ago.csv", "long-ago");
        String longAgo = keyedId("long-ago");
        uploadWrittenOn("requests/planned.csv", clock.instant());
        String planned = platform.batches().submit(new BatchRequest(model, null, "requests/planned.csv", false),
                "analyst", "planned").job().id();
        touch(ArtifactStore.BATCH_OUTPUT, BatchService.requestName(planned), clock.instant());
        clock.advance(Duration.ofDays(25));
        refusedKeyedRequest("requests/recently.csv", "recently");
        String recently = keyedId("recently");
        clock.advance(Duration.ofDays(6)); // the first two are 31 days old, the last 6
        Map<String, String> plannedFiles = snapshot(ArtifactStore.BATCH_OUTPUT, planned + "/");

        PredictionRetention.Purge purge = platform.predictionRetention().purgeExpired();

        assertThat(purge.batchStoredRequests()).isEqualTo(1);
        assertThat(outputOf(longAgo)).isEmpty();
        assertThat(outputOf(recently)).containsExactly(BatchService.requestName(recently));
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, planned + "/")).isEqualTo(plannedFiles)
                .containsKey(BatchService.requestName(planned));
        assertThat(platform.predictionRetention().purgeExpired().batchStoredRequests()).as("the timer again").isZero();
        drain();
        assertThat(platform.batches().status(planned).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * A keyed request refused long ago and sent again under its key while the run removes its stored request (the file
     * is there now): the resend writes the request again before it looks at the file, so the run's removal of the
     * version it listed is refused, and the job planned keeps its request.
     */
    @Test
    void aKeyedRequestSentAgainWhileTheRunRemovesItsStoredRequestKeepsIt() {
        BatchRequest request = new BatchRequest(model, null, "requests/late.csv", false);
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst", "late-key"))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
        String id = keyedId("late-key");
        touch(ArtifactStore.BATCH_OUTPUT, BatchService.requestName(id), clock.instant());
        clock.advance(RETENTION.plusDays(1));
        upload("requests/late.csv");
        List<BatchService.Submission> sent = new ArrayList<>();
        ArtifactStore sentAgainBeforeRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                if (name.equals(BatchService.requestName(id)) && sent.isEmpty()) {
                    sent.add(platform.batches().submit(request, "analyst", "late-key"));
                }
                return store.delete(container, name, ifMatch);
            }
        };

        ExpiredBatchFiles.Removed removed = new BatchRetention(sentAgainBeforeRemoval, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION);

        assertThat(sent).singleElement().satisfies(s -> assertThat(s.job().id()).isEqualTo(id));
        assertThat(removed.storedRequests()).isZero();
        assertThat(outputOf(id)).contains(BatchService.requestName(id), BatchService.jobName(id));
        drain();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * A run that stopped after writing a job's tombstone and before removing its input (here the removal failed), and
     * a newer job that named the input before the next run: the next run keeps the input for the newer job, and the
     * tombstone and the job's record say the input stayed; a run after that changes nothing. Before, the tombstone
     * (and the record, made before the removal) said the input was removed.
     */
    @Test
    void aTombstoneThatSaidTheInputWouldGoSaysItStayedOnceANewerJobKeepsIt() {
        String old = completedJob("shared.csv");
        clock.advance(RETENTION.plusDays(1));
        ArtifactStore stoppingBeforeTheRemoval = new BatchServiceTest.ForwardingStore(platform.artifacts()) {
            @Override
            public boolean delete(String container, String name, String ifMatch) {
                if (container.equals(ArtifactStore.BATCH_INPUT)) {
                    throw new IllegalStateException("the host stopped (test)");
                }
                return store.delete(container, name, ifMatch);
            }
        };
        assertThatThrownBy(() -> new BatchRetention(stoppingBeforeTheRemoval, platform.audit(), clock)
                .purgeFinishedBefore(clock.instant().minus(RETENTION), RETENTION))
                .hasMessageContaining("the host stopped (test)");
        assertThat(tombstoneSaysInputRemoved(old)).isTrue();
        String newer = platform.batches().submit(new BatchRequest(model, null, "shared.csv", false), "analyst").id();
        clock.advance(Duration.ofMinutes(20));

        platform.predictionRetention().purgeExpired();

        assertThat(outputOf(old)).containsExactly(old + "/purged.json");
        assertThat(tombstoneSaysInputRemoved(old)).isFalse();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "shared.csv")).isPresent();
        assertThat(purgeRecords()).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("batchId", old).containsEntry("inputRemoved", "false"));
        Map<String, String> output = snapshot(ArtifactStore.BATCH_OUTPUT, "");
        platform.predictionRetention().purgeExpired();
        assertThat(snapshot(ArtifactStore.BATCH_OUTPUT, "")).isEqualTo(output);
        assertThat(purgeRecords()).hasSize(1);
        drain();
        assertThat(platform.batches().status(newer).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    // ------------------------------------------------------------------ helpers

    private String completedJob(String input) {
        upload(input);
        String id = platform.batches().submit(new BatchRequest(model, null, input, false), "analyst").id();
        drain();
        assertThat(platform.batches().status(id).state()).isEqualTo(BatchStatus.State.COMPLETED);
        return id;
    }

    private void drain() {
        for (String message; (message = queued.poll()) != null; ) {
            platform.batches().scorePartition(message);
        }
    }

    private void awaitThenPurge(CyclicBarrier start) {
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        platform.predictionRetention().purgeExpired();
    }

    private void upload(String name) {
        StringBuilder csv = new StringBuilder(HEADER);
        for (int row = 1; row <= 12; row++) {
            csv.append(row(row));
        }
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, name, stream(csv.toString()), true);
    }

    /** A batch file as the store keeps it when it was last written at {@code when}, by the store's own time. */
    private void uploadWrittenOn(String name, Instant when) {
        upload(name);
        touch(ArtifactStore.BATCH_INPUT, name, when);
    }

    private void touch(String container, String name, Instant when) {
        try {
            Files.setLastModifiedTime(home.resolve("blobs").resolve(container).resolve(name), FileTime.from(when));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A request under an idempotency key refused before anything was planned (no such version), sent at the clock's
     * time: the request it left is dated then.
     */
    private void refusedKeyedRequest(String input, String key) {
        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, 99, input, false), "analyst", key))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
        String request = platform.artifacts().list(ArtifactStore.BATCH_OUTPUT, "").stream()
                .map(ArtifactStore.StoredArtifact::name).filter(n -> n.endsWith("/request.json"))
                .filter(n -> read(ArtifactStore.BATCH_OUTPUT, n).contains(input)).findFirst().orElseThrow();
        touch(ArtifactStore.BATCH_OUTPUT, request, clock.instant());
    }

    /** The id of the job {@code analyst} sends under {@code key}. */
    private static String keyedId(String key) {
        return java.util.UUID.nameUUIDFromBytes(("batches|analyst|" + key).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String row(int row) {
        return "secret-patient-" + row + "," + (40 + row) + ",1,7.5,true,emergency,3\n";
    }

    private BlobCreated uploaded(String name) {
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, name).orElseThrow().etag();
        return new BlobCreated("event-" + name, ArtifactStore.BATCH_INPUT, name, null, 100, etag);
    }

    private static ByteArrayInputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> outputOf(String id) {
        return platform.artifacts().list(ArtifactStore.BATCH_OUTPUT, id + "/").stream()
                .map(ArtifactStore.StoredArtifact::name).toList();
    }

    /** Every blob under {@code prefix} with its ETag: a write changes one, a removal or an addition the keys. */
    private Map<String, String> snapshot(String container, String prefix) {
        Map<String, String> blobs = new TreeMap<>();
        platform.artifacts().list(container, prefix).forEach(b -> blobs.put(b.name(), b.etag()));
        return blobs;
    }

    private String read(String container, String name) {
        try (InputStream in = platform.artifacts().open(container, name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<AuditRecord> allRecords() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return platform.audit().read(today.minusDays(90), today.plusDays(1));
    }

    private boolean tombstoneSaysInputRemoved(String id) {
        return health.vigil.json.Json.readTree("a tombstone", read(ArtifactStore.BATCH_OUTPUT,
                BatchService.purgedName(id))).path("inputRemoved").asBoolean(true);
    }

    private List<AuditRecord> purgeRecords() {
        return allRecords().stream().filter(r -> r.action().equals(BatchRetention.AUDIT_PURGED)).toList();
    }
}

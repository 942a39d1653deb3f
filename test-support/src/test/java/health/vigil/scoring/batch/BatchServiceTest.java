package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.config.VigilConfig;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.port.BlobLease;
import health.vigil.model.AuditRecord;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.ModelOutputs;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ForwardingArtifactStore;
import health.vigil.port.PredictionLog;
import health.vigil.port.Telemetry;
import health.vigil.port.WorkQueue;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.scoring.FeatureValidationException;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScorableModel;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch files scored through the platform's real local stores and a real ONNX model: row by row outcomes,
 * partitions scored in parallel and merged, a run killed between logging chunks and checkpointing them, a replayed
 * upload event, and CSV rows that take the short way into the model's inputs getting what a score request gets.
 */
class BatchServiceTest {
    /** Small partitions and chunks, so a 60-row file has several of each. */
    private static final BatchSettings SMALL = new BatchSettings(1_200, 8, 1_024);
    private static final String[] ADMISSION = {"emergency", "urgent", "elective"};
    /** The caller the tests' jobs are submitted as, reading them back. */
    private static final Principal ANALYST = new Principal("analyst", Set.of(Role.BATCHES_SUBMIT));
    private static final List<String> CSV_HEADER = List.of("patientId", "age", "prior_inpatient_stays", "hba1c",
            "on_insulin", "admission_type", "length_of_stay_days");
    /** Per column (after patientId): plain values the decoder takes, then spellings it must leave or refuse alike. */
    private static final String[][] CELLS = {
        {"71", "18", "110", "+45", "", "17.0", "9.5", "212", "-3", "abc", "1e1", "70.5", "123456789012345678901", "NaN"},
        {"0", "2", "50", "", "3.0", "51", "two", "-0", "1.5"},
        {"8.4", "3", "20", "5.", ".5", "12.25", "7.000000001", "", "2.5", "21", "1e1", "6.02E0", "nan", "Infinity",
            "0x10p0", "5d", "7.1234567890123456789", "  8.1  ", "--8"},
        {"true", "false", "TRUE", "False", "", "yes", "1"},
        {"emergency", "urgent", "elective", "", "Emergency", "walk-in"},
        {"5", "0", "365", "", "12.5", "366", "-0.0", "-1", "4e-1", "forty", "Infinity"},
    };


    @TempDir
    Path home;

    private final ConcurrentLinkedQueue<String> queued = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<VigilEvent> events = new ConcurrentLinkedQueue<>();
    /** The next send to the work queue that fails (counting from 1), as a storage outage would; 0 for none. */
    private final AtomicInteger failingSend = new AtomicInteger();
    /** An event type whose next publication fails, as an Event Grid outage would; null for none. */
    private final java.util.concurrent.atomic.AtomicReference<String> failingPublish =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** What the platform counted in {@code vigil.errors}: operation and code. */
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    /** What the platform counted in {@code vigil.batch.rows}, by version and outcome. */
    private final Map<String, Long> batchRows = new java.util.concurrent.ConcurrentHashMap<>();
    private VigilPlatform platform;
    private ModelName model;

    @BeforeEach
    void aDeployedTreeModel() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> {
            if (failingPublish.compareAndSet(event.type(), null)) {
                throw new StoreException("event grid is not answering (a test outage)", null);
            }
            events.add(event);
        }).workQueue((queue, id, message) -> {
            if (failingSend.get() > 0 && failingSend.decrementAndGet() == 0) {
                throw new StoreException("the queue service is not answering (a test outage)", null);
            }
            queued.add(message);
        }).telemetry(new Telemetry() {
            @Override
            public void failed(String operation, ErrorCode code) {
                errors.add(operation + " " + code);
            }

            @Override
            public void batchRows(ModelVersion version, String outcome, long rows) {
                batchRows.merge(version.name().value() + ":" + version.number() + " " + outcome, rows, Long::sum);
            }
        }).batchSettings(SMALL).build();
        model = SetUpApproval.deployFirstVersion(platform, SampleModels.readmissionTrees(), "trees.zip");
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void everyRowIsScoredOrRefusedByNumberAndTheFileIsNeverFailedByABadRow() throws Exception {
        StringBuilder csv = new StringBuilder("patientId,age,prior_inpatient_stays,hba1c,on_insulin,admission_type,"
                + "length_of_stay_days\n");
        for (int row = 1; row <= 60; row++) {
            csv.append(switch (row) {
                case 7 -> "secret-patient-7,71,2,8.4,true\n"; // too few cells
                case 12 -> "secret-patient-12,212,2,8.4,true,emergency,5\n"; // age out of range
                case 20 -> "secret-patient-20,\"71,2,8.4,true,emergency,5\n"; // unclosed quote
                case 33 -> "\n"; // empty line
                case 41 -> "secret-patient-41,71,2,8.4f,true,emergency,5\n"; // Java's float suffix is not a number
                default -> csvRow(row);
            });
        }
        upload("nightly.csv", csv.toString());

        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", true), "analyst");
        assertThat(job.rows()).isEqualTo(60);
        assertThat(job.partitions()).hasSizeGreaterThan(2);
        assertThat(platform.batches().status(job.id()).state()).isEqualTo(BatchStatus.State.RUNNING);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(job.id());
        assertThat(status.state()).as(String.valueOf(status.failure())).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(status.scored()).isEqualTo(55);
        assertThat(status.refused()).isEqualTo(5);

        List<JsonNode> results = results(job.id());
        assertThat(results).extracting(r -> r.get("row").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 60).boxed().toList());
        Map<Long, JsonNode> byRow = new LinkedHashMap<>();
        results.forEach(r -> byRow.put(r.get("row").asLong(), r));
        assertThat(byRow.get(7L).get("status").asText()).isEqualTo("refused");
        assertThat(byRow.get(7L).get("reasons").get(0).asText()).contains("5 cells").contains("header has 7")
                .doesNotContain("secret");
        assertThat(byRow.get(12L).get("reasons").get(0).asText()).contains("feature `age`").contains("out of range")
                .doesNotContain("212");
        assertThat(byRow.get(20L).get("reasons").get(0).asText()).contains("not valid CSV");
        assertThat(byRow.get(33L).get("reasons").get(0).asText()).contains("empty");
        assertThat(byRow.get(41L).get("status").asText()).isEqualTo("refused");
        // A CSV cell has no quotes to take away: the refusal says the cell is not a number.
        assertThat(byRow.get(41L).get("reasons").get(0).asText()).contains("hba1c")
                .contains("must be a number (numeric); the cell is not one").doesNotContain("8.4")
                .doesNotContain("quotes").doesNotContain("JSON");
        String everything = results.toString();
        assertThat(everything).doesNotContain("secret-patient");

        // The same pipeline and runtime as a request: each scored row has the score /score gives that patient.
        for (long row : List.of(1L, 2L, 30L, 60L)) {
            double online = platform.scoring().score(new ScoreRequest(model, null,
                    List.of(patient(row)))).row(0).score();
            assertThat(byRow.get(row).get("score").asDouble()).as("row %d", row).isEqualTo(online);
            assertThat(byRow.get(row).get("topFactors")).hasSize(5);
        }

        List<PredictionRecord> logged = batchPredictions(job.id());
        assertThat(logged).hasSize(55);
        assertThat(logged).extracting(PredictionRecord::slot).containsOnly(Slot.BATCH);
        assertThat(logged.stream().map(PredictionRecord::predictionId).distinct().count()).isEqualTo(55);

        BatchSummary summary = platform.batches().summary(job.id());
        assertThat(summary.scored()).isEqualTo(55);
        assertThat(summary.refusalsByKind().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(5);
        assertThat(batchRows).as("vigil.batch.rows").containsOnly(Map.entry(model.value() + ":1 scored", 55L),
                Map.entry(model.value() + ":1 refused", 5L));
        assertThat(summary.refusalsByKind().keySet().toString()).doesNotContain("212").doesNotContain("secret");
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
        assertThat(events).extracting(VigilEvent::type)
                .containsSubsequence(EventTypes.BATCH_SUBMITTED, EventTypes.BATCH_COMPLETED);
        assertThat(events.stream().filter(e -> e.type().startsWith("Vigil.Batch")).map(VigilEvent::data).toList()
                .toString()).doesNotContain("secret");
    }

    @Test
    void aRowWhoseOutputIsNotAProbabilityIsRefusedWithThatReasonAndTheJobGoesOn() throws Exception {
        // A logistic regression exported without its imputer: NaN for a patient whose length of stay is missing.
        ModelName nan = register(SampleModels.readmissionWithoutImputation().withName("readmission-no-imputer"),
                "no-imputer.zip");
        SetUpApproval.approve(platform, new ModelVersion(nan, 1));
        platform.deployments().deploy(nan, 1, Principal.SYSTEM);
        StringBuilder csv = new StringBuilder(String.join(",", CSV_HEADER)).append('\n');
        for (int row = 1; row <= 30; row++) {
            String line = csvRow(row);
            csv.append(row % 7 == 0 ? line.substring(0, line.lastIndexOf(',') + 1) + "\n" : line);
        }
        String reason = "readmission-no-imputer:1 produced an output that is not a probability (NaN) for this row: the"
                + " row is valid, the model version fails on it (MODEL_OUTPUT_INVALID)";

        for (boolean explain : new boolean[] {false, true}) {
            upload("nightly-" + explain + ".csv", csv.toString());
            BatchJob job = platform.batches().submit(new BatchRequest(nan, null, "nightly-" + explain + ".csv",
                    explain), "analyst");
            runQueuedInParallel(platform.batches());

            BatchStatus status = platform.batches().status(job.id());
            assertThat(status.state()).as(String.valueOf(status.failure())).isEqualTo(BatchStatus.State.COMPLETED);
            assertThat(status.scored()).isEqualTo(26);
            assertThat(status.refused()).isEqualTo(4);
            Map<Long, JsonNode> byRow = new LinkedHashMap<>();
            results(job.id()).forEach(r -> byRow.put(r.get("row").asLong(), r));
            for (long row = 1; row <= 30; row++) {
                JsonNode result = byRow.get(row);
                if (row % 7 == 0) {
                    assertThat(result.get("status").asText()).isEqualTo("refused");
                    assertThat(result.get("reasons")).singleElement().extracting(JsonNode::asText).isEqualTo(reason);
                } else {
                    assertThat(result.get("status").asText()).as("row %d", row).isEqualTo("scored");
                }
            }
            assertThat(platform.batches().summary(job.id()).refusalsByKind()).isEqualTo(Map.of(reason, 4L));
        }
        List<PredictionRecord> logged = new ArrayList<>();
        platform.predictionLog().scan(nan, Instant.EPOCH, Instant.now().plusSeconds(60), logged::add);
        assertThat(logged).as("the scored rows of both jobs, no refused one").hasSize(52)
                .allSatisfy(r -> assertThat(ModelOutputs.isProbability(r.score())).isTrue());
    }

    @Test
    void aFileReplacedAfterItsJobWasPlannedFailsTheJobInsteadOfScoringOtherPatientsUnderItsRows() throws Exception {
        // A nightly export written again under the same name (a corrected file, or the next night's) before the job,
        // or a partition sent again from the poison queue days later, has run: same size and rows, other values.
        String planned = csvFile(60);
        String replacement = planned.replace(",3", ",8");
        assertThat(replacement).hasSameSizeAs(planned).isNotEqualTo(planned);
        upload("nightly.csv", planned);
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "analyst");

        upload("nightly.csv", replacement);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(job.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains("nightly.csv").contains("replaced").contains("submit")
                .doesNotContain("secret");
        assertThat(batchPredictions(job.id())).as("no row of the other file is scored under this job").isEmpty();
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.failed");
    }

    @Test
    void aRowLongerThanTheLimitIsRefusedWithTheLimitAndTheOthersAreScored() throws Exception {
        String file = csvFile(3) + "secret-patient-4,71,2,8.4,true,emergency," + "5".repeat(2_000) + "\n" + csvRow(5);
        upload("long-row.csv", file);
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "long-row.csv", false), "analyst");
        runQueuedInParallel(platform.batches());

        Map<Long, JsonNode> byRow = new LinkedHashMap<>();
        results(job.id()).forEach(r -> byRow.put(r.get("row").asLong(), r));
        assertThat(byRow.values()).extracting(r -> r.get("status").asText())
                .containsExactly("scored", "scored", "scored", "refused", "scored");
        assertThat(byRow.get(4L).get("reasons").get(0).asText())
                .contains("longer than 1024 bytes, the limit for one line").doesNotContain("secret").doesNotContain("555");
    }

    /**
     * Blank lines at the very end of a file (an editor's or an export's: empty, spaces, a tab, CRLF, one without a
     * newline) are no rows, in CSV and in JSON Lines, and partitions of any size, from one line each to the whole
     * file, cutting the blank run anywhere, give the same job; a blank line with rows after it is still a row,
     * refused as empty.
     */
    @Test
    void blankLinesAtTheVeryEndOfAFileAreNoRowsHoweverThePartitionsCutThem() throws Exception {
        String blankEnd = "\n  \n\t\r\n\r\n \n  ";
        StringBuilder csv = new StringBuilder(String.join(",", CSV_HEADER)).append('\n');
        for (long row = 1; row <= 6; row++) {
            csv.append(row == 5 ? "\n" : "").append(csvRow(row));
        }
        upload("trailing.csv", csv + blankEnd);
        String json = jsonLines(6);
        int fifth = json.indexOf("\n", json.indexOf("secret-patient-4")) + 1;
        upload("trailing.jsonl", json.substring(0, fifth) + "\n" + json.substring(fifth) + blankEnd);

        for (String input : List.of("trailing.csv", "trailing.jsonl")) {
            for (long partitionBytes : new long[] {1, 40, 300, 1 << 20}) {
                BatchService batches = service(platform.artifacts(), new BatchSettings(partitionBytes, 8, 1_024));
                BatchJob job = batches.submit(new BatchRequest(model, null, input, false), "analyst");
                runQueuedInParallel(batches);
                String what = input + " in partitions of " + partitionBytes + " bytes";

                assertThat(job.rows()).as(what).isEqualTo(7);
                BatchStatus status = batches.status(job.id());
                assertThat(status.state()).as(what + ": " + status.failure()).isEqualTo(BatchStatus.State.COMPLETED);
                assertThat(status.rows()).as(what).isEqualTo(7);
                assertThat(status.scored()).as(what).isEqualTo(6);
                assertThat(status.refused()).as(what).isEqualTo(1);
                assertThat(batches.summary(job.id()).refusalsByKind().values()).as(what).containsExactly(1L);
                List<JsonNode> results = results(job.id());
                assertThat(results).as(what).extracting(r -> r.get("row").asLong() + " " + r.get("status").asText())
                        .containsExactly("1 scored", "2 scored", "3 scored", "4 scored", "5 refused", "6 scored",
                                "7 scored");
                assertThat(results.get(4).get("reasons").get(0).asText()).as(what).contains("empty");
            }
        }
    }

    @Test
    void aJobsInputDigestIsTheSha256OfTheFilesBytesAsTheStoreHasIt() throws Exception {
        String content = jsonLines(20);
        upload("discharges.jsonl", content);
        assertThat(platform.artifacts().computesItsOwnSha256()).isTrue();

        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");

        assertThat(job.inputSha256()).isEqualTo(health.vigil.hash.Sha256.hex(content.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "discharges.jsonl").orElseThrow()
                        .sha256());
    }

    @Test
    void aDigestTheStoreComputedItselfIsTakenAndOneAWriterCouldSetIsNot() throws Exception {
        String content = jsonLines(20);
        upload("discharges.jsonl", content);
        upload("discharges-again.jsonl", content);
        String bytesDigest = health.vigil.hash.Sha256.hex(content.getBytes(StandardCharsets.UTF_8));
        String described = "ab".repeat(32);
        BatchSettings settings = new BatchSettings(1 << 20, 8, 1_024);

        BatchJob fromItsOwn = service(new DescribedDigest(platform.artifacts(), described, true), settings)
                .submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        BatchJob fromMetadata = service(new DescribedDigest(platform.artifacts(), described, false), settings)
                .submit(new BatchRequest(model, null, "discharges-again.jsonl", false), "analyst");

        assertThat(fromItsOwn.inputSha256()).as("the store's own digest, not digested again").isEqualTo(described);
        assertThat(fromMetadata.inputSha256()).as("a digest a writer could set is checked by reading")
                .isEqualTo(bytesDigest);
    }

    /**
     * The file is replaced as planning opens it: the submission is refused (409, the file named) and nothing is
     * planned or queued, for the read is of the version described only. Before, the file was read again by name and
     * the new file's rows were planned under the old file's ETag, so every partition then failed as replaced.
     */
    @Test
    void aFileReplacedAsItIsPlannedIsRefusedRatherThanPlannedFromAnotherVersion() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        AtomicInteger opened = new AtomicInteger();
        ArtifactStore replacedUnderTheReader = new ForwardingStore(platform.artifacts()) {
            @Override
            public InputStream open(String container, String name, long offset) {
                InputStream in = store.open(container, name, offset);
                if (container.equals(ArtifactStore.BATCH_INPUT) && opened.incrementAndGet() == 1) {
                    upload("discharges.jsonl", jsonLines(30));
                }
                return in;
            }
        };
        BatchService batches = service(replacedUnderTheReader, new BatchSettings(1 << 20, 8, 1_024));

        assertThatThrownBy(() -> batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(
                        ErrorCode.INVALID_STATE)).hasMessageContaining("discharges.jsonl was replaced")
                .hasMessageContaining("nothing was planned");

        assertThat(opened).as("read once").hasValue(1);
        assertThat(queued).isEmpty();
    }

    /**
     * A submission is refused (its file is not there) and the store fails as the refused submission's claim is tidied
     * away: the caller still reads why it was refused, with the store's failure added to it. Before, the store's
     * failure took the refusal's place.
     */
    @Test
    void aRefusedSubmissionIsAnsweredWithItsReasonWhenTidyingUpItsClaimFails() {
        ArtifactStore failingAfterTheRefusal = new ForwardingStore(platform.artifacts()) {
            @Override
            public Optional<ArtifactStore.StoredArtifact> describe(String container, String name) {
                if (container.equals(ArtifactStore.BATCH_OUTPUT) && name.endsWith("/job.json")) {
                    throw new StoreException("the store is away", new IOException("connection reset"));
                }
                return store.describe(container, name);
            }
        };
        BatchService batches = service(failingAfterTheRefusal, new BatchSettings(1 << 20, 8, 1_024));

        assertThatThrownBy(() -> batches.submit(new BatchRequest(model, null, "never-uploaded.csv", false), "analyst"))
                .isNotInstanceOf(StoreException.class).hasMessageContaining("never-uploaded.csv")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(StoreException.class));
    }

    /**
     * The input's stream fails mid-read (a dropped connection to the store): the delivery fails as a store that was
     * away, is retried, and resumes; no fault is recorded, so a later poisoned copy of the message cannot fail a job
     * that a retry completed. Before, the read error was taken for a fault of the code.
     */
    @Test
    void aReadOfTheInputThatFailsMidwayIsRetriedAsAStoreThatWasAwayNotRecordedAsAFault() throws Exception {
        upload("nightly.csv", csvFile(60));
        AtomicInteger reads = new AtomicInteger();
        ArtifactStore droppingOnce = new ForwardingStore(platform.artifacts()) {
            @Override
            public InputStream open(String container, String name, long offset) {
                InputStream in = store.open(container, name, offset);
                if (!container.equals(ArtifactStore.BATCH_INPUT) || reads.incrementAndGet() != 2) {
                    return in;
                }
                return new java.io.FilterInputStream(in) {
                    private int left = 200;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (left <= 0) {
                            throw new IOException("connection reset");
                        }
                        int n = super.read(b, off, Math.min(len, left));
                        left -= Math.max(n, 0);
                        return n;
                    }
                };
            }
        };
        BatchService batches = service(droppingOnce, new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "nightly.csv", false), "analyst");
        String message = queued.poll();

        assertThatThrownBy(() -> batches.scorePartition(message)).isInstanceOf(StoreException.class)
                .hasMessageContaining("could not be read at byte");
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_OUTPUT, BatchService.faultName(job.id(), 0)))
                .isEmpty();
        batches.scorePartition(message);

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(results(job.id())).hasSize(60);
    }

    /**
     * The file is replaced after the partition checked it and before it read it (the model loads and the log is read
     * in between): the read itself is of the planned version only, so no row of the other file is scored under this
     * job's row numbers. Before, the partition read whatever the name held by then.
     */
    @Test
    void aFileReplacedBetweenAPartitionsCheckAndItsReadIsNotReadEither() throws Exception {
        String planned = csvFile(60);
        String replacement = planned.replace(",3", ",8");
        upload("nightly.csv", planned);
        AtomicInteger opened = new AtomicInteger();
        ArtifactStore replacedAtTheRead = new ForwardingStore(platform.artifacts()) {
            @Override
            public InputStream open(String container, String name, long offset) {
                if (container.equals(ArtifactStore.BATCH_INPUT) && opened.incrementAndGet() == 2) {
                    upload("nightly.csv", replacement);
                }
                return store.open(container, name, offset);
            }
        };
        BatchService batches = service(replacedAtTheRead, new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "nightly.csv", false), "analyst");

        batches.scorePartition(queued.poll());

        assertThat(opened).as("planned, then the partition's read").hasValue(2);
        BatchStatus status = batches.status(job.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains("nightly.csv").contains("replaced");
        assertThat(batchPredictions(job.id())).as("no row of the other file is scored under this job").isEmpty();
    }

    @Test
    void aJobWhoseResultsAnotherDeliveryMergedFirstIsSummarisedWithTheStoredResultsDigest() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        // The merge loses to another delivery whose blob the store does not yet describe with a sha256.
        BatchService batches = service(new MergedElsewhere(platform.artifacts()), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        batches.scorePartition(queued.poll());

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        String stored;
        try (InputStream results = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, job.id() + "/results.jsonl")) {
            stored = health.vigil.hash.Sha256.hex(results);
        }
        assertThat(batches.summary(job.id()).resultsSha256()).isEqualTo(stored);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void onlyTheMergedResultsAreDigestedNotTheChunksTheyAreMergedFrom() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        batches.scorePartition(queued.poll());

        List<ArtifactStore.StoredArtifact> chunks = java.util.stream.IntStream.range(0, 5)
                .mapToObj(c -> platform.artifacts().describe(ArtifactStore.BATCH_OUTPUT,
                        BatchService.chunkName(job.id(), 0, c)).orElseThrow())
                .toList();
        assertThat(chunks).as("each chunk's results, read once by the merge").allSatisfy(chunk -> {
            assertThat(chunk.size()).isPositive();
            assertThat(chunk.sha256()).isNull();
        });
        String merged;
        try (InputStream results = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, job.id() + "/results.jsonl")) {
            merged = health.vigil.hash.Sha256.hex(results);
        }
        assertThat(batches.summary(job.id()).resultsSha256()).isEqualTo(merged)
                .isEqualTo(platform.artifacts().describe(ArtifactStore.BATCH_OUTPUT, job.id() + "/results.jsonl")
                        .orElseThrow().sha256());
        assertThat(results(job.id())).hasSize(40);
    }

    @Test
    void aRunKilledAfterLoggingAChunkButBeforeItsCheckpointResumesWithoutScoringARowTwice() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        // The third checkpoint write dies: chunk 2's predictions are in the log, its checkpoint is not.
        AtomicInteger checkpoints = new AtomicInteger();
        ArtifactStore dying = new FailingCheckpoints(platform.artifacts(), () -> checkpoints.incrementAndGet() == 3);
        BatchService crashing = service(dying, new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = crashing.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        assertThat(job.partitions()).hasSize(1);
        String message = queued.poll();

        assertThatThrownBy(() -> crashing.scorePartition(message)).isInstanceOf(StoreException.class);
        assertThat(batchPredictions(job.id())).as("chunks 1 and 2 were logged before the crash").hasSize(16);

        BatchService restarted = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        restarted.scorePartition(message);
        restarted.scorePartition(message); // a redelivered message after completion adds nothing

        List<PredictionRecord> logged = batchPredictions(job.id());
        assertThat(logged).hasSize(40);
        assertThat(logged.stream().map(PredictionRecord::predictionId).distinct().count()).isEqualTo(40);
        List<JsonNode> results = results(job.id());
        assertThat(results).hasSize(40);
        assertThat(results).allSatisfy(r -> assertThat(r.get("status").asText()).isEqualTo("scored"));
        Set<String> ids = new HashSet<>();
        results.forEach(r -> ids.add(r.get("predictionId").asText()));
        assertThat(ids).containsExactlyInAnyOrderElementsOf(
                logged.stream().map(PredictionRecord::predictionId).toList());
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
        assertThat(batchRows).as("each row counted once, when a checkpoint made it durable")
                .containsOnly(Map.entry(model.value() + ":1 scored", 40L));
    }

    @Test
    void aBatchPredictionIsFoundByItsIdAloneForTheCliniciansExplanation() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", true), "analyst");
        batches.scorePartition(queued.poll());

        List<JsonNode> results = results(job.id());
        assertThat(results).hasSize(20);
        for (JsonNode line : results) {
            String id = line.get("predictionId").asText();
            health.vigil.scoring.PredictionExplanation shown = platform.explanations().explanation(id, "clinician");
            assertThat(shown.predictionId()).isEqualTo(id);
            assertThat(shown.risk()).isEqualTo(line.get("score").asDouble());
            assertThat(shown.slot()).isEqualTo(Slot.BATCH);
            assertThat(platform.predictionLog().find(id, List.of(model)).orElseThrow().batchId()).isEqualTo(job.id());
        }
    }

    @Test
    void aJobPlannedBeforeItsIdFormWasRecordedKeepsItsDigestedIdsAndANewJobMixesThem() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        upload("discharges-later.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob earlier = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        String earlierMessage = queued.poll();
        BatchJob later = batches.submit(new BatchRequest(model, null, "discharges-later.jsonl", false), "analyst");
        String laterMessage = queued.poll();
        // The first job's plan as a build before ADR 0038 wrote it: without the form of its ids.
        com.fasterxml.jackson.databind.node.ObjectNode plan;
        try (InputStream in = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, BatchService.jobName(earlier.id()))) {
            plan = (com.fasterxml.jackson.databind.node.ObjectNode) Json.readTree("a plan", in.readAllBytes());
        }
        assertThat(plan.remove("predictionIds").asText()).isEqualTo("MIXED");
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.jobName(earlier.id()),
                new ByteArrayInputStream(Json.writeBytes(plan)), true);

        batches.scorePartition(earlierMessage);
        batches.scorePartition(laterMessage);

        assertThat(results(earlier.id())).hasSize(20).allSatisfy(r -> {
            String id = r.get("predictionId").asText();
            Instant logged = health.vigil.model.PredictionIds.timeOf(id).orElseThrow();
            assertThat(id).isEqualTo(ChunkScorer.predictionId(PredictionIdForm.DIGESTED, earlier.id(),
                    r.get("row").asLong(), logged));
        });
        assertThat(results(later.id())).hasSize(20).allSatisfy(r -> {
            String id = r.get("predictionId").asText();
            Instant logged = health.vigil.model.PredictionIds.timeOf(id).orElseThrow();
            assertThat(id).isEqualTo(ChunkScorer.predictionId(PredictionIdForm.MIXED, later.id(),
                    r.get("row").asLong(), logged));
        });
    }

    @Test
    void aRunResumedFromACheckpointOfAnEarlierReleaseFindsTheRowsItLoggedUnderTheirOldIds() throws Exception {
        upload("discharges.jsonl", jsonLines(24));
        BatchSettings settings = new BatchSettings(1 << 20, 8, 1_024);
        // An earlier release's run: it checkpointed rows 1-8, logged rows 9-16 under version 3 ids, and died.
        AtomicInteger checkpoints = new AtomicInteger();
        List<PredictionRecord> secondChunk = new ArrayList<>();
        BatchService crashing = service(new FailingCheckpoints(platform.artifacts(),
                () -> checkpoints.incrementAndGet() == 3), new DelegatingLog(platform.predictionLog(), records -> {
                    if (records.size() == 8 && batchPredictions(records.get(0).batchId()).size() == 8) {
                        secondChunk.addAll(records);
                        return false;
                    }
                    return true;
                }), Clock.systemUTC(), settings);
        BatchJob job = crashing.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        String message = queued.poll();
        assertThatThrownBy(() -> crashing.scorePartition(message)).isInstanceOf(StoreException.class);
        assertThat(batchPredictions(job.id())).hasSize(8);
        assertThat(secondChunk).hasSize(8);
        List<PredictionRecord> earlier = new ArrayList<>();
        for (PredictionRecord r : secondChunk) {
            earlier.add(new PredictionRecord(ChunkScorer.legacyPredictionId(job.id(), rowOf(job.id(), r)),
                    r.modelName(), r.version(), r.slot(), r.patientPseudonym(), r.time(), r.features(), r.score(),
                    r.decision(), r.explanation(), r.batchId()));
        }
        platform.predictionLog().append(earlier);

        service(platform.artifacts(), settings).scorePartition(message);

        List<PredictionRecord> all = batchPredictions(job.id());
        assertThat(all).as("rows 9-16 were not scored again").hasSize(24);
        List<JsonNode> results = results(job.id());
        assertThat(results).extracting(r -> r.get("row").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 24).boxed().toList());
        assertThat(results.get(8).get("predictionId").asText()).isEqualTo(ChunkScorer.legacyPredictionId(job.id(), 9));
        assertThat(results).extracting(r -> r.get("predictionId").asText())
                .containsExactlyInAnyOrderElementsOf(all.stream().map(PredictionRecord::predictionId).toList());
    }

    /** The row a prediction of this release's ids belongs to, found by recomputing the ids of rows 1-24. */
    private static long rowOf(String jobId, PredictionRecord r) {
        for (long row = 1; row <= 24; row++) {
            if (ChunkScorer.predictionId(PredictionIdForm.MIXED, jobId, row, r.time()).equals(r.predictionId())) {
                return row;
            }
        }
        throw new AssertionError("not a prediction of rows 1-24 of the job");
    }

    @Test
    void twoDeliveriesOfOnePartitionAtOnceScoreAndLogEachRowOnce() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchSettings settings = new BatchSettings(1 << 20, 8, 1_024);
        // The first delivery's first append waits until the other delivery appends too, or 1.5 s: without the
        // partition's lease, both deliveries would score and log the same rows while they overlap.
        java.util.concurrent.CountDownLatch firstAppend = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch secondAppend = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger appends = new AtomicInteger();
        PredictionLog stalling = new DelegatingLog(platform.predictionLog(), records -> {
            if (appends.incrementAndGet() == 1) {
                firstAppend.countDown();
                try {
                    secondAppend.await(1_500, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                secondAppend.countDown();
            }
            return true;
        });
        BatchService batches = service(platform.artifacts(), stalling, Clock.systemUTC(), settings);
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        assertThat(job.partitions()).hasSize(1);
        String message = queued.poll();

        ExecutorService deliveries = Executors.newFixedThreadPool(2);
        try {
            Future<?> first = deliveries.submit(() -> batches.scorePartition(message));
            assertThat(firstAppend.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Future<?> second = deliveries.submit(() -> batches.scorePartition(message));
            first.get();
            second.get();
        } finally {
            deliveries.shutdown();
        }

        List<PredictionRecord> logged = batchPredictions(job.id());
        assertThat(logged).hasSize(40);
        assertThat(logged.stream().map(PredictionRecord::predictionId).distinct().count()).isEqualTo(40);
        assertThat(results(job.id())).extracting(r -> r.get("row").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void aLeaseLeftByARunThatDiedIsTakenOverOnceItExpires() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1, 1_024,
                java.time.Duration.ofSeconds(20)));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        // A run killed after taking the lease: nothing scored, the lease runs for another second.
        putLease(job.id(), "run-that-died", Instant.now().plusSeconds(1));

        batches.scorePartition(queued.poll());

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batchPredictions(job.id())).hasSize(40);
        assertThat(lease(job.id())).doesNotContain("run-that-died");
    }

    @Test
    void aDeliveryThatFindsThePartitionLeasedForItsWholeWaitFailsWithoutScoringAndIsRetriedLater() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1, 1_024,
                java.time.Duration.ofMillis(300)));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        putLease(job.id(), "a-live-run", Instant.now().plusSeconds(3_600));
        String message = queued.poll();

        assertThatThrownBy(() -> batches.scorePartition(message)).isInstanceOf(StoreException.class)
                .hasMessageContaining("being worked on by another run").hasMessageContaining("tried again later");
        assertThat(batchPredictions(job.id())).isEmpty();
        assertThat(lease(job.id())).contains("a-live-run");

        // That run gives the lease up (or it expires): the redelivered message scores the partition.
        putLease(job.id(), "a-live-run", Instant.EPOCH);
        batches.scorePartition(message);
        assertThat(batchPredictions(job.id())).hasSize(40);
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    @Test
    void aRunWhoseLeaseWasTakenOverStopsBeforeLoggingAnotherChunk() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        health.vigil.audit.MutableClock clock = new health.vigil.audit.MutableClock(Instant.now());
        BatchSettings everyChunk = new BatchSettings(1 << 20, 8, 1, 1_024, java.time.Duration.ofSeconds(30));
        AtomicInteger checkpoints = new AtomicInteger();
        // After the first chunk's checkpoint, the run stalls for an hour and another run takes its lease over.
        ArtifactStore stalls = new FailingCheckpoints(platform.artifacts(), () -> {
            if (checkpoints.incrementAndGet() == 2) {
                clock.advance(java.time.Duration.ofHours(1));
                putLease(queuedJob, "the-run-that-took-over", clock.instant().plusSeconds(30));
            }
            return false;
        });
        BatchService batches = service(stalls, platform.predictionLog(), clock, everyChunk);
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        queuedJob = job.id();

        assertThatThrownBy(() -> batches.scorePartition(queued.poll())).isInstanceOf(StoreException.class)
                .hasMessageContaining("another run took over");

        assertThat(batchPredictions(job.id())).as("only the chunk logged before the take-over").hasSize(8);
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_OUTPUT, BatchService.doneName(job.id(), 0)))
                .isEmpty();
        assertThat(lease(job.id())).contains("the-run-that-took-over");
    }

    private volatile String queuedJob;

    @Test
    void aRunKilledSeveralChunksPastItsCheckpointResumesWithoutScoringARowTwice() throws Exception {
        upload("discharges.csv", csvFile(40));
        // Chunks of 8 rows and a checkpoint every 3 chunks: the write after rows 1-24 dies with all 24 logged.
        BatchSettings everyThirdChunk = new BatchSettings(1 << 20, 8, 3, 1_024);
        AtomicInteger checkpoints = new AtomicInteger();
        BatchService crashing = service(new FailingCheckpoints(platform.artifacts(),
                () -> checkpoints.incrementAndGet() == 2), everyThirdChunk);
        BatchJob job = crashing.submit(new BatchRequest(model, null, "discharges.csv", false), "analyst");
        String message = queued.poll();

        assertThatThrownBy(() -> crashing.scorePartition(message)).isInstanceOf(StoreException.class);
        assertThat(batchPredictions(job.id())).as("three chunks were logged before the crash").hasSize(24);

        AtomicInteger resumedCheckpoints = new AtomicInteger();
        BatchService restarted = service(new FailingCheckpoints(platform.artifacts(), () -> {
            resumedCheckpoints.incrementAndGet();
            return false;
        }), everyThirdChunk);
        restarted.scorePartition(message);

        List<PredictionRecord> logged = batchPredictions(job.id());
        assertThat(logged).hasSize(40);
        assertThat(logged.stream().map(PredictionRecord::predictionId).distinct().count()).isEqualTo(40);
        List<JsonNode> results = results(job.id());
        assertThat(results).extracting(r -> r.get("row").asLong())
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
        assertThat(results).allSatisfy(r -> assertThat(r.get("status").asText()).isEqualTo("scored"));
        assertThat(results).extracting(r -> r.get("predictionId").asText())
                .containsExactlyInAnyOrderElementsOf(logged.stream().map(PredictionRecord::predictionId).toList());
        for (long row : List.of(1L, 24L, 25L, 40L)) {
            double online = platform.scoring().score(new ScoreRequest(model, null, List.of(patient(row)))).row(0).score();
            assertThat(results.get((int) row - 1).get("score").asDouble()).as("row %d", row).isEqualTo(online);
        }
        // Five chunks, two checkpoints: after rows 1-24 (found in the log) and after rows 25-40.
        assertThat(resumedCheckpoints).hasValue(2);
        assertThat(platform.batches().status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    /**
     * An upload replaced after its event named the job (by the ETag described then) and before the job was planned:
     * the job fails as replaced, and the new file's own event starts the one job that scores it. Before, the job of the
     * first ETag planned whatever the name held by then, so the new file was scored under both jobs.
     */
    @Test
    void anUploadReplacedBeforeItsJobIsPlannedIsScoredOnceUnderItsOwnEvent() throws Exception {
        String name = model.value() + "/nightly.csv";
        upload(name, csvFile(10));
        AtomicInteger described = new AtomicInteger();
        ArtifactStore replacedAfterTheId = new ForwardingStore(platform.artifacts()) {
            @Override
            public Optional<StoredArtifact> describe(String container, String blob) {
                Optional<StoredArtifact> now = store.describe(container, blob);
                if (container.equals(ArtifactStore.BATCH_INPUT) && described.incrementAndGet() == 1) {
                    upload(name, csvFile(20));
                }
                return now;
            }
        };
        BatchService batches = service(replacedAfterTheId, new BatchSettings(1 << 20, 8, 1_024));

        BatchStatus first = batches.submitUpload(new BlobCreated("event-1", ArtifactStore.BATCH_INPUT, name, null, 100,
                null)).orElseThrow();
        String newEtag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, name).orElseThrow().etag();
        BatchStatus second = batches.submitUpload(new BlobCreated("event-2", ArtifactStore.BATCH_INPUT, name, null, 100,
                newEtag)).orElseThrow();
        runQueuedInParallel(batches);

        assertThat(first.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(first.failure()).contains("replaced");
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(batches.status(second.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batchPredictions(first.id())).isEmpty();
        assertThat(batchPredictions(second.id())).hasSize(20);
    }

    @Test
    void aReplayedUploadEventStartsNothingNew() throws Exception {
        upload(model.value() + "/nightly.csv", "patientId,age,prior_inpatient_stays,hba1c,on_insulin,admission_type\n"
                + csvRow(1).substring(0, csvRow(1).lastIndexOf(',')) + "\n");
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, model.value() + "/nightly.csv")
                .orElseThrow().etag();
        BlobCreated event = new BlobCreated("event-1", ArtifactStore.BATCH_INPUT, model.value() + "/nightly.csv",
                null, 100, etag);

        BatchStatus first = platform.batches().submitUpload(event).orElseThrow();
        int messages = queued.size();
        int published = events.size();
        BatchStatus replayed = platform.batches().submitUpload(event).orElseThrow();
        BatchStatus redelivered = platform.batches().submitUpload(new BlobCreated("event-2", event.container(),
                event.blobName(), event.url(), event.contentLength(), etag)).orElseThrow();

        assertThat(replayed.id()).isEqualTo(first.id());
        assertThat(redelivered.id()).isEqualTo(first.id());
        // The same event, or a new one, with an eTag that is not the stored blob's: the same file, the same job.
        for (String forged : new String[] {"0x1", "0xAAA", "abc"}) {
            BatchStatus again = platform.batches().submitUpload(new BlobCreated("event-" + forged, event.container(),
                    event.blobName(), event.url(), event.contentLength(), forged)).orElseThrow();
            assertThat(again.id()).as(forged).isEqualTo(first.id());
        }
        assertThat(queued).hasSize(messages);
        assertThat(events).hasSize(published);
        assertThat(audited(first.id())).containsExactly("batch.submitted");
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .filteredOn(r -> r.action().equals("batch.submitted")).hasSize(1);
    }

    @Test
    void anUploadEventForAFileThatIsNotThereStartsNoJobAndRecordsNothing() {
        for (String etag : new String[] {"0x1", "0x2", "0x3"}) {
            assertThat(platform.batches().submitUpload(new BlobCreated("event-" + etag, ArtifactStore.BATCH_INPUT,
                    model.value() + "/missing.csv", null, 100, etag))).isEmpty();
        }
        assertThat(queued).isEmpty();
        assertThat(batchEvents()).isEmpty();
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .noneMatch(r -> r.action().startsWith("batch."));
    }

    @Test
    void aDeliveryThatDiedWhileQueueingThePartitionsIsFinishedByTheReplayAndTheJobCompletes() throws Exception {
        String csv = csvFile(60);
        upload(model.value() + "/nightly.csv", csv);
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, model.value() + "/nightly.csv")
                .orElseThrow().etag();
        BlobCreated event = new BlobCreated("event-1", ArtifactStore.BATCH_INPUT, model.value() + "/nightly.csv",
                null, csv.length(), etag);

        failingSend.set(2); // the first partition is queued, the second send fails: the function fails and is retried
        assertThatThrownBy(() -> platform.batches().submitUpload(event)).isInstanceOf(StoreException.class);
        assertThat(queued).hasSize(1);
        assertThat(batchEvents()).isEmpty();
        // The partition that was queued is scored before the replay comes: the replay must not queue it again.
        String first = queued.peek();
        runQueuedInParallel(platform.batches());

        BatchStatus replayed = platform.batches().submitUpload(event).orElseThrow();
        BatchJob job = platform.batches().readJob(replayed.id()).orElseThrow();
        assertThat(job.partitions()).hasSizeGreaterThan(2);
        assertThat(queued).hasSize(job.partitions().size() - 1).doesNotContain(first);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(replayed.id());
        assertThat(status.state()).as(String.valueOf(status.failure())).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(status.scored()).isEqualTo(60);
        assertThat(audited(replayed.id())).containsExactly("batch.submitted", "batch.completed");
        // The last two partitions ran in parallel: one of them announced the completion.
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED, EventTypes.BATCH_COMPLETED);
        List<String> published = batchEvents();
        assertThat(platform.batches().submitUpload(event)).contains(status);
        assertThat(queued).isEmpty();
        assertThat(batchEvents()).isEqualTo(published);
        assertThat(audited(replayed.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void partitionsThatFinishTogetherAnnounceTheJobsCompletionOnce() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        int partitions = job.partitions().size();
        assertThat(partitions).isGreaterThan(1);
        // Every partition writes its done.json, then waits for the others to have written theirs: each then finds
        // the job complete, at the same moment, as partitions finishing together on several instances do.
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(partitions);
        ArtifactStore finishingTogether = new ForwardingStore(platform.artifacts()) {
            @Override
            public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
                    String uploadedBy) {
                StoredArtifact stored = store.put(container, name, content, overwrite, uploadedBy);
                if (name.endsWith("/done.json")) {
                    try {
                        together.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("the partitions did not finish together", e);
                    }
                }
                return stored;
            }
        };
        BatchService batches = service(finishingTogether, SMALL);
        List<String> messages = new ArrayList<>(queued);
        queued.clear();
        events.clear();

        eachAtOnce(messages, m -> batches.scorePartition(m));

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_COMPLETED);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
        // Delivered again, each message finds the completion announced and publishes nothing more.
        messages.forEach(batches::scorePartition);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_COMPLETED);
    }

    @Test
    void aCompletionWhoseEventWasNotPublishedIsAnnouncedByTheNextDeliveryOnce() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        List<String> messages = new ArrayList<>(queued);
        queued.clear();
        events.clear();
        String last = messages.remove(messages.size() - 1);
        messages.forEach(platform.batches()::scorePartition);

        failingPublish.set(EventTypes.BATCH_COMPLETED);
        assertThatThrownBy(() -> platform.batches().scorePartition(last)).isInstanceOf(StoreException.class);
        assertThat(platform.batches().status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batchEvents()).isEmpty();
        // As if the run had died after taking the right to announce: its lease runs for another second.
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.completionLeaseName(job.id()),
                new ByteArrayInputStream(Json.writeBytes(new health.vigil.port.BlobLease.Lease("run-that-died",
                        Instant.now().plusSeconds(1)))), true);

        platform.batches().scorePartition(last);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_COMPLETED);
        messages.add(last);
        messages.forEach(platform.batches()::scorePartition);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_COMPLETED);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void aSubmissionThatDiedWhileQueueingIsFinishedByThePartitionThatWasQueued() throws Exception {
        upload("nightly.csv", csvFile(60));

        failingSend.set(2); // POST /batches answers 503 after the first partition was queued; no one sends it again
        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false),
                "analyst")).isInstanceOf(StoreException.class);
        assertThat(queued).hasSize(1);
        String batchId = Json.readTree("a partition message", queued.peek().getBytes(StandardCharsets.UTF_8))
                .get("batchId").asText();
        int partitions = platform.batches().readJob(batchId).orElseThrow().partitions().size();
        assertThat(partitions).isGreaterThan(2);

        runQueuedInParallel(platform.batches()); // the one partition queued: it queues the others
        assertThat(queued).hasSize(partitions - 1);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(batchId);
        assertThat(status.state()).as(String.valueOf(status.failure())).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(status.scored()).isEqualTo(60);
        assertThat(audited(batchId)).containsExactly("batch.submitted", "batch.completed");
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED, EventTypes.BATCH_COMPLETED);
    }

    @Test
    void aSubmissionWithoutAKeyWhoseFirstSendFailsKeepsNothingAndIsSimplySentAgain() throws Exception {
        upload("nightly.csv", csvFile(60));
        BatchRequest request = new BatchRequest(model, null, "nightly.csv", false);

        failingSend.set(1); // the plan is stored, then the first send fails: nothing is queued, nobody knows the id
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst"))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.getMessage())
                        .contains("nothing of this submission was kept").contains("send it again"));

        assertThat(queued).isEmpty();
        assertThat(platform.artifacts().list(ArtifactStore.BATCH_OUTPUT, null)).as("no plan left behind").isEmpty();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .noneMatch(r -> r.action().startsWith("batch."));
        assertThat(batchEvents()).isEmpty();

        BatchJob again = platform.batches().submit(request, "analyst");
        runQueuedInParallel(platform.batches());
        assertThat(platform.batches().status(again.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(audited(again.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void aSubmissionSentAgainUnderItsIdempotencyKeyIsTheSameJobAndWritesNothingMore() throws Exception {
        upload("nightly.csv", csvFile(60));
        BatchRequest request = new BatchRequest(model, null, "nightly.csv", false);

        BatchService.Submission first = platform.batches().submit(request, "analyst", "nightly-2026-12-04");
        int partitions = first.job().partitions().size();
        assertThat(first.replayed()).isFalse();
        assertThat(queued).hasSize(partitions);
        BatchService.Submission again = platform.batches().submit(request, "analyst", "nightly-2026-12-04");

        assertThat(again.replayed()).isTrue();
        assertThat(again.job()).isEqualTo(first.job());
        assertThat(queued).as("nothing queued again").hasSize(partitions);
        assertThat(audited(first.job().id())).containsExactly("batch.submitted");
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED);
        // The key is the submitter's: another submitter's same key is another job.
        BatchService.Submission other = platform.batches().submit(request, "another-analyst", "nightly-2026-12-04");
        assertThat(other.job().id()).isNotEqualTo(first.job().id());
        assertThat(other.replayed()).isFalse();

        runQueuedInParallel(platform.batches());
        assertThat(platform.batches().status(first.job().id()).scored()).isEqualTo(60);
        assertThat(platform.batches().submit(request, "analyst", "nightly-2026-12-04").replayed()).isTrue();
        assertThat(audited(first.job().id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void identicalSubmissionsAtOnceStartOneJobAndAllButOneAreToldTheyFoundIt() throws Exception {
        upload("nightly.csv", csvFile(60));
        BatchRequest request = new BatchRequest(model, null, "nightly.csv", false);
        int callers = 8;
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(callers);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
        List<BatchService.Submission> answers;
        try {
            List<java.util.concurrent.Future<BatchService.Submission>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < callers; i++) {
                futures.add(pool.submit(() -> {
                    together.await();
                    return platform.batches().submit(request, "analyst", "nightly-at-once");
                }));
            }
            answers = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<BatchService.Submission> f : futures) {
                answers.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(answers.stream().map(a -> a.job().id()).distinct()).hasSize(1);
        assertThat(answers.stream().filter(a -> !a.replayed())).as("the one that started it").hasSize(1);
        assertThat(audited(answers.get(0).job().id())).containsExactly("batch.submitted");
    }

    @Test
    void aSubmissionThatStoppedBeforeQueueingAnyPartitionIsFinishedWhenSentAgainUnderItsKey() throws Exception {
        upload("nightly.csv", csvFile(60));
        BatchRequest request = new BatchRequest(model, null, "nightly.csv", false);

        failingSend.set(1); // the plan is stored, then the first send fails: the caller gets a 503 and nothing runs
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst", "k-1"))
                .isInstanceOf(StoreException.class);
        assertThat(queued).isEmpty();

        BatchService.Submission retried = platform.batches().submit(request, "analyst", "k-1");
        assertThat(retried.replayed()).as("the plan the first try stored").isTrue();
        assertThat(queued).hasSize(retried.job().partitions().size());
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(retried.job().id());
        assertThat(status.state()).as(String.valueOf(status.failure())).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(status.scored()).isEqualTo(60);
        assertThat(batchPredictions(retried.job().id())).hasSize(60);
        assertThat(audited(retried.job().id())).containsExactly("batch.submitted", "batch.completed");
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED, EventTypes.BATCH_COMPLETED);
    }

    /**
     * A key's request refused before its job was planned, sent again as the daily retention removes the stored request
     * (older than the period): the store refuses the resend's create, as the request is there, and the request is gone
     * before it is read back. The resend writes it again and plans the job under its key, the answer the resend gets
     * after the removal; before, it was refused with a 409 saying the stored request already exists.
     */
    @Test
    void aKeyedResendWhoseStoredRequestRetentionRemovesMeanwhileIsPlanned() {
        BatchRequest request = new BatchRequest(model, null, "nightly.csv", false);
        assertThatThrownBy(() -> platform.batches().submit(request, "analyst", "k-removed"))
                .isInstanceOf(health.vigil.error.NotFoundException.class);
        upload("nightly.csv", csvFile(10));
        List<String> removed = new ArrayList<>();
        ArtifactStore removedAfterTheConflict = new ForwardingStore(platform.artifacts()) {
            @Override
            public ArtifactStore.StoredArtifact put(String container, String name, InputStream content,
                    boolean overwrite) {
                try {
                    return store.put(container, name, content, overwrite);
                } catch (ConflictException there) {
                    if (name.endsWith("/request.json") && removed.isEmpty()) {
                        store.delete(container, name); // the retention run's removal of the refused request
                        removed.add(name);
                    }
                    throw there;
                }
            }
        };

        BatchService.Submission sent = service(removedAfterTheConflict, BatchSettings.DEFAULTS)
                .submit(request, "analyst", "k-removed");

        assertThat(removed).singleElement().isEqualTo(BatchService.requestName(sent.job().id()));
        assertThat(sent.replayed()).isFalse();
        assertThat(platform.artifacts().describe(ArtifactStore.BATCH_OUTPUT, BatchService.requestName(sent.job().id())))
                .isPresent();
        assertThat(queued).hasSize(sent.job().partitions().size());
    }

    @Test
    void aKeySentWithAnotherRequestIsRefusedAndAMalformedKeyIsAValidationError() {
        upload("nightly.csv", csvFile(10));
        upload("other.csv", csvFile(10));
        BatchService.Submission first = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false),
                "analyst", "k-2");
        int queuedBefore = queued.size();

        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "other.csv", false),
                "analyst", "k-2")).isInstanceOf(ConflictException.class)
                .hasMessageContaining("another request").hasMessageContaining("nightly.csv")
                .hasMessageContaining(first.job().id());
        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "nightly.csv", true),
                "analyst", "k-2")).isInstanceOf(ConflictException.class);
        assertThat(queued).hasSize(queuedBefore);
        assertThat(platform.batches().readJob(first.job().id()).orElseThrow().inputName()).isEqualTo("nightly.csv");

        for (String bad : List.of("", "two words", "x".repeat(IdempotencyKey.MAX_LENGTH + 1), "k/1", "é")) {
            assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "other.csv", false),
                    "analyst", bad)).as("key '%s'", bad).isInstanceOf(ValidationException.class)
                    .hasMessageContaining("Idempotency-Key");
        }
        assertThat(queued).hasSize(queuedBefore);
    }

    @Test
    void aFailedUploadWhoseEventWasNotPublishedIsAnnouncedByTheReplayOnce() {
        upload("no-such-model/nightly.csv", "patientId,age\nsecret-1,70\n");
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv")
                .orElseThrow().etag();
        BlobCreated event = new BlobCreated("event-9", ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv",
                null, 10, etag);

        failingPublish.set(EventTypes.BATCH_FAILED);
        assertThatThrownBy(() -> platform.batches().submitUpload(event)).isInstanceOf(StoreException.class);
        assertThat(batchEvents()).isEmpty();

        BatchStatus status = platform.batches().submitUpload(event).orElseThrow();
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_FAILED);
        assertThat(audited(status.id())).containsExactly("batch.failed");
        platform.batches().submitUpload(event);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_FAILED);
        assertThat(audited(status.id())).containsExactly("batch.failed");
        assertThat(errors).as("the failed job, counted by the delivery that stored it").containsExactly("batch MODEL_NOT_FOUND");
    }

    @Test
    void aVersionFolderWrittenAnotherWayFailsTheJobInsteadOfScoringWithTheDeployedVersion() {
        for (String folder : new String[] {"V1", "v01", "v+1", "v1234567890"}) {
            String name = model.value() + "/" + folder + "/nightly.csv";
            upload(name, csvFile(5));
            String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, name).orElseThrow().etag();
            BatchStatus status = platform.batches().submitUpload(new BlobCreated("event-" + folder,
                    ArtifactStore.BATCH_INPUT, name, null, 10, etag)).orElseThrow();

            assertThat(status.state()).as(folder).isEqualTo(BatchStatus.State.FAILED);
            assertThat(status.failure()).as(folder).contains("a version folder is a lower-case v");
        }
        assertThat(queued).isEmpty();
        // A folder of another name is the file's own business; the deployed version scores it.
        String dated = model.value() + "/2026-12-05/nightly.csv";
        upload(dated, csvFile(5));
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, dated).orElseThrow().etag();
        assertThat(platform.batches().submitUpload(new BlobCreated("event-dated", ArtifactStore.BATCH_INPUT, dated,
                null, 10, etag)).orElseThrow().state()).isEqualTo(BatchStatus.State.RUNNING);
    }

    @Test
    void anUploadThatCannotBeScoredIsAFailedJobNotARetry() {
        upload("no-such-model/nightly.csv", "patientId,age\nsecret-1,70\n");
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv")
                .orElseThrow().etag();
        BatchStatus status = platform.batches().submitUpload(new BlobCreated("event-9", ArtifactStore.BATCH_INPUT,
                "no-such-model/nightly.csv", null, 10, etag)).orElseThrow();

        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains("no-such-model");
        assertThat(queued).isEmpty();
        assertThat(events).extracting(VigilEvent::type).contains(EventTypes.BATCH_FAILED);
        assertThat(audited(status.id())).containsExactly("batch.failed");
    }

    @Test
    void aCsvFileWhoseLinesEndWithACarriageReturnAloneIsRefusedForItsLineEndsNotReadAsOneHeader() {
        // Read as one line, two rows looked like a header naming a column twice, and one row like a header of more
        // columns over a file of no rows.
        assertRefusedForCarriageReturnLineEnds("CSV", ".csv", BatchServiceTest::csvFile, 1, 2);
    }

    @Test
    void aJsonLinesFileWhoseLinesEndWithACarriageReturnAloneIsRefusedForItsLineEndsNotReadAsOneRow() {
        // Read as one line it was a job of one refused row; a file of more than the longest line allowed, one row
        // refused as too long.
        assertRefusedForCarriageReturnLineEnds("JSON Lines", ".jsonl", BatchServiceTest::jsonLines, 2, 1_000);
        upload("one-line.jsonl", jsonLines(1).replace('\n', '\r'));
        assertThat(platform.batches().submit(new BatchRequest(model, null, "one-line.jsonl", false), "analyst").rows())
                .as("a carriage return that ends the file ends its one line").isEqualTo(1);
    }

    /** Files of each number of rows whose lines end with CR alone are refused; the same file with CRLF is read. */
    private void assertRefusedForCarriageReturnLineEnds(String kind, String extension,
            java.util.function.IntFunction<String> file, int... rowCounts) {
        for (int rows : rowCounts) {
            String name = "classic-mac-" + rows + extension;
            upload(name, file.apply(rows).replace('\n', '\r'));

            assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, name, false), "analyst"))
                    .as(name).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("the " + kind + " file's lines end with a carriage return alone (as"
                            + " classic Mac OS saved text): it has no line feed within its first ")
                    .hasMessageEndingWith(" bytes; save it with LF or CRLF line ends");
        }
        assertThat(queued).isEmpty();
        // CRLF line ends are read as they always were, and so are \r\r\n ends (a text-mode writer's twice-converted
        // CRLF) and a stray carriage return inside the first line: rows are then read, or refused, one by one.
        upload("windows" + extension, file.apply(2).replace("\n", "\r\n"));
        assertThat(platform.batches().submit(new BatchRequest(model, null, "windows" + extension, false), "analyst")
                .rows()).isEqualTo(2);
        upload("twice" + extension, file.apply(3).replace("\n", "\r\r\n"));
        assertThat(platform.batches().submit(new BatchRequest(model, null, "twice" + extension, false), "analyst")
                .rows()).isEqualTo(3);
        String content = file.apply(3);
        // In the first line that is a row: a JSON Lines file's first, the line after a CSV header.
        int rowStart = kind.equals("CSV") ? content.indexOf('\n') + 1 : 0;
        int at = rowStart + (content.indexOf('\n', rowStart) - rowStart) / 2;
        upload("stray" + extension, content.substring(0, at) + "\r" + content.substring(at));
        assertThat(platform.batches().submit(new BatchRequest(model, null, "stray" + extension, false), "analyst")
                .rows()).isEqualTo(3);
    }

    @Test
    void aCsvHeaderWithSeveralColumnsWithoutANameIsRefusedForThemNotForAColumnNamedTwice() {
        // A column without a name after patientId, and another from a comma at the end of the header.
        upload("blank-names.csv", "patientId,," + String.join(",", CSV_HEADER.subList(1, CSV_HEADER.size())) + ",\n"
                + csvRow(1));

        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "blank-names.csv", false),
                "analyst")).isInstanceOf(ValidationException.class).hasMessage("the CSV file's header has blank column"
                        + " names: columns 2 and " + (CSV_HEADER.size() + 2) + " (counted from 1) have no name; name every"
                        + " column, or remove the columns without one (a comma at the end of the header line adds one)");
        assertThat(queued).isEmpty();
    }

    @Test
    void aCsvHeaderWithColumnsTheVersionDoesNotTakeOrWithoutARequiredOneIsRefusedBeforeAnyRowIsScored() {
        // An evaluation file reused as a batch: its label and a segment column beside the inputs, and no age column.
        List<String> header = new ArrayList<>(CSV_HEADER);
        header.remove("age");
        header.addAll(List.of("outcome", "sex group"));
        upload("evaluation-reused.csv", String.join(",", header) + "\n" + "p-1,2,8.4,true,emergency,5,1,F\n");

        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, null, "evaluation-reused.csv", false),
                "analyst")).isInstanceOf(ValidationException.class).hasMessage("the CSV file's header does not fit "
                        + model.value() + " version 1: feature `outcome`, a field whose name is not a valid feature name"
                        + " (not shown) are not inputs of this model (valid features are: "
                        + String.join(", ", CSV_HEADER.subList(1, CSV_HEADER.size())) + "); the required feature age is"
                        + " missing; every row would be refused for it, so nothing was scored: give the file a column for"
                        + " each of the version's features and no other (besides patientId)");
        assertThat(queued).isEmpty();
        assertThat(events).noneMatch(e -> e.type().startsWith("Vigil.Batch"));
    }

    /** A job of one partition whose every delivery meets a fault of the code (not the store), and its message. */
    private record Faulty(BatchService service, BatchJob job, String message) {}

    private Faulty faultyJob() {
        upload("discharges.jsonl", jsonLines(20));
        ArtifactStore faulty = new FailingCheckpoints(platform.artifacts(), () -> true,
                () -> new IllegalStateException("a fault in the code, not the store"));
        BatchService failing = service(faulty, new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = failing.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        return new Faulty(failing, job, queued.poll());
    }

    @Test
    void aPartitionTheQueueGaveUpOnAfterAFaultFailsItsJobOnceInsteadOfLeavingItRunning() {
        Faulty faulty = faultyJob();
        BatchJob job = faulty.job();
        String message = faulty.message();
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThatThrownBy(() -> faulty.service().scorePartition(message))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(faulty.service().status(job.id()).state()).isEqualTo(BatchStatus.State.RUNNING);

        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        assertThat(batches.partitionAbandoned(message).outcome()).isEqualTo(BatchService.Abandoned.JOB_FAILED);
        assertThat(batches.partitionAbandoned(message).outcome())
                .isEqualTo(BatchService.Abandoned.JOB_ALREADY_FINISHED);

        BatchStatus status = batches.status(job.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains("partition 0 could not be scored").contains("IllegalStateException")
                .contains("submit the file again").doesNotContain("a fault in the code");
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.failed");
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_SUBMITTED, EventTypes.BATCH_FAILED);
        assertThat(errors).containsExactly("batch INTERNAL");
        // A late delivery of the same partition finds the job finished and scores nothing.
        batches.scorePartition(message);
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.FAILED);
    }

    @Test
    void partitionsAbandonedTogetherAnnounceTheJobsFailureOnce() throws Exception {
        upload("discharges.jsonl", jsonLines(40));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        List<String> messages = new ArrayList<>(queued).subList(0, 2);
        // Each partition's every attempt met a fault in the code, as the queue's poison messages say.
        for (int partition = 0; partition < 2; partition++) {
            platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.faultName(job.id(), partition),
                    new java.io.ByteArrayInputStream(Json.writeBytes(new BatchService.Fault("IllegalStateException",
                            Instant.now()))), true);
        }
        // Both calls find the job unfinished, then meet before either writes failure.json: as two instances handling
        // the poison messages of two partitions at the same moment.
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.atomic.AtomicInteger meetings = new java.util.concurrent.atomic.AtomicInteger();
        ArtifactStore failingTogether = new ForwardingStore(platform.artifacts()) {
            @Override
            public Optional<ArtifactStore.StoredArtifact> describe(String container, String name) {
                if (name.endsWith("/failure.json") && meetings.getAndIncrement() < 2) {
                    try {
                        together.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("the partitions were not abandoned together", e);
                    }
                }
                return store.describe(container, name);
            }
        };
        BatchService batches = service(failingTogether, SMALL);
        events.clear();

        eachAtOnce(messages, m -> batches.partitionAbandoned(m));

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(batchEvents()).containsExactly(EventTypes.BATCH_FAILED);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.failed");
    }

    @Test
    void aPartitionAbandonedWhileTheStoreWasAwayStaysResumable() {
        upload("discharges.jsonl", jsonLines(20));
        BatchService away = service(new FailingCheckpoints(platform.artifacts(), () -> true),
                new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = away.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        String message = queued.poll();
        assertThatThrownBy(() -> away.scorePartition(message)).isInstanceOf(StoreException.class);

        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        assertThat(batches.partitionAbandoned(message).outcome()).isEqualTo(BatchService.Abandoned.LEFT_RESUMABLE);
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.RUNNING);

        batches.scorePartition(message); // the operator sends the message again once the store is back
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
    }

    @Test
    void resultsArePagedAtLineEndsAndAnOffsetInsideALineIsRefused() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        batches.scorePartition(queued.poll());
        byte[] whole;
        try (InputStream in = batches.openResults(job.id())) {
            whole = in.readAllBytes();
        }

        java.io.ByteArrayOutputStream paged = new java.io.ByteArrayOutputStream();
        long offset = 0;
        int pages = 0;
        while (offset < whole.length) {
            BatchService.ResultsPage page = batches.readResults(job.id(), offset, 700, ANALYST);
            assertThat(page.lines()).isNotEmpty();
            assertThat(page.lines()[page.lines().length - 1]).as("a page ends with a whole line").isEqualTo((byte) '\n');
            paged.writeBytes(page.lines());
            offset = page.nextOffset();
            pages++;
        }
        assertThat(paged.toByteArray()).isEqualTo(whole);
        assertThat(pages).isGreaterThan(2);

        int firstLineEnd = new String(whole, StandardCharsets.UTF_8).indexOf('\n') + 1;
        assertThat(batches.readResults(job.id(), firstLineEnd, 700, ANALYST).lines()).isNotEmpty();
        assertThatThrownBy(() -> batches.readResults(job.id(), firstLineEnd - 5, 700, ANALYST))
                .isInstanceOf(ValidationException.class).hasMessageContaining("inside a line");
        // The last page's next offset is the end: nothing more. Past it is not an offset any page gave.
        assertThat(batches.readResults(job.id(), whole.length, 700, ANALYST).lines()).isEmpty();
        assertThat(batches.readResults(job.id(), whole.length, 700, ANALYST).nextOffset()).isEqualTo(whole.length);
        assertThatThrownBy(() -> batches.readResults(job.id(), whole.length + 10, 700, ANALYST))
                .isInstanceOf(ValidationException.class).hasMessageContaining("past the end of the results");

        // The id as a UUID in upper case is the same job, as a prediction id is the same prediction.
        String upper = job.id().toUpperCase(java.util.Locale.ROOT);
        assertThat(batches.status(upper).id()).isEqualTo(job.id());
        assertThat(batches.summary(upper)).isEqualTo(batches.summary(job.id()));
        assertThat(batches.readResults(upper, 0, 700, ANALYST).lines())
                .isEqualTo(batches.readResults(job.id(), 0, 700, ANALYST).lines());
        // A job there is none of has no summary because it is not there: 404, not "still running".
        assertThatThrownBy(() -> batches.summary(java.util.UUID.randomUUID().toString()))
                .isInstanceOf(health.vigil.error.NotFoundException.class).hasMessageContaining("there is no batch");
    }

    @Test
    void everyPageOfResultsAskedForIsOneAuditRecordNamingTheReaderButNeverTextThatIsNoBatchId() throws Exception {
        upload("discharges.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "clinic-analyst");
        batches.scorePartition(queued.poll());
        Principal submitter = new Principal("clinic-analyst", Set.of(Role.BATCHES_SUBMIT));
        Principal operator = new Principal("another-analyst", Set.of(Role.BATCHES_READ_ALL));

        BatchService.ResultsPage first = batches.readResults(job.id(), 0, 700, submitter);
        batches.readResults(job.id(), first.nextOffset(), 700, submitter);
        assertThatThrownBy(() -> batches.readResults(job.id(), first.nextOffset() - 1, 700, operator))
                .isInstanceOf(ValidationException.class);
        // A record number pasted where the id goes is refused and kept out of the record.
        assertThatThrownBy(() -> batches.readResults("MRN-20481234", 0, 700, operator))
                .isInstanceOf(ValidationException.class);

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<AuditRecord> reads = platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().equals(BatchService.AUDIT_RESULTS_READ)).toList();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::subject, AuditRecord::outcome).containsExactly(
                tuple("clinic-analyst", "batches/" + job.id(), "read"),
                tuple("clinic-analyst", "batches/" + job.id(), "read"),
                tuple("another-analyst", "batches/" + job.id(), "refused"),
                tuple("another-analyst", "batches", "invalid"));
        assertThat(reads.get(0).details()).containsEntry("batchId", job.id()).containsEntry("offset", "0")
                .containsEntry("bytes", Integer.toString(first.lines().length));
        assertThat(reads.get(1).details()).containsEntry("offset", Long.toString(first.nextOffset()));
        assertThat(reads.get(2).details()).containsEntry("code", "INVALID_REQUEST");
        assertThat(reads).allSatisfy(r -> assertThat(r.toString()).doesNotContain("20481234"));
    }

    @Test
    void aJobsSubmitterReadsItsStatusSummaryAndResults() throws Exception {
        upload("adherence.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "adherence.jsonl", false), "pharmacy");
        batches.scorePartition(queued.poll());
        // The caller as the authenticator spells it, which may differ in case from the submission.
        Principal pharmacy = new Principal("Pharmacy", Set.of(Role.BATCHES_SUBMIT));

        assertThat(batches.readJob(job.id()).orElseThrow().origin()).isEqualTo(BatchOrigin.REQUEST);
        assertThat(batches.status(job.id(), pharmacy).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batches.summary(job.id(), pharmacy).scored()).isEqualTo(20);
        assertThat(new String(batches.readResults(job.id(), 0, 1 << 20, pharmacy).lines(), StandardCharsets.UTF_8)
                .lines()).hasSize(20);
    }

    /**
     * Two teams that both submit batches (pharmacy adherence, cardiology research): neither reads the other's job,
     * its status, summary or patient-level results, and the refusal names the role that would admit it and nothing
     * from the file. A holder of Batches.ReadAll (the nightly runs' operators) reads it without submitting anything.
     */
    @Test
    void anotherCallersJobIsRefusedUnlessTheReaderHoldsReadAll() throws Exception {
        upload("adherence.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "adherence.jsonl", false), "pharmacy");
        batches.scorePartition(queued.poll());
        Principal cardiology = new Principal("cardiology", Set.of(Role.BATCHES_SUBMIT));

        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> reads = List.of(
                () -> batches.status(job.id(), cardiology), () -> batches.summary(job.id(), cardiology),
                () -> batches.readResults(job.id(), 0, 1 << 20, cardiology));
        for (var read : reads) {
            assertThatThrownBy(read).isInstanceOfSatisfying(AccessDeniedException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
                assertThat(e.getMessage()).contains("batch " + job.id() + " was submitted by another caller")
                        .contains("Batches.ReadAll").contains("'cardiology'").doesNotContain("secret-patient")
                        .doesNotContain("pharmacy");
            });
        }
        // A caller with neither batch role learns nothing of the job, not even that it exists.
        Principal clinicalApp = new Principal("clinical-app", Set.of(Role.SCORING_INVOKE));
        assertThatThrownBy(() -> batches.status(java.util.UUID.randomUUID().toString(), clinicalApp))
                .isInstanceOfSatisfying(AccessDeniedException.class, e -> assertThat(e.getMessage())
                        .contains("needs the role Batches.Submit").contains("or Batches.ReadAll"));

        Principal nightlyOperator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));
        assertThat(batches.status(job.id(), nightlyOperator).scored()).isEqualTo(20);
        assertThat(batches.summary(job.id(), nightlyOperator).scored()).isEqualTo(20);
        assertThat(batches.readResults(job.id(), 0, 1 << 20, nightlyOperator).lines()).isNotEmpty();

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .filteredOn(r -> r.action().equals(BatchService.AUDIT_RESULTS_READ))
                .extracting(AuditRecord::actor, AuditRecord::outcome, r -> r.details().get("code"))
                .containsExactly(tuple("cardiology", "refused", "FORBIDDEN"), tuple("nightly-operator", "read", null));
    }

    /**
     * A file dropped in batch-input starts a job whose submitter is what the store recorded of the file's writer
     * (blob metadata, os-user:NAME), not an authenticated caller: even a caller of that very name does not read it,
     * nor a job such a file failed before it was planned; Batches.ReadAll reads both.
     */
    @Test
    void aJobADroppedFileStartedIsReadOnlyWithReadAll() {
        String dropped = model.value() + "/nightly.csv";
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, dropped,
                new ByteArrayInputStream(csvFile(5).getBytes(StandardCharsets.UTF_8)), true, "pharmacy");
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, dropped).orElseThrow().etag();
        String id = platform.batches().submitUpload(new BlobCreated("event-1", ArtifactStore.BATCH_INPUT, dropped,
                null, 100, etag)).orElseThrow().id();
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, "no-such-model/nightly.csv",
                new ByteArrayInputStream(csvFile(5).getBytes(StandardCharsets.UTF_8)), true, "pharmacy");
        String failedId = platform.batches().submitUpload(new BlobCreated("event-2", ArtifactStore.BATCH_INPUT,
                "no-such-model/nightly.csv", null, 100, "0x1")).orElseThrow().id();
        for (String message; (message = queued.poll()) != null; ) {
            platform.batches().scorePartition(message);
        }
        BatchJob job = platform.batches().readJob(id).orElseThrow();
        assertThat(job.submittedBy()).isEqualTo("pharmacy");
        assertThat(job.origin()).isEqualTo(BatchOrigin.UPLOAD);
        Principal pharmacy = new Principal("pharmacy", Set.of(Role.BATCHES_SUBMIT));

        List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> reads = List.of(
                () -> platform.batches().status(id, pharmacy), () -> platform.batches().summary(id, pharmacy),
                () -> platform.batches().readResults(id, 0, 1 << 20, pharmacy),
                () -> platform.batches().status(failedId, pharmacy));
        for (var read : reads) {
            assertThatThrownBy(read).isInstanceOfSatisfying(AccessDeniedException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
                assertThat(e.getMessage()).contains("was started by a file placed in batch-input")
                        .contains("read with the role Batches.ReadAll").doesNotContain("secret-patient");
            });
        }

        Principal nightlyOperator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));
        assertThat(platform.batches().status(id, nightlyOperator).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(platform.batches().summary(id, nightlyOperator).scored()).isEqualTo(5);
        assertThat(platform.batches().readResults(id, 0, 1 << 20, nightlyOperator).lines()).isNotEmpty();
        assertThat(platform.batches().status(failedId, nightlyOperator).state()).isEqualTo(BatchStatus.State.FAILED);
    }

    /**
     * A job planned before the platform recorded its origin ({@code job.json} without it, as an earlier build wrote
     * it) is still read by the caller who submitted it, with or without an idempotency key: a dropped file's job is
     * named after the file and the version planned, which no request's job is. A dropped file's job stays read only
     * with Batches.ReadAll, and another caller is refused as for a job planned now.
     */
    @Test
    void aJobPlannedBeforeItsOriginWasRecordedIsReadByItsSubmitterAndADroppedFilesOnlyWithReadAll() throws Exception {
        upload("nightly.csv", csvFile(5));
        String keyless = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "pharmacy")
                .id();
        String keyed = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "pharmacy",
                "run-1").job().id();
        String dropped = model.value() + "/nightly.csv";
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, dropped,
                new ByteArrayInputStream(csvFile(5).getBytes(StandardCharsets.UTF_8)), true, "pharmacy");
        String etag = platform.artifacts().describe(ArtifactStore.BATCH_INPUT, dropped).orElseThrow().etag();
        String uploaded = platform.batches().submitUpload(new BlobCreated("event-1", ArtifactStore.BATCH_INPUT,
                dropped, null, 100, etag)).orElseThrow().id();
        for (String message; (message = queued.poll()) != null; ) {
            platform.batches().scorePartition(message);
        }
        for (String id : List.of(keyless, keyed, uploaded)) {
            com.fasterxml.jackson.databind.node.ObjectNode plan;
            try (InputStream in = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, BatchService.jobName(id))) {
                plan = (com.fasterxml.jackson.databind.node.ObjectNode) Json.readTree("a plan", in.readAllBytes());
            }
            assertThat(plan.remove("origin")).isNotNull();
            platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.jobName(id),
                    new ByteArrayInputStream(Json.writeBytes(plan)), true);
            assertThat(platform.batches().readJob(id).orElseThrow().origin()).isNull();
        }
        Principal pharmacy = new Principal("pharmacy", Set.of(Role.BATCHES_SUBMIT));
        Principal cardiology = new Principal("cardiology", Set.of(Role.BATCHES_SUBMIT));

        for (String id : List.of(keyless, keyed)) {
            assertThat(platform.batches().status(id, pharmacy).state()).isEqualTo(BatchStatus.State.COMPLETED);
            assertThat(platform.batches().summary(id, pharmacy).scored()).isEqualTo(5);
            assertThat(platform.batches().readResults(id, 0, 1 << 20, pharmacy).lines()).isNotEmpty();
            assertThatThrownBy(() -> platform.batches().status(id, cardiology))
                    .isInstanceOfSatisfying(AccessDeniedException.class, e -> assertThat(e.getMessage())
                            .contains("was submitted by another caller"));
        }
        assertThatThrownBy(() -> platform.batches().readResults(uploaded, 0, 1 << 20, pharmacy))
                .isInstanceOfSatisfying(AccessDeniedException.class, e -> assertThat(e.getMessage())
                        .contains("was started by a file placed in batch-input"));
        Principal nightlyOperator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));
        assertThat(platform.batches().summary(uploaded, nightlyOperator).scored()).isEqualTo(5);
    }

    /**
     * A job's status and summary reads are audit records like its results pages, without a patient's data. A client
     * following a job asks for its status twice a second, so an answered read is recorded once per reader, job, state
     * seen and UTC day: who saw it running, who saw it completed; a refused read is recorded every time.
     */
    @Test
    void statusAndSummaryReadsAreAuditedOncePerReaderJobAndStateSeenAndRefusalsEveryTime() throws Exception {
        upload("nightly.csv", csvFile(60));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "pharmacy");
        Principal pharmacy = new Principal("pharmacy", Set.of(Role.BATCHES_SUBMIT));
        Principal cardiology = new Principal("cardiology", Set.of(Role.BATCHES_SUBMIT));
        Principal nightlyOperator = new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL));

        for (int poll = 0; poll < 5; poll++) {
            assertThat(platform.batches().status(job.id(), pharmacy).state()).isEqualTo(BatchStatus.State.RUNNING);
        }
        assertThatThrownBy(() -> platform.batches().summary(job.id(), pharmacy)).isInstanceOf(ConflictException.class);
        runQueuedInParallel(platform.batches());
        for (int poll = 0; poll < 3; poll++) {
            platform.batches().status(job.id(), pharmacy);
            platform.batches().summary(job.id(), pharmacy);
        }
        platform.batches().status(job.id(), nightlyOperator);
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> platform.batches().status(job.id(), cardiology))
                    .isInstanceOf(AccessDeniedException.class);
        }
        assertThatThrownBy(() -> platform.batches().summary(job.id(), cardiology))
                .isInstanceOf(AccessDeniedException.class);
        // A record number pasted where the id goes is refused and kept out of the record.
        assertThatThrownBy(() -> platform.batches().status("MRN-20481234", pharmacy))
                .isInstanceOf(ValidationException.class);

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<AuditRecord> reads = platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().equals("batch.status.read") || r.action().equals("batch.summary.read"))
                .toList();
        String subject = "batches/" + job.id();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::action, AuditRecord::subject,
                AuditRecord::outcome, r -> r.details().get("state"), r -> r.details().get("code")).containsExactly(
                tuple("pharmacy", "batch.status.read", subject, "read", "RUNNING", null),
                tuple("pharmacy", "batch.summary.read", subject, "refused", null, "INVALID_STATE"),
                tuple("pharmacy", "batch.status.read", subject, "read", "COMPLETED", null),
                tuple("pharmacy", "batch.summary.read", subject, "read", "COMPLETED", null),
                tuple("nightly-operator", "batch.status.read", subject, "read", "COMPLETED", null),
                tuple("cardiology", "batch.status.read", subject, "refused", null, "FORBIDDEN"),
                tuple("cardiology", "batch.status.read", subject, "refused", null, "FORBIDDEN"),
                tuple("cardiology", "batch.summary.read", subject, "refused", null, "FORBIDDEN"),
                tuple("pharmacy", "batch.status.read", "batches", "invalid", null, null));
        assertThat(reads).allSatisfy(r -> {
            assertThat(r.toString()).doesNotContain("secret-patient").doesNotContain("20481234");
            if (!r.subject().equals("batches")) {
                assertThat(r.details()).containsEntry("batchId", job.id());
            }
        });
    }

    /**
     * A file with no rows (a CSV export that wrote only its header, an empty JSON Lines file) completes, since a day
     * without patients happens, but says so where a broken nightly export would be noticed: a warning in the summary,
     * in the completion's audit record and in its event. A file with rows has none.
     */
    @Test
    void aFileWithNoRowsCompletesWithAWarningInItsSummaryItsCompletionRecordAndItsEvent() throws Exception {
        upload("header-only.csv", String.join(",", CSV_HEADER) + "\n");
        upload("empty.jsonl", "");
        upload("nightly.csv", csvFile(3));
        Map<String, String> jobs = new LinkedHashMap<>();
        for (String input : List.of("header-only.csv", "empty.jsonl", "nightly.csv")) {
            jobs.put(input, platform.batches().submit(new BatchRequest(model, null, input, false), "analyst").id());
        }
        runQueuedInParallel(platform.batches());

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<AuditRecord> completions = platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().equals(BatchService.AUDIT_COMPLETED)).toList();
        for (String input : List.of("header-only.csv", "empty.jsonl")) {
            String id = jobs.get(input);
            BatchStatus status = platform.batches().status(id);
            assertThat(status.state()).as(input).isEqualTo(BatchStatus.State.COMPLETED);
            assertThat(status.rows()).as(input).isZero();
            JsonNode warnings = storedSummary(id).path("warnings");
            assertThat(warnings).as(input).hasSize(1);
            assertThat(warnings.get(0).asText()).startsWith("EMPTY_INPUT: ").contains("no rows")
                    .contains("header").contains("export");
            assertThat(completions).filteredOn(r -> id.equals(r.details().get("batchId"))).singleElement()
                    .satisfies(r -> assertThat(r.details()).containsEntry("rows", "0")
                            .containsEntry("warnings", "EMPTY_INPUT"));
            assertThat(events).filteredOn(e -> e.type().equals(EventTypes.BATCH_COMPLETED)
                    && id.equals(e.data().get("batchId"))).singleElement()
                    .satisfies(e -> assertThat(e.data()).containsEntry("rows", 0L)
                            .containsEntry("warnings", List.of("EMPTY_INPUT")));
        }
        String scored = jobs.get("nightly.csv");
        assertThat(storedSummary(scored).path("warnings").isArray()).isTrue();
        assertThat(storedSummary(scored).path("warnings")).isEmpty();
        assertThat(completions).filteredOn(r -> scored.equals(r.details().get("batchId"))).singleElement()
                .satisfies(r -> assertThat(r.details()).doesNotContainKey("warnings"));
        assertThat(events).filteredOn(e -> e.type().equals(EventTypes.BATCH_COMPLETED)
                && scored.equals(e.data().get("batchId"))).singleElement()
                .satisfies(e -> assertThat(e.data()).doesNotContainKey("warnings"));
    }

    /**
     * {@code GET /batches/{id}} of a completed job carries its summary's warnings, as the route writes the answer, so
     * that a client polling the status learns that a file held no rows without reading the summary; one with rows
     * says none, and a job still running has no warnings to give.
     */
    @Test
    void theStatusOfACompletedJobCarriesItsSummarysWarnings() throws Exception {
        upload("header-only.csv", String.join(",", CSV_HEADER) + "\n");
        upload("nightly.csv", csvFile(3));
        String empty = platform.batches().submit(new BatchRequest(model, null, "header-only.csv", false), "analyst")
                .id();
        String scored = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "analyst").id();
        runQueuedInParallel(platform.batches());
        String running = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "analyst")
                .id();
        Principal analyst = new Principal("analyst", Set.of(Role.BATCHES_SUBMIT));

        JsonNode emptyStatus = answered(platform.batches().status(empty, analyst));
        assertThat(emptyStatus.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(emptyStatus.path("warnings")).singleElement()
                .satisfies(w -> assertThat(w.asText()).startsWith("EMPTY_INPUT: ").contains("no rows"));
        assertThat(emptyStatus.path("warnings")).isEqualTo(storedSummary(empty).path("warnings"));
        JsonNode scoredStatus = answered(platform.batches().status(scored, analyst));
        assertThat(scoredStatus.path("warnings").isArray()).isTrue();
        assertThat(scoredStatus.path("warnings")).isEmpty();
        JsonNode runningStatus = answered(platform.batches().status(running, analyst));
        assertThat(runningStatus.path("state").asText()).isEqualTo("RUNNING");
        assertThat(runningStatus.has("warnings")).isFalse();
    }

    /** A status as a route writes it in its answer, read back as a client reads it. */
    private static JsonNode answered(BatchStatus status) {
        return Json.readTree("a status", Json.writeBytes(status));
    }

    /** The summary a job stored, as a client reads it. */
    private JsonNode storedSummary(String id) throws IOException {
        try (InputStream in = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, BatchService.summaryName(id))) {
            return Json.readTree("a summary", in.readAllBytes());
        }
    }

    /**
     * The authenticator may spell one caller two ways (case, a stray space, a compatibility character), and the job
     * is theirs under either spelling: their reads of one state on one day are one record, not one per spelling.
     */
    @Test
    void aReadersSpellingsOfOneIdentityAreOneDailyReadRecord() throws Exception {
        upload("nightly.csv", csvFile(5));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "pharmacy");
        runQueuedInParallel(platform.batches());

        for (String spelling : List.of("pharmacy", "Pharmacy", "PHARMACY ", "\uFF50harmacy")) {
            Principal reader = new Principal(spelling, Set.of(Role.BATCHES_SUBMIT));
            assertThat(platform.batches().status(job.id(), reader).state()).isEqualTo(BatchStatus.State.COMPLETED);
            platform.batches().summary(job.id(), reader);
        }

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .filteredOn(r -> r.action().equals(BatchService.AUDIT_STATUS_READ)
                        || r.action().equals(BatchService.AUDIT_SUMMARY_READ))
                .extracting(AuditRecord::actor, AuditRecord::action)
                .containsExactly(tuple("pharmacy", BatchService.AUDIT_STATUS_READ),
                        tuple("pharmacy", BatchService.AUDIT_SUMMARY_READ));
    }

    /**
     * An earlier attempt met a fault of the code; a redelivery is scoring the partition now (its lease is held) when a
     * duplicate copy of the message reaches the poison queue: the job is left to the running delivery, not failed
     * under it. Once the lease is given up or expires, the recorded fault fails the job as before.
     */
    @Test
    void aPoisonedCopyOfAMessageDoesNotFailAJobWhosePartitionAnotherDeliveryIsScoring() {
        Faulty faulty = faultyJob();
        BatchJob job = faulty.job();
        String message = faulty.message();
        assertThatThrownBy(() -> faulty.service().scorePartition(message)).isInstanceOf(IllegalStateException.class);
        String lease = BatchService.leaseName(job.id(), 0);
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, lease, new ByteArrayInputStream(Json.writeBytes(
                new BlobLease.Lease("another-delivery", Instant.now().plusSeconds(60)))), true);
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));

        assertThat(batches.partitionAbandoned(message).outcome()).isEqualTo(BatchService.Abandoned.PARTITION_RUNNING);
        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.RUNNING);

        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, lease, new ByteArrayInputStream(Json.writeBytes(
                new BlobLease.Lease("another-delivery", Instant.EPOCH))), true);
        assertThat(batches.partitionAbandoned(message).outcome()).isEqualTo(BatchService.Abandoned.JOB_FAILED);
    }

    @Test
    void aCompletedJobIsNotFailedByAnAbandonedCopyOfItsMessage() {
        upload("discharges.jsonl", jsonLines(20));
        BatchService batches = service(platform.artifacts(), new BatchSettings(1 << 20, 8, 1_024));
        BatchJob job = batches.submit(new BatchRequest(model, null, "discharges.jsonl", false), "analyst");
        String message = queued.poll();
        batches.scorePartition(message);

        assertThat(batches.partitionAbandoned(message).outcome())
                .isEqualTo(BatchService.Abandoned.JOB_ALREADY_FINISHED);

        assertThat(batches.status(job.id()).state()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.completed");
    }

    @Test
    void onlyAnApprovedVersionMayBePinned() {
        ModelName registeredOnly = register(SampleModels.readmissionLogistic(), "logistic.zip");
        assertThat(registeredOnly).isEqualTo(model);
        upload("pinned.csv", "patientId,age\nsecret-1,70\n");
        assertThatThrownBy(() -> platform.batches().submit(new BatchRequest(model, 2, "pinned.csv", false), "analyst"))
                .isInstanceOf(ConflictException.class).hasMessageContaining("approved");
    }

    @Test
    void aJobPinnedToACanaryThatIsRolledBackStopsBeforeScoringAnotherRowWithIt() throws Exception {
        Principal operator = new Principal("operator", Set.of(health.vigil.security.Role.DEPLOYMENTS_OPERATE));
        secondVersionApproved();
        platform.canaries().start(model, new health.vigil.canary.CanaryService.StartCommand(2, List.of(5000, 10000),
                java.time.Duration.ofHours(2), null), operator);
        upload("nightly.csv", csvFile(60));
        BatchJob job = platform.batches().submit(new BatchRequest(model, 2, "nightly.csv", false), "analyst");

        platform.canaries().abort(model, operator);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(job.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains(model + ":2 is rolled back").contains("submit the file again")
                .doesNotContain("secret");
        assertThat(batchPredictions(job.id())).as("no row scored by the withdrawn version").isEmpty();
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.failed");
    }

    @Test
    void aJobWhoseStableVersionIsRolledBackStopsButOneReplacedByANewerVersionIsScoredByItsOwnVersion()
            throws Exception {
        secondVersionApproved();
        upload("nightly.csv", csvFile(60));
        BatchJob before = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "analyst");
        platform.deployments().deploy(model, 2, Principal.SYSTEM);
        runQueuedInParallel(platform.batches());
        assertThat(platform.batches().status(before.id()).state()).as("a routine deploy of a newer version")
                .isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(batchPredictions(before.id())).hasSize(60).allSatisfy(r -> assertThat(r.version()).isEqualTo(1));

        BatchJob withdrawn = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false),
                "analyst");
        platform.deployments().rollback(model, java.util.OptionalInt.empty(), Principal.SYSTEM);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(withdrawn.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains(model + ":2 was rolled back to version 1").doesNotContain("secret");
        assertThat(batchPredictions(withdrawn.id())).isEmpty();
    }

    /**
     * A job planned on a version that is rolled back stops even when a newer version is deployed before its next
     * partition starts: the newer deploy does not make the rollback a routine replacement. Before, the deployed
     * version was compared with the job's, and the job went on scoring with the version rolled back.
     */
    @Test
    void aJobWhoseVersionIsRolledBackStopsAlsoWhenANewerVersionIsDeployedBeforeItsNextPartition() throws Exception {
        secondVersionApproved();
        assertThat(register(SampleModels.readmissionLinearRisk(), "linear.zip")).isEqualTo(model);
        SetUpApproval.approve(platform, new ModelVersion(model, 3));
        platform.deployments().deploy(model, 2, Principal.SYSTEM);
        upload("nightly.csv", csvFile(60));
        BatchJob job = platform.batches().submit(new BatchRequest(model, null, "nightly.csv", false), "analyst");
        assertThat(job.version()).isEqualTo(2);

        platform.deployments().rollback(model, java.util.OptionalInt.empty(), Principal.SYSTEM);
        platform.deployments().deploy(model, 3, Principal.SYSTEM);
        runQueuedInParallel(platform.batches());

        BatchStatus status = platform.batches().status(job.id());
        assertThat(status.state()).isEqualTo(BatchStatus.State.FAILED);
        assertThat(status.failure()).contains(model + ":2 was rolled back to version 1 after batch " + job.id())
                .doesNotContain("secret");
        assertThat(batchPredictions(job.id())).as("no row scored by the version rolled back").isEmpty();
        assertThat(audited(job.id())).containsExactly("batch.submitted", "batch.failed");
    }

    private void secondVersionApproved() {
        assertThat(register(SampleModels.readmissionLogistic(), "logistic.zip")).isEqualTo(model);
        SetUpApproval.approve(platform, new ModelVersion(model, 2));
    }

    /**
     * The short way from CSV cells to the model's inputs ({@link CsvRowDecoder}) against the general path a request
     * takes: for every row, the same status, score and model inputs as {@code POST /score} gives the same patient (the
     * cells read as {@link RowParser} reads them), or the same refusal reasons.
     */
    @Test
    void aPlainCsvRowTakesTheShortWayAndEveryRowGetsWhatAScoreRequestGets() {
        ScorableModel scorable = platform.scoring().models().get(new ModelVersion(model, 1));
        RowParser parser = new RowParser(BatchFormat.CSV, CSV_HEADER, scorable.validator().schema());
        CsvRowDecoder decoder = CsvRowDecoder.of(scorable.pipeline(), scorable.validator().schema(), CSV_HEADER)
                .orElseThrow();
        ChunkScorer scorer = new ChunkScorer("4f1c2a7e-0000-4000-8000-000000000001", PredictionIdForm.MIXED,
                scorable, new Pseudonymizer(new byte[32]), false, parser, decoder);

        List<String> lines = new ArrayList<>();
        // Every spelling of every column once, the other cells plain.
        for (int column = 0; column < CELLS.length; column++) {
            for (String cell : CELLS[column]) {
                String[] row = plainCsvRow(lines.size());
                row[column + 1] = cell;
                lines.add(String.join(",", row));
            }
        }
        // Then random mixtures, so rows with several problems are compared too.
        SplittableRandom random = new SplittableRandom(20261203L);
        for (int i = 0; i < 400; i++) {
            String[] row = plainCsvRow(lines.size());
            for (int column = 0; column < CELLS.length; column++) {
                if (random.nextInt(3) == 0) {
                    row[column + 1] = CELLS[column][random.nextInt(CELLS[column].length)];
                }
            }
            lines.add(String.join(",", row));
        }
        lines.add("patient-with-a-comma-too-many,71,2,8.4,true,emergency,5,");
        lines.add("patient-short,71,2");
        lines.add(",71,2,8.4,true,emergency,5");
        lines.add("\"quoted-patient\",71,2,8.4,true,emergency,5");
        lines.add("patiënt-é,71,2,8.4,true,emergency,5");
        lines.add("p".repeat(300) + ",71,2,8.4,true,emergency,5");

        // As a job hands them over: each line in an array reused from an earlier row, so bytes of that row follow it.
        List<ChunkScorer.Row> rows = new ArrayList<>();
        byte[] earlier = "9".repeat(600).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i).getBytes(StandardCharsets.UTF_8);
            byte[] place = Arrays.copyOf(earlier, Math.max(earlier.length, line.length + 16));
            System.arraycopy(line, 0, place, 0, line.length);
            rows.add(new ChunkScorer.Row(i + 1, place, line.length, null));
        }
        ChunkScorer.Outcome outcome = scorer.score(rows, Map.of(), Instant.now());

        int decoded = 0;
        int scored = 0;
        for (ChunkScorer.Row row : rows) {
            long n = row.number();
            String line = lines.get((int) n - 1);
            float[] inputs = new float[scorable.pipeline().width()];
            if (decoder.decode(row.line(), row.length(), inputs, 0) != null) {
                decoded++;
            }
            Expected expected = requestOutcome(parser, scorable, row);
            if (expected.reasons() != null) {
                assertThat(outcome.scored()).as("row %d: %s", n, line).doesNotContainKey(n);
                assertThat(outcome.refused().get(n)).as("row %d: %s", n, line).isEqualTo(expected.reasons());
            } else {
                scored++;
                PredictionRecord p = outcome.scored().get(n);
                assertThat(p).as("row %d: %s", n, line).isNotNull();
                assertThat(p.score()).as("row %d: %s", n, line).isEqualTo(expected.score());
                assertThat(Arrays.equals(p.features(), expected.inputs())).as("row %d: %s inputs %s, expected %s",
                        n, line, Arrays.toString(p.features()), Arrays.toString(expected.inputs())).isTrue();
            }
        }
        // Not vacuous: the short way took most rows, and both outcomes are well represented.
        assertThat(decoded).isGreaterThan(lines.size() / 4);
        assertThat(scored).isGreaterThan(lines.size() / 4);
        assertThat(outcome.refused().size()).isGreaterThan(lines.size() / 4);
        assertThat(outcome.refused().values().toString()).doesNotContain("patient-").doesNotContain("212");
    }

    /** What a score request gives a row: its score and inputs, or its refusal reasons. */
    private record Expected(Double score, float[] inputs, List<String> reasons) {}

    /** What {@code POST /score} does with the row as the general parser reads it. */
    private Expected requestOutcome(RowParser parser, ScorableModel scorable, ChunkScorer.Row row) {
        PatientRow patient;
        try {
            patient = parser.parse(row.number(), row.line(), row.length());
        } catch (RowParser.MalformedRow e) {
            return new Expected(null, null, List.of("malformed row: " + e.getMessage()));
        }
        try {
            double score = platform.scoring().score(new ScoreRequest(model, 1, List.of(patient))).row(0).score();
            float[] inputs = new float[scorable.pipeline().width()];
            scorable.pipeline().transform(scorable.validator().validate(patient.features()), inputs, 0);
            return new Expected(score, inputs, null);
        } catch (FeatureValidationException e) {
            // A request numbers its rows; a batch row's number is in its result line instead.
            return new Expected(null, null, e.problems().stream().map(p -> p.replaceFirst("^row 1: ", "")).toList());
        } catch (ValidationException e) {
            return new Expected(null, null, List.of(e.getMessage().replaceFirst("^row 1: ", "")));
        }
    }

    private static String[] plainCsvRow(int index) {
        return new String[] {"patient-" + index, "71", "2", "8.4", "true", "emergency", "5"};
    }

    // ------------------------------------------------------------------ helpers

    private BatchService service(ArtifactStore artifacts, BatchSettings settings) {
        return service(artifacts, platform.predictionLog(), Clock.systemUTC(), settings);
    }

    private BatchService service(ArtifactStore artifacts, PredictionLog log, Clock clock, BatchSettings settings) {
        return new BatchService(platform.registry(), platform.scoring().models(), artifacts, log,
                new Pseudonymizer(new byte[32]), platform.audit(), events::add,
                (queue, id, message) -> queued.add(message), clock, settings, platform.telemetry());
    }

    private String lease(String jobId) throws IOException {
        try (InputStream in = platform.artifacts().open(ArtifactStore.BATCH_OUTPUT, BatchService.leaseName(jobId, 0))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Runs {@code handle} for every message at once, one thread each, and waits for all of them to end well. */
    private static void eachAtOnce(List<String> messages, java.util.function.Consumer<String> handle) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(messages.size());
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (String m : messages) {
                runs.add(workers.submit(() -> handle.accept(m)));
            }
            for (Future<?> run : runs) {
                run.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            workers.shutdown();
        }
    }

    private void putLease(String jobId, String holder, Instant until) {
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, BatchService.leaseName(jobId, 0), new ByteArrayInputStream(
                Json.writeBytes(new health.vigil.port.BlobLease.Lease(holder, until))), true);
    }

    private void runQueuedInParallel(BatchService batches) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (String message; (message = queued.poll()) != null; ) {
                String m = message;
                runs.add(workers.submit(() -> batches.scorePartition(m)));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            workers.shutdown();
        }
    }

    /** The header and rows 1 to {@code rows}, every one valid. */
    private static String csvFile(int rows) {
        StringBuilder csv = new StringBuilder(String.join(",", CSV_HEADER)).append('\n');
        for (int row = 1; row <= rows; row++) {
            csv.append(csvRow(row));
        }
        return csv.toString();
    }

    private static String csvRow(long row) {
        return "secret-patient-" + row + "," + (30 + row % 60) + "," + (row % 5) + "," + (5.0 + (row % 40) / 4.0) + ","
                + (row % 2 == 0) + "," + ADMISSION[(int) (row % 3)] + "," + (1 + row % 9) + "\n";
    }

    private static PatientRow patient(long row) {
        String[] cells = csvRow(row).trim().split(",");
        Map<String, JsonNode> features = new LinkedHashMap<>();
        JsonNode node = Json.readTree("a test row", ("{\"age\":" + cells[1] + ",\"prior_inpatient_stays\":" + cells[2]
                + ",\"hba1c\":" + cells[3] + ",\"on_insulin\":" + cells[4] + ",\"admission_type\":\"" + cells[5]
                + "\",\"length_of_stay_days\":" + cells[6] + "}").getBytes(StandardCharsets.UTF_8));
        node.fields().forEachRemaining(e -> features.put(e.getKey(), e.getValue()));
        return new PatientRow(cells[0], features);
    }

    private static String jsonLines(int rows) {
        StringBuilder out = new StringBuilder();
        for (int row = 1; row <= rows; row++) {
            PatientRow p = patient(row);
            out.append(Json.write(Map.of("patientId", p.patientId(), "features", p.features()))).append('\n');
        }
        return out.toString();
    }

    private void upload(String name, String content) {
        platform.artifacts().put(ArtifactStore.BATCH_INPUT, name,
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), true);
    }

    private List<JsonNode> results(String id) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        try (InputStream in = platform.batches().openResults(id)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                rows.add(Json.readTree("a result line", line.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return rows;
    }

    private List<PredictionRecord> batchPredictions(String id) {
        List<PredictionRecord> out = new ArrayList<>();
        platform.predictionLog().scan(model, Instant.EPOCH, Instant.now().plusSeconds(60), r -> {
            if (id.equals(r.batchId())) {
                out.add(r);
            }
        });
        return out;
    }

    /** The types of the batch events published so far, in order. */
    private List<String> batchEvents() {
        return events.stream().map(VigilEvent::type).filter(t -> t.startsWith("Vigil.Batch.")).toList();
    }

    private List<String> audited(String id) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().startsWith("batch.") && id.equals(r.details().get("batchId")))
                .map(AuditRecord::action).toList();
    }

    private ModelName register(SamplePackage sample, String blob) {
        return SetUpRegistration.register(platform, sample, blob);
    }

    /** The artifact store, each call passed on; subclasses change what their test needs (in this package's tests). */
    abstract static class ForwardingStore extends ForwardingArtifactStore {
        ForwardingStore(ArtifactStore store) {
            super(store);
        }
    }

    /**
     * The artifact store, describing every batch file with {@code sha256} and saying whether it computed that itself:
     * a store that did is taken at its word, one whose digest anyone who writes the blob can set is not.
     */
    private static final class DescribedDigest extends ForwardingStore {
        private final String sha256;
        private final boolean computed;

        DescribedDigest(ArtifactStore store, String sha256, boolean computed) {
            super(store);
            this.sha256 = sha256;
            this.computed = computed;
        }

        @Override
        public Optional<ArtifactStore.StoredArtifact> describe(String container, String name) {
            return store.describe(container, name).map(a -> container.equals(ArtifactStore.BATCH_INPUT)
                    ? new StoredArtifact(a.container(), a.name(), a.size(), sha256, a.etag(), a.uploadedBy()) : a);
        }

        @Override
        public boolean computesItsOwnSha256() {
            return computed;
        }
    }

    /**
     * The artifact store, except that a job's merged results are stored as though another delivery had just merged
     * them: the put stores them and reports a conflict, and the blob is described without its sha256.
     */
    private static final class MergedElsewhere extends ForwardingStore {
        MergedElsewhere(ArtifactStore store) {
            super(store);
        }

        @Override
        public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
                String uploadedBy) {
            StoredArtifact stored = store.put(container, name, content, overwrite, uploadedBy);
            if (name.endsWith("/results.jsonl")) {
                throw new ConflictException(health.vigil.error.ErrorCode.CONFLICT, "blob " + name + " already exists");
            }
            return stored;
        }

        @Override
        public Optional<ArtifactStore.StoredArtifact> describe(String container, String name) {
            return store.describe(container, name).map(a -> name.endsWith("/results.jsonl")
                    ? new StoredArtifact(a.container(), a.name(), a.size(), null, a.etag(), a.uploadedBy()) : a);
        }
    }

    /** The artifact store, except that a checkpoint write dies when {@code dies} says so (a killed process). */
    private static final class FailingCheckpoints extends ForwardingStore {
        private final java.util.function.BooleanSupplier dies;
        private final java.util.function.Supplier<RuntimeException> failure;

        FailingCheckpoints(ArtifactStore store, java.util.function.BooleanSupplier dies) {
            this(store, dies, () -> new StoreException("the process was killed here", null));
        }

        FailingCheckpoints(ArtifactStore store, java.util.function.BooleanSupplier dies,
                java.util.function.Supplier<RuntimeException> failure) {
            super(store);
            this.dies = dies;
            this.failure = failure;
        }

        @Override
        public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
                String uploadedBy) {
            if (name.endsWith("/checkpoint.json") && dies.getAsBoolean()) {
                throw failure.get();
            }
            return store.put(container, name, content, overwrite, uploadedBy);
        }
    }

    /** The prediction log, asking {@code beforeAppend} before each append whether to make it. */
    private record DelegatingLog(PredictionLog log, java.util.function.Predicate<List<PredictionRecord>> beforeAppend)
            implements PredictionLog {
        @Override
        public void append(List<PredictionRecord> records) {
            if (beforeAppend.test(records)) {
                log.append(records);
            }
        }

        @Override
        public void scan(ModelName model, Instant from, Instant to,
                java.util.function.Consumer<PredictionRecord> sink) {
            log.scan(model, from, to, sink);
        }

        @Override
        public Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time) {
            return log.find(model, predictionId, time);
        }

        @Override
        public long purgeOlderThan(Instant cutoff) {
            return log.purgeOlderThan(cutoff);
        }

        @Override
        public void close() {
            log.close();
        }
    }
}

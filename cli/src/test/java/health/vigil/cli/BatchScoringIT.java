package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Batch scoring on the local platform over real HTTP: {@code vigil batch submit} copies a file into
 * {@code batch-input} and follows the job, whose partitions the host's queue scores in parallel; {@code vigil batch
 * download} pages the results to a file; and a file dropped into the {@code batch-input} folder starts a job by
 * itself, once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchScoringIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final int ROWS = 3_000;

    private Path home;
    private LocalPlatform platform;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-batch-it-");
        // Small partitions so that a 3,000-row file is scored by several queue invocations.
        platform = LocalPlatform.start(health.vigil.config.VigilConfig.local(home), 0,
                b -> b.batchSettings(new health.vigil.scoring.batch.BatchSettings(16 * 1024, 512, 64 * 1024)));
        Path zip = Files.createTempFile("trees", ".zip");
        Files.write(zip, SampleModels.readmissionTrees().zip());
        GovernedPath.deployReadmission(platform, home, zip, "readmission.zip");
        Files.delete(zip);
    }

    @AfterAll
    void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Test
    void aFileSubmittedFromTheCommandLineIsScoredInPartitionsAndDownloaded() throws Exception {
        Path file = home.resolveSibling(home.getFileName() + "-patients.csv");
        Files.writeString(file, csv(SampleModels.readmissionCohort(ROWS, 77), 1_500));
        Path out = home.resolveSibling(home.getFileName() + "-results.jsonl");
        try {
            CommandRun submitted = vigil("batch", "submit", file.toString(), "--model", MODEL, "--explain");
            assertThat(submitted.exit()).as(submitted.err()).isZero();
            assertThat(submitted.out()).contains("completed").contains(ROWS + " of " + ROWS + " rows")
                    .contains((ROWS - 1) + " scored, 1 refused")
                    // Why, by rule and feature from the summary, never the value (99.5).
                    .containsPattern("refused rows by reason: [^\\n]*hba1c[^\\n]* 1 \\(").doesNotContain("99.5");
            assertThat(submitted.err()).contains("100%");
            String id = submitted.out().lines().findFirst().orElseThrow().split(" ")[1];
            CommandRun completed = vigil("batch", "status", id);
            assertThat(completed.exit()).as(completed.err()).isZero();
            assertThat(completed.out()).contains("completed");

            // A folder for --out, or a download that stops part-way (no platform answers), leaves no results behind.
            CommandRun intoFolder = vigil("batch", "download", id, "--out", out.getParent().toString());
            assertThat(intoFolder.exit()).isEqualTo(2);
            assertThat(intoFolder.err()).contains("is a folder");
            try (var siblings = Files.list(out.getParent())) {
                assertThat(siblings.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".vigil-results-"));
            }

            CommandRun downloaded = vigil("batch", "download", id, "--out", out.toString());
            assertThat(downloaded.exit()).as(downloaded.err()).isZero();
            List<String> lines = Files.readAllLines(out);
            assertThat(lines).hasSize(ROWS);
            assertThat(Files.getPosixFilePermissions(out)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            JsonNode refused = Json.readTree("a line", lines.get(1_499).getBytes(StandardCharsets.UTF_8));
            assertThat(refused.get("row").asInt()).isEqualTo(1_500);
            assertThat(refused.get("status").asText()).isEqualTo("refused");
            assertThat(refused.get("reasons").toString()).contains("hba1c").doesNotContain("99.5");
            JsonNode scored = Json.readTree("a line", lines.get(0).getBytes(StandardCharsets.UTF_8));
            assertThat(scored.get("topFactors")).isNotEmpty();
            assertThat(String.join("\n", lines)).doesNotContain("patient-");

            // An offset is written one way, and one past the end is not an offset any page gave.
            ControlClient client = new ControlClient(platform.baseUri(),
                    LocalAdapters.apiKey(home, "population-health"));
            long total = Files.size(out);
            for (String offset : List.of("+0", "-0", "00", "%D9%A3", "1e3", String.valueOf(total + 1))) {
                HttpResponse<String> badOffset = client.exchange("GET", "/batches/" + id + "/results?offset=" + offset,
                        null);
                assertThat(badOffset.statusCode()).as(offset + " " + badOffset.body()).isEqualTo(400);
                assertThat(badOffset.body()).as(offset).contains("offset");
            }
            HttpResponse<String> atTheEnd = client.exchange("GET", "/batches/" + id + "/results?offset=" + total, null);
            assertThat(atTheEnd.statusCode()).isEqualTo(200);
            assertThat(atTheEnd.body()).isEmpty();

            JsonNode status = platform.platform().batches().readJob(id).map(Json.mapper()::valueToTree)
                    .map(JsonNode.class::cast).orElseThrow();
            assertThat(status.get("partitions").size()).as("partitions queued").isGreaterThan(2);
            assertThat(batchPredictions(id)).hasSize(ROWS - 1);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(out);
        }
    }

    @Test
    void aFileThatCannotBeABatchOrASubmissionRefusedLeavesNothingInBatchInput() throws Exception {
        Path requests = home.resolve("blobs").resolve(ArtifactStore.BATCH_INPUT).resolve("requests");
        java.util.function.Supplier<List<Path>> copies = () -> {
            if (!Files.isDirectory(requests)) {
                return List.of();
            }
            try (var walk = Files.walk(requests)) {
                return walk.filter(Files::isRegularFile).toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        List<Path> before = copies.get();
        // The keys file, a folder: refused before anything is copied.
        CommandRun keys = vigil("batch", "submit", home.resolve("keys.json").toString(), "--model", MODEL);
        assertThat(keys.exit()).isEqualTo(2);
        assertThat(keys.err()).contains("must be CSV").doesNotContain("Exception");
        CommandRun folder = vigil("batch", "submit", home.toString(), "--model", MODEL);
        assertThat(folder.exit()).isEqualTo(2);
        assertThat(folder.err()).contains("is not a file");
        // A CSV the platform refuses (no such model): copied, refused, and the copy removed.
        Path file = home.resolveSibling(home.getFileName() + "-refused.csv");
        Files.writeString(file, csv(SampleModels.readmissionCohort(3, 78), 0));
        try {
            CommandRun refused = vigil("batch", "submit", file.toString(), "--model", "no-such-model");
            assertThat(refused.exit()).as(refused.out() + refused.err()).isNotZero();
            // A persona without a key (or a home without keys): refused before the file is copied anywhere.
            CommandRun noKey = vigil("batch", "submit", file.toString(), "--model", MODEL, "--as", "nobody");
            assertThat(noKey.exit()).as(noKey.out() + noKey.err()).isNotZero();
            assertThat(noKey.err()).contains("nobody");
        } finally {
            Files.deleteIfExists(file);
        }
        assertThat(copies.get()).isEqualTo(before);
    }

    @Test
    void aFileDroppedIntoBatchInputStartsOneJobByItself() throws Exception {
        String id = dropAndAwait(MODEL + "/nightly.csv", csv(SampleModels.readmissionCohort(200, 5), -1), "summary.json");
        assertThat(platform.platform().batches().status(id).scored()).isEqualTo(200);
        assertThat(batchPredictions(id)).hasSize(200);
    }

    @Test
    void theStatusOfAFailedJobExitsNonZeroWithOrWithoutWait() throws Exception {
        String id = dropAndAwait("no-such-model/nightly.csv", csv(SampleModels.readmissionCohort(3, 6), -1),
                "failure.json");

        CommandRun status = vigil("batch", "status", id);
        assertThat(status.out()).contains("batch " + id + " failed");
        assertThat(status.exit()).as("a failed job, without --wait").isEqualTo(1);
        CommandRun json = vigil("batch", "status", id, "--json");
        assertThat(json.exit()).as("a failed job, as JSON").isEqualTo(1);
        CommandRun followed = vigil("batch", "status", id, "--wait");
        assertThat(followed.exit()).as("a failed job, with --wait").isEqualTo(1);
    }

    /**
     * Moves {@code content} into {@code batch-input} as {@code input} and waits until the job it starts has written
     * {@code outcome} ({@code summary.json} when it completed, {@code failure.json} when it failed); the job's id.
     */
    private String dropAndAwait(String input, String content, String outcome) throws Exception {
        Path target = home.resolve("blobs").resolve(ArtifactStore.BATCH_INPUT).resolve(input);
        Files.createDirectories(target.getParent());
        Path staged = Files.createTempFile(home, "staged", ".tmp");
        Files.writeString(staged, content);
        Files.move(staged, target);

        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        Optional<String> written = Optional.empty();
        while (Instant.now().isBefore(deadline) && written.isEmpty()) {
            Thread.sleep(200);
            written = platform.platform().artifacts().list(ArtifactStore.BATCH_OUTPUT, "").stream()
                    .map(ArtifactStore.StoredArtifact::name).filter(n -> n.endsWith("/" + outcome))
                    .map(n -> n.substring(0, n.indexOf('/'))).filter(id -> jobInput(id).equals(input)).findFirst();
        }
        assertThat(written).as("the dropped file's job wrote " + outcome).isPresent();
        return written.get();
    }

    /** The input a job was started from, read from its plan or, for a job that failed unplanned, its failure. */
    private String jobInput(String id) {
        return platform.platform().batches().readJob(id).map(j -> j.inputName()).orElseGet(() -> {
            try (var in = platform.platform().artifacts().open(ArtifactStore.BATCH_OUTPUT, id + "/failure.json")) {
                return Json.readTree("a failure", in.readAllBytes()).path("input").asText();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void aSubmissionSentTwiceUnderOneIdempotencyKeyIsOneJobAndAKeyReusedOrMalformedIsRefused() throws Exception {
        platform.platform().artifacts().put(ArtifactStore.BATCH_INPUT, "requests/twice.csv",
                new java.io.ByteArrayInputStream(csv(SampleModels.readmissionCohort(100, 9), -1)
                        .getBytes(StandardCharsets.UTF_8)), false);
        ControlClient client = new ControlClient(platform.baseUri(),
                LocalAdapters.apiKey(home, BatchCommand.PERSONA));
        Map<String, Object> body = Map.of("model", MODEL, "input", "requests/twice.csv");

        HttpResponse<String> first = client.exchange("POST", "/batches", body, Map.of("Idempotency-Key", "ward-7-nightly"));
        HttpResponse<String> second = client.exchange("POST", "/batches", body, Map.of("Idempotency-Key", "ward-7-nightly"));

        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(202);
        String id = ControlClient.parse(first.body()).get("id").asText();
        assertThat(ControlClient.parse(second.body()).get("id").asText()).isEqualTo(id);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(second.headers().firstValue("Location")).hasValue("/batches/" + id);
        long jobs = platform.platform().artifacts().list(ArtifactStore.BATCH_OUTPUT, "").stream()
                .map(ArtifactStore.StoredArtifact::name).filter(n -> n.endsWith("/job.json"))
                .filter(n -> jobInput(n.substring(0, n.indexOf('/'))).equals("requests/twice.csv")).count();
        assertThat(jobs).as("jobs for the file").isEqualTo(1);

        HttpResponse<String> reused = client.exchange("POST", "/batches",
                Map.of("model", MODEL, "input", "requests/twice.csv", "explain", true),
                Map.of("Idempotency-Key", "ward-7-nightly"));
        assertThat(reused.statusCode()).isEqualTo(409);
        assertThat(ControlClient.parse(reused.body()).at("/error/message").asText()).contains("another request")
                .contains(id);
        HttpResponse<String> malformed = client.exchange("POST", "/batches", body,
                Map.of("Idempotency-Key", "ward 7 nightly"));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(ControlClient.parse(malformed.body()).at("/error/message").asText()).contains("Idempotency-Key");
        // A pinned version that is not a whole number, or a misspelt option, is refused rather than read some other way.
        for (Map<String, Object> wrong : List.<Map<String, Object>>of(
                Map.of("model", MODEL, "input", "requests/twice.csv", "version", 1.5),
                Map.of("model", MODEL, "input", "requests/twice.csv", "explian", true))) {
            HttpResponse<String> refused = client.exchange("POST", "/batches", wrong, Map.of());
            assertThat(refused.statusCode()).as(wrong.toString()).isEqualTo(400);
        }
    }

    /** The cohort as a batch file; row {@code badRow} (from 1; -1 for none) has an HbA1c out of range. */
    private static String csv(SyntheticCohort cohort, int badRow) {
        List<String> fields = SampleModels.readmissionSchema().names();
        StringBuilder csv = new StringBuilder("patientId,").append(String.join(",", fields)).append('\n');
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> record = cohort.records().get(i);
            csv.append("patient-").append(i + 1);
            for (String field : fields) {
                Object value = i + 1 == badRow && field.equals("hba1c") ? 99.5 : record.get(field);
                csv.append(',').append(value == null ? "" : value.toString());
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    private List<PredictionRecord> batchPredictions(String id) {
        List<PredictionRecord> out = new ArrayList<>();
        platform.platform().predictionLog().scan(new ModelName(MODEL), Instant.EPOCH, Instant.now().plusSeconds(60),
                r -> {
                    if (id.equals(r.batchId())) {
                        out.add(r);
                    }
                });
        return out;
    }

    private CommandRun vigil(String... args) {
        return CommandRun.of(home, platform, args);
    }
}

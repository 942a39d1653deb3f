package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import health.vigil.config.VigilConfig;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.functions.common.testing.HostResponse;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.StoredJson;
import health.vigil.scoring.batch.BatchFormat;
import health.vigil.scoring.batch.BatchJob;
import health.vigil.scoring.batch.BatchOrigin;
import health.vigil.scoring.batch.BatchPartition;
import health.vigil.scoring.batch.BatchSummary;
import health.vigil.scoring.batch.PredictionIdForm;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who reads a batch job over HTTP: the caller who submitted it, or a holder of Batches.ReadAll; another team that
 * also submits batches is refused with 403, and the refusal is an {@code access.refused} record like every other.
 */
class BatchReadAccessTest {
    private static final String SUBMITTED = "0b6f1f52-3c2e-4d7a-9a51-1e2f3a4b5c6d";
    private static final String DROPPED = "5d0c9e8f-7a6b-3c4d-8e1f-2a3b4c5d6e7f";
    private static final String RESULTS = "{\"row\":1,\"status\":\"scored\",\"score\":0.25}\n"
            + "{\"row\":2,\"status\":\"scored\",\"score\":0.75}\n";
    private static final Map<String, Principal> CALLERS = Map.of(
            "k-pharmacy", new Principal("pharmacy", Set.of(Role.BATCHES_SUBMIT)),
            "k-cardiology", new Principal("cardiology", Set.of(Role.BATCHES_SUBMIT)),
            "k-nightly", new Principal("nightly-operator", Set.of(Role.BATCHES_READ_ALL)),
            "k-clinical-app", new Principal("clinical-app", Set.of(Role.SCORING_INVOKE)));

    @TempDir
    Path home;

    private VigilPlatform platform;
    private BatchFunctions functions;

    @BeforeEach
    void twoCompletedJobs() throws Exception {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .authenticator(headers -> {
                    Principal caller = CALLERS.get(headers.get("x-api-key"));
                    if (caller == null) {
                        throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the API key is not valid");
                    }
                    return caller;
                }).build();
        completed(SUBMITTED, "pharmacy", BatchOrigin.REQUEST);
        // A file the pharmacy team's account wrote into batch-input: its writer is no authenticated caller.
        completed(DROPPED, "os-user:pharmacy", BatchOrigin.UPLOAD);
        functions = new VigilInstanceInjector(() -> platform).getInstance(BatchFunctions.class);
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void theSubmitterReadsItsOwnJob() {
        for (String route : List.of("status", "summary", "results")) {
            assertThat(get(route, SUBMITTED, "k-pharmacy").getStatusCode()).as(route).isEqualTo(200);
        }
        assertThat(get("results", SUBMITTED, "k-pharmacy").getBody()).isEqualTo(RESULTS);
    }

    @Test
    void anotherTeamIsRefusedItsStatusSummaryAndResultsAndEachRefusalIsAudited() {
        for (String route : List.of("status", "summary", "results")) {
            HttpResponseMessage refused = get(route, SUBMITTED, "k-cardiology");
            assertThat(refused.getStatusCode()).as(route).isEqualTo(403);
            JsonNode error = Json.readTree("an error", (byte[]) refused.getBody()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("FORBIDDEN");
            assertThat(error.get("message").asText()).as(route).contains("Batches.ReadAll")
                    .doesNotContain("pharmacy").doesNotContain("0.75");
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .filteredOn(r -> r.action().equals("access.refused"))
                .extracting(AuditRecord::actor, AuditRecord::subject)
                .containsExactly(tuple("cardiology", "GET /batches/{id}"),
                        tuple("cardiology", "GET /batches/{id}/summary"),
                        tuple("cardiology", "GET /batches/{id}/results"));
    }

    @Test
    void aHolderOfReadAllReadsAnotherCallersJobAndADroppedFilesJob() {
        for (String id : List.of(SUBMITTED, DROPPED)) {
            for (String route : List.of("status", "summary", "results")) {
                assertThat(get(route, id, "k-nightly").getStatusCode()).as(route + " of " + id).isEqualTo(200);
            }
        }
    }

    @Test
    void aDroppedFilesJobIsReadOnlyWithReadAllWhoeverWroteTheFile() {
        for (String route : List.of("status", "summary", "results")) {
            HttpResponseMessage refused = get(route, DROPPED, "k-pharmacy");
            assertThat(refused.getStatusCode()).as(route).isEqualTo(403);
            assertThat(Json.readTree("an error", (byte[]) refused.getBody()).at("/error/message").asText())
                    .contains("started by a file placed in batch-input").contains("Batches.ReadAll");
        }
    }

    /**
     * A caller with neither batch role is refused for its role whatever offset it sends: a 400 for an offset would
     * tell it that the route looked at the job before its role.
     */
    @Test
    void aCallerWithoutABatchRoleIsRefusedItsRoleBeforeItsOffsetIsLookedAt() {
        for (String offset : List.of("abc", "-1", "007", "99999999999")) {
            HttpResponseMessage refused = functions.results(request("/batches/" + SUBMITTED + "/results",
                    "k-clinical-app", Map.of("offset", offset)), SUBMITTED, new RecordingContext("GetBatchResults"));
            assertThat(refused.getStatusCode()).as(offset).isEqualTo(403);
            assertThat(Json.readTree("an error", (byte[]) refused.getBody()).at("/error/message").asText())
                    .as(offset).contains("Batches.Submit").contains("Batches.ReadAll").doesNotContain("offset");
        }
        // A caller who may read the job is told what was wrong with the offset.
        HttpResponseMessage malformed = functions.results(request("/batches/" + SUBMITTED + "/results", "k-pharmacy",
                Map.of("offset", "abc")), SUBMITTED, new RecordingContext("GetBatchResults"));
        assertThat(malformed.getStatusCode()).isEqualTo(400);
        assertThat(Json.readTree("an error", (byte[]) malformed.getBody()).at("/error/message").asText())
                .contains("offset must be a whole number of bytes written in ASCII digits");
    }

    /** A client polling a job's status (vigil batch status --wait) leaves one record per state seen, not per poll. */
    @Test
    void statusAndSummaryReadsOverHttpAreAuditRecordsNamingTheReader() {
        for (int poll = 0; poll < 3; poll++) {
            assertThat(get("status", SUBMITTED, "k-pharmacy").getStatusCode()).isEqualTo(200);
        }
        assertThat(get("summary", SUBMITTED, "k-pharmacy").getStatusCode()).isEqualTo(200);
        assertThat(get("status", DROPPED, "k-nightly").getStatusCode()).isEqualTo(200);

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1)))
                .filteredOn(r -> r.action().startsWith("batch."))
                .extracting(AuditRecord::actor, AuditRecord::action, AuditRecord::subject, AuditRecord::outcome)
                .containsExactly(tuple("pharmacy", "batch.status.read", "batches/" + SUBMITTED, "read"),
                        tuple("pharmacy", "batch.summary.read", "batches/" + SUBMITTED, "read"),
                        tuple("nightly-operator", "batch.status.read", "batches/" + DROPPED, "read"));
    }

    private HttpResponseMessage get(String route, String id, String key) {
        String path = "/batches/" + id + (route.equals("status") ? "" : "/" + route);
        HttpRequestMessage<Optional<String>> request = request(path, key);
        return switch (route) {
            case "status" -> functions.status(request, id, new RecordingContext("GetBatch"));
            case "summary" -> functions.summary(request, id, new RecordingContext("GetBatchSummary"));
            default -> functions.results(request, id, new RecordingContext("GetBatchResults"));
        };
    }

    private static HttpRequestMessage<Optional<String>> request(String path, String key) {
        return request(path, key, Map.of());
    }

    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> request(String path, String key, Map<String, String> query) {
        HttpRequestMessage<Optional<String>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(Map.of("x-api-key", key));
        when(request.getBody()).thenReturn(Optional.empty());
        when(request.getQueryParameters()).thenReturn(query);
        when(request.getHttpMethod()).thenReturn(HttpMethod.GET);
        when(request.getUri()).thenReturn(URI.create("http://localhost/api" + path));
        when(request.createResponseBuilder(any(HttpStatus.class)))
                .thenAnswer(inv -> new HostResponse(inv.getArgument(0)));
        return request;
    }

    /** A job of two rows that has completed, as its partitions and merge would have left it. */
    private void completed(String id, String submittedBy, BatchOrigin origin) {
        StoredJson output = new StoredJson(platform.artifacts(), ArtifactStore.BATCH_OUTPUT);
        Instant at = Instant.parse("2026-12-01T02:00:00Z");
        byte[] results = RESULTS.getBytes(StandardCharsets.UTF_8);
        output.createOnce(id + "/job.json", new BatchJob(id, new ModelName("readmission"), 1, false,
                BatchFormat.JSON_LINES, ArtifactStore.BATCH_INPUT, "readmission/nightly.jsonl", 100, "0".repeat(64),
                "0x1", 2, List.of(), List.of(new BatchPartition(0, 0, 100, 1, 2)), submittedBy, at,
                PredictionIdForm.MIXED, origin));
        platform.artifacts().put(ArtifactStore.BATCH_OUTPUT, id + "/results.jsonl", new ByteArrayInputStream(results),
                false);
        output.createOnce(id + "/summary.json", new BatchSummary(id, "readmission", 1, "readmission/nightly.jsonl",
                "0".repeat(64), 2, 2, 0, Map.of(), ArtifactStore.BATCH_OUTPUT + "/" + id + "/results.jsonl",
                "1".repeat(64), at, at.plusSeconds(60), List.of()));
    }
}

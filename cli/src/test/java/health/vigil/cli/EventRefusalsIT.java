package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.host.SystemKeys;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.port.ArtifactStore;
import health.vigil.retraining.RetrainService;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.monitoring.SetUpMonitoringReport;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real event handlers of the control app behind the local Event Grid webhook, given events they must not act
 * on: each is answered as the same kind of event is answered by the other handlers, and none writes anything.
 */
class EventRefusalsIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    /** The storage handlers and the container each one's subscription filters on. */
    private static final Map<String, String> STORAGE_HANDLERS = Map.of("RegisterModel", "models",
            "IngestOutcomes", "outcomes", "StartBatchOnUpload", "batch-input");

    private static Path home;
    private static LocalPlatform platform;
    private static String webhookKey;

    @BeforeAll
    static void start() throws Exception {
        home = Files.createTempDirectory("vigil-event-refusals-");
        platform = LocalPlatform.start(home, 0);
        webhookKey = SystemKeys.eventGrid(home);
        SetUpRegistration.register(platform.platform(), SampleModels.readmissionLogistic(), "readmission.zip");
        // Its gates run on the registration event (and fail: no evaluation dataset); wait until they are done.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline) && List.of(Stage.REGISTERED, Stage.GATES_RUNNING)
                .contains(platform.platform().registry().getVersion(new ModelName(MODEL), 1).stage())) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Test
    void aRampEventForAModelThatIsNotRegisteredIs404LikeTheOtherHandlersAndOneWithoutACanaryIs202() throws Exception {
        int before = audited();
        HttpResponse<String> unknown = deliver("AdvanceCanary", vigilEvent("Vigil.Canary.Started",
                "/models/no-such-model/versions/2", Map.of("model", "no-such-model", "version", 2)));
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
        assertThat(error(unknown).get("code").asText()).isEqualTo("MODEL_NOT_FOUND");
        assertThat(error(unknown).get("message").asText()).contains("model `no-such-model` is not registered");
        // The same answer as the handlers that already refused an unknown model.
        HttpResponse<String> gates = deliver("EvaluateGates", vigilEvent("Vigil.Model.Registered",
                "/models/no-such-model/versions/2", Map.of("model", "no-such-model", "version", 2)));
        assertThat(gates.statusCode()).isEqualTo(404);
        assertThat(error(gates).get("code").asText()).isEqualTo("MODEL_NOT_FOUND");

        // A registered model with no canary (not even a deployment) has nothing to advance: acknowledged, as before.
        HttpResponse<String> noCanary = deliver("AdvanceCanary", vigilEvent("Vigil.Canary.Stepped",
                "/models/" + MODEL + "/versions/1", Map.of("model", MODEL, "version", 1)));
        assertThat(noCanary.statusCode()).as(noCanary.body()).isEqualTo(202);
        assertThat(audited()).isEqualTo(before);
    }

    @Test
    void anEventAboutAVersionWhoseSubjectAndDataNameDifferentVersionsIs400AndNothingIsDone() throws Exception {
        int before = audited();
        // Version 1 exists and its data is right; the subject names another version, then another model.
        for (String subject : List.of("/models/" + MODEL + "/versions/2", "/models/sepsis-risk/versions/1")) {
            HttpResponse<String> refused = deliver("EvaluateGates", vigilEvent("Vigil.Model.Registered", subject,
                    Map.of("model", MODEL, "version", 1)));
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(error(refused).get("code").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(error(refused).get("message").asText()).as(subject)
                    .contains("subject names " + subject.replace("/models/", "").replace("/versions/", " version "))
                    .contains("its data names " + MODEL + " version 1")
                    .contains("send the event with the same model and version in its subject");
        }
        // AdvanceCanary too: its subject is the canary version the ramp moves.
        for (String type : List.of("Vigil.Canary.Started", "Vigil.Canary.Stepped")) {
            HttpResponse<String> ramp = deliver("AdvanceCanary", vigilEvent(type, "/models/sepsis-risk/versions/1",
                    Map.of("model", MODEL, "version", 1, "step", 1)));
            assertThat(ramp.statusCode()).as(ramp.body()).isEqualTo(400);
            assertThat(error(ramp).get("code").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(error(ramp).get("message").asText()).contains("the " + type + " event's subject names sepsis-risk"
                    + " version 1 but its data names " + MODEL + " version 1").contains("AdvanceCanary did nothing");
        }
        // Retrain follows the same rule: its subject is the parent version it retrains.
        HttpResponse<String> retrain = deliver("Retrain", vigilEvent("Vigil.Retrain.Requested",
                "/models/" + MODEL + "/versions/2", Map.of("model", MODEL, "parentVersion", 1, "reportId",
                        MODEL + "/v1/stable/2026-12-01T000000Z--2026-12-02T000000Z")));
        assertThat(retrain.statusCode()).as(retrain.body()).isEqualTo(400);
        assertThat(error(retrain).get("message").asText()).contains("subject names " + MODEL + " version 2")
                .contains("its data names " + MODEL + " version 1").contains("Retrain did nothing");
        assertThat(audited()).isEqualTo(before);
    }

    @Test
    void aRetrainRequestCitingARecordedReportThatAskedForNoRetrainingIs409AndStartsNothing() throws Exception {
        // A report the check made and recorded on the stable slot of version 1, whose verdict asked for nothing.
        String quiet = SetUpMonitoringReport.stable(platform.platform(), ModelVersion.of(MODEL, 1),
                LocalDate.of(2026, 11, 20), false);
        int before = audited();
        HttpResponse<String> refused = deliver("Retrain", vigilEvent("Vigil.Retrain.Requested",
                "/models/" + MODEL + "/versions/1", Map.of("model", MODEL, "parentVersion", 1, "reportId", quiet,
                        "reason", "performance below the monitoring policy")));
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertThat(error(refused).get("code").asText()).isEqualTo("CONFLICT");
        assertThat(error(refused).get("message").asText())
                .contains("the monitoring report " + quiet + " did not ask for retraining")
                .contains("no retrain.request audit record names it");
        assertThat(audited()).isEqualTo(before);
        assertThat(platform.platform().artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(platform.platform().registry().listVersions(new ModelName(MODEL))).hasSize(1);
    }

    @Test
    void aBlobCreatedForAnotherContainerIsRefusedAlikeByEveryStorageHandler() throws Exception {
        int before = audited();
        // Each subscription filters on its container; an event for another one means a wrong filter, which is shown
        // (400: not delivered again, dead-lettered) by all three rather than acknowledged by some.
        for (var handler : STORAGE_HANDLERS.entrySet()) {
            HttpResponse<String> refused = deliver(handler.getKey(), blobCreated("datasets", MODEL + "/nightly.csv",
                    "http://127.0.0.1/datasets/x.csv"));
            assertThat(refused.statusCode()).as(handler.getKey() + ": " + refused.body()).isEqualTo(400);
            assertThat(error(refused).get("code").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(error(refused).get("message").asText()).as(handler.getKey())
                    .contains(handler.getKey() + " handles BlobCreated events of the '" + handler.getValue()
                            + "' container only and this one's blob is in container 'datasets'")
                    .contains("the subject must begin with /blobServices/default/containers/" + handler.getValue() + "/");
        }
        assertThat(audited()).isEqualTo(before);
    }

    @Test
    void aBlobCreatedWhoseUrlNamesAnotherBlobThanItsSubjectIsRefusedAlikeByEveryStorageHandler() throws Exception {
        int before = audited();
        // Each handler reads the subject; a url naming another blob (another name, another container) means the event
        // was not sent by storage as it is, so none of the three acts on either half.
        for (var handler : STORAGE_HANDLERS.entrySet()) {
            String container = handler.getValue();
            for (String url : List.of("https://vigillocal.blob.core.windows.net/" + container + "/" + MODEL + "/other.csv",
                    "https://vigillocal.blob.core.windows.net/datasets/" + MODEL + "/nightly.csv")) {
                HttpResponse<String> refused = deliver(handler.getKey(), blobCreated(container, MODEL + "/nightly.csv",
                        url));
                assertThat(refused.statusCode()).as(handler.getKey() + " " + url + ": " + refused.body()).isEqualTo(400);
                assertThat(error(refused).get("code").asText()).isEqualTo("INVALID_REQUEST");
                assertThat(error(refused).get("message").asText()).as(handler.getKey())
                        .contains("the BlobCreated event's data.url names another blob than its subject (the subject"
                                + " names a blob in container '" + container + "' and the url names a blob in container '"
                                + (url.contains("/datasets/") ? "datasets" : container) + "'")
                        .contains(handler.getKey() + " did nothing: send the event with the same blob in its subject")
                        .doesNotContain("nightly").doesNotContain("other.csv");
            }
        }
        assertThat(audited()).isEqualTo(before);
    }

    /** A storage account's BlobCreated, in Event Grid's schema, for {@code blob} in {@code container}. */
    private static String blobCreated(String container, String blob, String url) {
        return Json.write(Map.of("id", "b-" + UUID.randomUUID(),
                "topic", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/vigillocal",
                "subject", "/blobServices/default/containers/" + container + "/blobs/" + blob,
                "eventType", "Microsoft.Storage.BlobCreated", "eventTime", Instant.now().toString(),
                "data", Map.of("api", "PutBlob", "contentLength", 10, "url", url),
                "dataVersion", "", "metadataVersion", "1"));
    }

    private static String vigilEvent(String type, String subject, Map<String, Object> data) {
        return Json.write(Map.of("specversion", "1.0", "id", "e-" + UUID.randomUUID(), "source", "/vigil",
                "type", type, "subject", subject, "time", Instant.now().toString(), "data", data));
    }

    private static HttpResponse<String> deliver(String function, String event) throws Exception {
        return BlockingHttp.send(HttpRequest.newBuilder(platform.baseUri()
                        .resolve("/runtime/webhooks/eventgrid?functionName=" + function))
                .POST(HttpRequest.BodyPublishers.ofString(event)).header("Content-Type", "application/json")
                .header("aeg-event-type", "Notification").header("x-functions-key", webhookKey)
                .timeout(Duration.ofSeconds(60)).build());
    }

    private static JsonNode error(HttpResponse<String> response) {
        return Json.readTree("error", response.body().getBytes(StandardCharsets.UTF_8)).get("error");
    }

    private static int audited() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return platform.platform().audit().read(today, today).size();
    }
}

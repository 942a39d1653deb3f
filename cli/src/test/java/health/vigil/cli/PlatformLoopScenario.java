package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.security.Principal;
import java.util.Set;
import health.vigil.model.PredictionRecord;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.host.SystemKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole governed loop over real HTTP on a free port, run by each back end's subclass: a package uploaded by the
 * data scientist is registered with that principal as its uploader (once, however often its event arrives); it
 * cannot be deployed before approval; its uploader cannot approve it (403, audited); once its gates passed the
 * approver signs it and an operator deploys it; it is scored through /score and the Open Inference Protocol
 * (a version outside the deployment is refused), logged with pseudonymised patients, and audited; malformed
 * requests get 4xx answers, never 5xx. A file dropped into the folder is attributed to the operating-system user. Outcomes arrive over HTTP and as
 * files and are joined to the predictions they belong to; a drifted, degraded window raises a retraining request,
 * and the retrained package goes back through registration and gates and waits for a human approval.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PlatformLoopScenario {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final String PATIENT_PREFIX = "MRN-" + UUID.randomUUID().toString().substring(0, 8) + "-";

    private Path home;
    /** Files the scenario hands to the platform from outside its home (uploads, the verifier's key copy). */
    private Path scratch;

    private LocalPlatform platform;
    private static final ByteArrayOutputStream LOGGED = new ByteArrayOutputStream();
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (LOGGED) {
                String text = record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown());
                LOGGED.writeBytes((text + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private String operator;
    private String dataScientist;
    private String approver;
    private String clinicalApp;
    private String compliance;
    private String outcomesFeed;
    private String steward;
    private static final int EVALUATION_ROWS = 3000;
    private int scoredRows;

    /** Starts the platform under test on a free port with its data under {@code home}. */
    protected abstract LocalPlatform startPlatform(Path home);

    @BeforeAll
    void start() throws IOException {
        home = Files.createTempDirectory("vigil-platform-it-");
        scratch = Files.createTempDirectory("vigil-platform-it-scratch-");
        Logger.getLogger("").addHandler(CAPTURE);
        platform = startPlatform(home);
        operator = LocalAdapters.apiKey(home, "operator");
        dataScientist = LocalAdapters.apiKey(home, "data-scientist");
        approver = LocalAdapters.apiKey(home, "approver");
        clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
        compliance = LocalAdapters.apiKey(home, "compliance");
        outcomesFeed = LocalAdapters.apiKey(home, "outcomes-feed");
        steward = LocalAdapters.apiKey(home, "data-steward");
    }

    @AfterAll
    void stop() throws Exception {
        Logger.getLogger("").removeHandler(CAPTURE);
        GovernedPath.stopAndDelete(platform, home);
        GovernedPath.deleteTree(scratch);
    }

    @Test
    @Order(0)
    void theDataStewardRegistersThePlatformsEvaluationDataset() throws Exception {
        byte[] csv = GovernedPath.readmissionCsv(SampleModels.readmissionCohort(EVALUATION_ROWS, 4242));
        String dataScientist = LocalAdapters.apiKey(home, "data-scientist");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", MODEL);
        body.put("label", "readmitted");
        body.put("ageColumn", "age");
        body.put("segments", List.of("admission_type"));
        body.put("csv", new String(csv, StandardCharsets.UTF_8));
        // The uploader's word does not make an evaluation dataset.
        assertThat(post("/datasets", dataScientist, Json.write(body), Map.of()).statusCode()).isEqualTo(403);
        HttpResponse<String> noLabel = post("/datasets", steward, Json.write(with(body, "label", "outcome")), Map.of());
        assertThat(noLabel.statusCode()).isEqualTo(400);
        assertThat(json(noLabel.body()).at("/error/message").asText()).contains("no label column 'outcome'");
        // A declared name that is not a plain name (it may be anything the caller typed) is not repeated.
        HttpResponse<String> oddLabel = post("/datasets", steward, Json.write(with(body, "label", "MRN 5551234 Doe")), Map.of());
        assertThat(oddLabel.statusCode()).isEqualTo(400);
        assertThat(oddLabel.body()).contains("no label column").contains("not repeated here").doesNotContain("5551234");
        // Segments are a list of names: one name as text, or a number as the label, is refused, not read as none.
        for (Map.Entry<String, Object> wrong : List.of(Map.entry("segments", (Object) "admission_type"),
                Map.entry("segments", (Object) List.of(7)), Map.entry("label", (Object) 7),
                Map.entry("ageColumn", (Object) List.of("age")))) {
            HttpResponse<String> refused = post("/datasets", steward, Json.write(with(body, wrong.getKey(), wrong.getValue())),
                    Map.of());
            assertThat(refused.statusCode()).as(wrong.toString()).isEqualTo(400);
            assertThat(json(refused.body()).at("/error/message").asText()).as(wrong.toString()).contains(wrong.getKey());
        }
        assertThat(get("/datasets?model=" + MODEL, operator).get("datasets")).as("nothing was registered").isEmpty();

        JsonNode registered = DatasetsCommand.register(platform.baseUri(), steward, MODEL, "evaluation.csv", csv,
                "readmitted", "age", null, List.of("admission_type"));
        assertThat(registered.get("sha256").asText()).isEqualTo(health.vigil.hash.Sha256.hex(csv));
        assertThat(registered.get("rows").asInt()).isEqualTo(EVALUATION_ROWS);
        assertThat(registered.get("registeredBy").asText()).isEqualTo("data-steward");
        assertThat(registered.has("newestVersion")).as("no version reads it yet").isFalse();
        // The same file again is the same dataset: content-addressed, registered and audited once.
        JsonNode again = DatasetsCommand.register(platform.baseUri(), steward, MODEL, "copy.csv", csv,
                "readmitted", "age", null, List.of("admission_type"));
        assertThat(again.get("registeredAt").asText()).isEqualTo(registered.get("registeredAt").asText());
        assertThat(get("/datasets?model=" + MODEL, operator).get("datasets")).hasSize(1);
    }

    @Test
    @Order(1)
    void anUploadedPackageIsRegisteredAsVersionOneWithItsUploaderAndPassesItsGates() throws Exception {
        Files.write(home.resolve("readmission.zip"), SampleModels.readmissionLogistic().zip());
        assertThat(ModelsCommand.upload(client(clinicalApp), MODEL, home.resolve("readmission.zip"), "readmission.zip")
                .statusCode()).isEqualTo(403);
        HttpResponse<String> uploaded = ModelsCommand.upload(client(dataScientist), MODEL, home.resolve("readmission.zip"),
                "readmission.zip");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);

        JsonNode model = awaitVersions(1);
        JsonNode version = model.get("versions").get(0);
        assertThat(version.get("version").asInt()).isEqualTo(1);
        assertThat(version.get("registeredBy").asText()).isEqualTo("data-scientist");
        assertThat(get("/models/" + MODEL + "/versions/1/history", operator).get("history").get(0).get("actor").asText())
                .isEqualTo("data-scientist");
        JsonNode report = awaitGates(1);
        assertThat(report.get("passed").asBoolean()).as(report.toPrettyString()).isTrue();
        assertThat(report.get("datasetRows").asInt()).isEqualTo(EVALUATION_ROWS);
        assertThat(report.get("policyVersion").asInt()).isZero();
        assertThat(report.has("productionVersion")).isFalse();
        assertThat(report.get("checks").findValuesAsText("gate")).contains("discrimination", "calibration",
                "segments", "compatibility", "latency", "explanation", "provenance", "leakage", "card");
        // The curves the model card draws are stored with the report.
        assertThat(report.at("/curves/calibration").size()).isGreaterThan(1);
        assertThat(report.at("/curves/roc").size()).isGreaterThan(2);
        assertThat(report.get("checks").findValuesAsText("check")).contains("age=60-69:auroc",
                "admission_type:worst_auroc_gap", "non_inferiority", "shap_additivity", "p99_row_millis");
        version = get("/models/" + MODEL + "/versions/1", operator);
        assertThat(version.get("stage").asText()).isEqualTo("GATES_PASSED");
        // The dataset registered again now answers how the newest version reads it: every row, as its coverage gate
        // counted (the same file is the same dataset, so nothing else changes).
        JsonNode again = DatasetsCommand.register(platform.baseUri(), steward, MODEL, "evaluation.csv",
                GovernedPath.readmissionCsv(SampleModels.readmissionCohort(EVALUATION_ROWS, 4242)), "readmitted", "age",
                null, List.of("admission_type"));
        assertThat(again.at("/newestVersion/version").asInt()).isEqualTo(1);
        assertThat(again.at("/newestVersion/rows").asInt()).isEqualTo(EVALUATION_ROWS);
        assertThat(again.at("/newestVersion/refused").asInt()).isZero();
        assertThat(report.get("checks").findValuesAsText("check")).contains("rows_refused");
        assertThat(get("/models/" + MODEL + "/versions/1/history", operator).get("history").findValuesAsText("actor"))
                .startsWith("data-scientist");
        assertThat(version.get("modelSha256").asText()).isEqualTo(SampleModels.readmissionLogistic().modelSha256());
        assertThat(version.get("packageSha256").asText()).hasSize(64);
    }

    @Test
    @Order(2)
    void replayedAndDuplicatedBlobCreatedEventsStillGiveOneVersion() throws Exception {
        String event = blobCreated(UUID.randomUUID().toString(), "readmission.zip");
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = post("/runtime/webhooks/eventgrid?functionName=RegisterModel", null, event,
                    Map.of("aeg-event-type", "Notification", "x-functions-key", SystemKeys.eventGrid(home)));
            assertThat(response.statusCode()).isBetween(200, 299);
        }
        HttpResponse<String> copy = ModelsCommand.upload(client(dataScientist), MODEL, home.resolve("readmission.zip"),
                "readmission-copy.zip");
        assertThat(copy.statusCode()).isEqualTo(200);
        assertThat(json(copy.body()).get("kind").asText()).isEqualTo("DUPLICATE");
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));
        Thread.sleep(1500); // the drop folder needs two stable looks at a file before it raises it
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));

        assertThat(get("/models/" + MODEL, operator).get("versions")).hasSize(1);
    }

    @Test
    @Order(2)
    void gateEventsReplayedChangeNothing() throws Exception {
        String before = get("/models/" + MODEL + "/versions/1/gates", operator).toString();
        // The records about the version (its gate evaluation, its stage moves) must stay as they were; reading the
        // audit log and the platform's timers write records of their own meanwhile.
        String subject = "/models/" + MODEL + "/versions/1";
        // The evaluation is audited by the step that completes it, just after the stage it moved became visible.
        Instant deadline = Instant.now().plusSeconds(30);
        List<JsonNode> auditBefore = auditRecords().stream().filter(r -> r.get("subject").asText().equals(subject)).toList();
        while (auditBefore.stream().noneMatch(r -> r.get("action").asText().equals("gates.evaluate"))
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            auditBefore = auditRecords().stream().filter(r -> r.get("subject").asText().equals(subject)).toList();
        }
        assertThat(auditBefore).extracting(r -> r.get("action").asText()).contains("gates.evaluate");
        String event = Json.write(Map.of("specversion", "1.0", "id", UUID.randomUUID().toString(), "source", "/vigil",
                "type", "Vigil.Model.Registered", "subject", "/models/" + MODEL + "/versions/1",
                "time", Instant.now().toString(), "data", Map.of("model", MODEL, "version", 1)));
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = post("/runtime/webhooks/eventgrid?functionName=EvaluateGates", null, event,
                    Map.of("aeg-event-type", "Notification", "Content-Type", "application/cloudevents+json",
                            "x-functions-key", SystemKeys.eventGrid(home)));
            assertThat(response.statusCode()).isBetween(200, 299);
        }
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));
        assertThat(get("/models/" + MODEL + "/versions/1/gates", operator).toString()).isEqualTo(before);
        assertThat(auditRecords().stream().filter(r -> r.get("subject").asText().equals(subject)).toList())
                .isEqualTo(auditBefore);
        assertThat(get("/models/" + MODEL + "/versions/1", operator).get("stage").asText()).isEqualTo("GATES_PASSED");
    }

    @Test
    @Order(3)
    void onlyAnApprovedVersionIsDeployedAndItsUploaderCannotApproveIt() throws Exception {
        String path = "/models/" + MODEL + "/versions/1/deploy";
        HttpResponse<String> early = post(path, operator, "", Map.of());
        assertThat(early.statusCode()).as(early.body()).isEqualTo(409);
        assertThat(json(early.body()).at("/error/code").asText()).isEqualTo("INVALID_STATE");

        HttpResponse<String> own = ModelsCommand.decide(client(dataScientist), "approve", MODEL, 1, "my own model is fine");
        assertThat(own.statusCode()).isEqualTo(403);
        assertThat(json(own.body()).at("/error/code").asText()).isEqualTo("SEPARATION_OF_DUTIES");
        assertThat(ModelsCommand.decide(client(operator), "approve", MODEL, 1, "ops says yes").statusCode()).isEqualTo(403);

        passGates(1);
        assertThat(post("/models/" + MODEL + "/versions/1/approve", approver, "{}", Map.of()).statusCode()).isEqualTo(400);
        // A justification that is not text, or an option the decision does not have, is refused, not signed as given.
        for (String body : List.of("{\"justification\": 5}", "{\"justification\": \"ok\", \"approver\": \"me\"}")) {
            HttpResponse<String> refused = post("/models/" + MODEL + "/versions/1/approve", approver, body, Map.of());
            assertThat(refused.statusCode()).as(body).isEqualTo(400);
            assertThat(get("/models/" + MODEL + "/versions/1", operator).get("stage").asText()).isEqualTo("GATES_PASSED");
        }
        HttpResponse<String> approved = ModelsCommand.decide(client(approver), "approve", MODEL, 1,
                "gates passed; intended use reviewed");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        JsonNode signature = json(approved.body()).get("signature");
        assertThat(signature.get("printedName").asText()).isEqualTo("Avery Approver (local clinical governance)");
        assertThat(signature.get("meaning").asText()).isEqualTo("APPROVED_FOR_CANARY");
        assertThat(signature.get("packageSha256").asText())
                .isEqualTo(get("/models/" + MODEL + "/versions/1", operator).get("packageSha256").asText());
        assertThat(get("/models/" + MODEL + "/versions/1", operator).get("stage").asText()).isEqualTo("APPROVED");

        assertThat(post(path, null, "", Map.of()).statusCode()).isEqualTo(401);
        assertThat(post(path, clinicalApp, "", Map.of()).statusCode()).isEqualTo(403);
        // Only an operator deploys: neither who built the version nor who signed it.
        assertThat(post(path, dataScientist, "", Map.of()).statusCode()).isEqualTo(403);
        assertThat(post(path, approver, "", Map.of()).statusCode()).isEqualTo(403);

        HttpResponse<String> deployed = post(path, operator, "", Map.of());
        assertThat(deployed.statusCode()).isEqualTo(200);
        JsonNode slots = json(deployed.body()).get("slots");
        assertThat(slots).hasSize(1);
        assertThat(slots.get(0).get("slot").asText()).isEqualTo("stable");
        assertThat(slots.get(0).get("version").asInt()).isEqualTo(1);
        assertThat(get("/models/" + MODEL + "/versions/1", operator).get("stage").asText()).isEqualTo("PRODUCTION");
        JsonNode history = get("/models/" + MODEL + "/versions/1/history", operator).get("history");
        assertThat(history.findValuesAsText("to")).endsWith("GATES_PASSED", "APPROVED", "PRODUCTION");
        assertThat(history.get(history.size() - 1).get("actor").asText()).isEqualTo("operator");
        assertThat(history.get(history.size() - 2).get("actor").asText()).isEqualTo("approver");
    }

    @Test
    @Order(4)
    void scoresOnePatientAndABatchThroughTheJsonRoute() throws Exception {
        SyntheticCohort cohort = SampleModels.readmissionCohort(10, 99);
        HttpResponse<String> one = post("/score/" + MODEL, clinicalApp, Json.write(Map.of(
                "patientId", PATIENT_PREFIX + "0", "features", present(cohort.records().get(0)))), Map.of());
        assertThat(one.statusCode()).isEqualTo(200);
        JsonNode single = json(one.body());
        assertThat(single.get("model").asText()).isEqualTo(MODEL);
        assertThat(single.get("version").asInt()).isEqualTo(1);
        assertThat(single.get("predictionId").asText()).isNotBlank();
        assertThat(single.get("risk").asDouble())
                .isCloseTo(SampleModels.readmissionLogisticProbability(cohort.row(0)), org.assertj.core.data.Offset.offset(1e-5));

        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 1; i < 10; i++) {
            records.add(Map.of("patientId", PATIENT_PREFIX + i, "features", present(cohort.records().get(i))));
        }
        HttpResponse<String> batch = post("/score/" + MODEL, clinicalApp, Json.write(Map.of("records", records)), Map.of());
        assertThat(batch.statusCode()).isEqualTo(200);
        JsonNode predictions = json(batch.body()).get("predictions");
        assertThat(predictions).hasSize(9);
        for (int i = 0; i < 9; i++) {
            assertThat(predictions.get(i).get("risk").asDouble()).isCloseTo(
                    SampleModels.readmissionLogisticProbability(cohort.row(i + 1)), org.assertj.core.data.Offset.offset(1e-5));
        }
        scoredRows += 10;
    }

    @Test
    @Order(5)
    void scoresThroughTheOpenInferenceProtocol() throws Exception {
        assertThat(get("/v2/health/live", null).get("live").asBoolean()).isTrue();
        assertThat(get("/v2/health/ready", null).get("ready").asBoolean()).isTrue();
        assertThat(get("/v2/models/" + MODEL + "/ready", clinicalApp).get("ready").asBoolean()).isTrue();
        // A model there is none of is not "not ready": it is not found, as its metadata is.
        for (String path : List.of("/v2/models/no-such-model/ready", "/v2/models/no-such-model")) {
            HttpResponse<String> unknown = send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", clinicalApp));
            assertThat(unknown.statusCode()).as(path).isEqualTo(404);
            assertThat(json(unknown.body()).at("/error/code").asText()).as(path).isEqualTo("MODEL_NOT_FOUND");
        }
        // The metadata and readiness routes take no query parameter: ?version=2 is not answered as the deployed one.
        for (String path : List.of("/v2?version=1", "/v2/models/" + MODEL + "?version=2", "/v2/models/" + MODEL
                + "/ready?version=3", "/v2/models/" + MODEL + "/versions/1?explain=true", "/v2/models/" + MODEL
                + "/versions/1/ready?x=1")) {
            HttpResponse<String> refused = send(HttpRequest.newBuilder(uri(path)).GET()
                    .header("x-api-key", clinicalApp));
            assertThat(refused.statusCode()).as(path).isEqualTo(400);
            assertThat(json(refused.body()).at("/error/message").asText()).as(path)
                    .contains("is not one this route takes");
        }
        JsonNode metadata = get("/v2/models/" + MODEL, clinicalApp);
        assertThat(metadata.get("name").asText()).isEqualTo(MODEL);
        assertThat(metadata.get("inputs").findValuesAsText("name")).containsAll(SampleModels.readmissionSchema().names());

        Map<String, Object> record = SampleModels.readmissionCohort(1, 7).records().get(0);
        Map<String, Object> request = oipRequest(record, PATIENT_PREFIX + "oip");
        for (String path : List.of("/v2/models/" + MODEL + "/infer", "/v2/models/" + MODEL + "/versions/1/infer")) {
            HttpResponse<String> response = post(path, clinicalApp, Json.write(request), Map.of());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            JsonNode body = json(response.body());
            assertThat(body.get("model_name").asText()).isEqualTo(MODEL);
            assertThat(body.get("model_version").asText()).isEqualTo("1");
            assertThat(body.get("outputs").findValuesAsText("name")).contains("probability");
            assertThat(body.at("/parameters/prediction_ids")).hasSize(1);
            scoredRows += 1;
        }
    }

    @Test
    @Order(6)
    void malformedRequestsGetClientErrorsNeverServerErrors() throws Exception {
        Map<String, Object> good = present(SampleModels.readmissionCohort(1, 3).records().get(0));
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"/score/" + MODEL, "{\"patientId\": \"x\", \"features\": {", 400, "not valid JSON"});
        cases.add(new Object[] {"/score/" + MODEL, "", 400, "no body"});
        cases.add(new Object[] {"/score/" + MODEL, score(without(good, "age")), 400, "age"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "shoe_size", 44)), 400, "shoe_size"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "age", "seventy")), 400, "age"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "age", 212)), 400, "range"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "hba1c", "NaN")), 400, "hba1c"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "hba1c", "INF")).replace("\"INF\"", "1e400"), 400, "hba1c"});
        cases.add(new Object[] {"/score/" + MODEL, score(with(good, "admission_type", "teleport")), 400, "admission_type"});
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(Map.of("patientId", "p" + i, "features", good));
        }
        cases.add(new Object[] {"/score/" + MODEL, Json.write(Map.of("records", many)), 400, "at most"});
        cases.add(new Object[] {"/score/" + MODEL, "{\"x\":\"" + "y".repeat(5 * 1024 * 1024) + "\"}", 413, ""});
        cases.add(new Object[] {"/score/no-such-model", score(good), 404, "no-such-model"});
        cases.add(new Object[] {"/score/Not_A_Name", score(good), 400, "model name"});
        cases.add(new Object[] {"/v2/models/" + MODEL + "/infer", "{\"inputs\": 3}", 400, ""});
        cases.add(new Object[] {"/v2/models/" + MODEL + "/infer", Json.write(Map.of("inputs", List.of(Map.of(
                "name", "age", "shape", List.of(2), "datatype", "INT64", "data", List.of(70))))), 400, ""});
        cases.add(new Object[] {"/v2/models/" + MODEL + "/versions/abc/infer", Json.write(oipRequest(good, "p")), 400, "version"});
        cases.add(new Object[] {"/v2/models/" + MODEL + "/versions/9/infer", Json.write(oipRequest(good, "p")), 404, ""});

        for (Object[] c : cases) {
            HttpResponse<String> response = post((String) c[0], clinicalApp, (String) c[1], Map.of());
            String label = c[0] + " " + ((String) c[1]).substring(0, Math.min(80, ((String) c[1]).length()));
            assertThat(response.statusCode()).as(label).isEqualTo((int) c[2]);
            JsonNode error = json(response.body()).get("error");
            assertThat(error.get("code").asText()).as(label).isNotBlank();
            assertThat(error.get("message").asText()).as(label).contains((String) c[3]);
            assertThat(error.get("requestId").asText()).as(label).isNotBlank();
        }
        HttpResponse<String> wrongDeploy = post("/models/" + MODEL + "/versions/7/deploy", operator, "", Map.of());
        assertThat(wrongDeploy.statusCode()).isEqualTo(404);
        HttpResponse<String> notAllowed = send(HttpRequest.newBuilder(uri("/score/" + MODEL)).GET()
                .header("x-api-key", clinicalApp));
        assertThat(notAllowed.statusCode()).isEqualTo(405);
        // Nothing refused above was scored or logged.
        assertThat(logged()).hasSize(scoredRows);
    }

    @Test
    @Order(7)
    void theModelCardShowsTheDeployedVersionItsSignatureAndItsLoggedDecisions() throws Exception {
        JsonNode card = get("/models/" + MODEL + "/versions/1/card", operator);
        assertThat(card.at("/summary/deployedSlot").asText()).isEqualTo("stable");
        assertThat(card.at("/summary/gatesPassed").asBoolean()).isTrue();
        assertThat(card.at("/summary/signedBy")).hasSize(1);
        assertThat(card.at("/monitoring/provided").asBoolean()).isFalse();
        assertThat(card.at("/monitoring/predictionsLogged").asLong()).isEqualTo(scoredRows);
        assertThat(card.at("/curves/roc")).isEqualTo(get("/models/" + MODEL + "/versions/1/gates", operator).at("/curves/roc"));
    }

    @Test
    @Order(7)
    void thePredictionLogHoldsEveryDecisionWithPseudonymsOnly() throws Exception {
        List<PredictionRecord> records = logged();
        assertThat(records).hasSize(scoredRows);
        assertThat(records).allSatisfy(r -> {
            assertThat(r.patientPseudonym()).hasSize(64).doesNotContain(PATIENT_PREFIX);
            assertThat(r.version()).isEqualTo(1);
            assertThat(r.features()).hasSize(SampleModels.readmissionSchema().size());
        });
        try (Stream<Path> files = Files.walk(home)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).as(file.toString())
                        .doesNotContain(PATIENT_PREFIX);
            }
        }
        assertThat(LOGGED.toString(StandardCharsets.UTF_8)).doesNotContain(PATIENT_PREFIX).contains("RegisterModel");
    }

    @Test
    @Order(8)
    void theAuditTrailRecordsEveryStepAndVerifies() throws Exception {
        assertThat(send(HttpRequest.newBuilder(uri("/audit/records")).GET().header("x-api-key", clinicalApp))
                .statusCode()).isEqualTo(403);
        JsonNode records = get("/audit/records?" + auditDays(), compliance).get("records");
        List<String> actions = records.findValuesAsText("action");
        assertThat(actions).contains("model.register", "model.stage", "model.approve", "deployment.deploy",
                "dataset.register", "gates.evaluate");
        assertThat(records.findValuesAsText("outcome")).contains("refused", "approved_for_canary", "production");
        assertThat(records.findValuesAsText("outcome")).contains("registered");
        JsonNode verified = get("/audit/verify?" + auditDays(), compliance);
        assertThat(verified.get("valid").asBoolean()).isTrue();
    }

    @Test
    @Order(9)
    void aPackageThatIsNotValidIsRejectedAndAudited() throws Exception {
        Path junk = writeTemp("junk", "this is not a zip file".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> refused = post("/models/" + MODEL + "/packages", dataScientist, Json.write(Map.of(
                "fileName", "junk.zip", "packageBase64", java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(junk)))),
                Map.of());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(json(refused.body()).at("/error/code").asText()).isEqualTo("INVALID_PACKAGE");
        // packageBase64 is text: a number is refused as such, not read as its digits (valid base64 of three bytes).
        for (String notText : List.of("1234", "true", "[\"UEsDBA==\"]")) {
            HttpResponse<String> typed = post("/models/" + MODEL + "/packages", dataScientist,
                    "{\"fileName\": \"n.zip\", \"packageBase64\": " + notText + "}", Map.of());
            assertThat(typed.statusCode()).as(notText).isEqualTo(400);
            assertThat(json(typed.body()).at("/error/message").asText()).as(notText)
                    .contains("\"packageBase64\" must be text");
        }
        SamplePackage sample = SampleModels.readmissionLogistic();
        Manifest m = sample.manifest();
        byte[] wordy = ModelPackageWriter.write(new Manifest(
                m.formatVersion(), m.name(), m.task(), "Predicts readmission. ".repeat(400), m.features(),
                m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance()),
                sample.onnx(), sample.reference());
        HttpResponse<String> tooLong = post("/models/" + MODEL + "/packages", dataScientist, Json.write(Map.of(
                "fileName", "wordy.zip", "packageBase64", java.util.Base64.getEncoder().encodeToString(wordy))), Map.of());
        assertThat(tooLong.statusCode()).as(tooLong.body()).isEqualTo(400);
        assertThat(json(tooLong.body()).at("/error/code").asText()).isEqualTo("INVALID_PACKAGE");
        assertThat(json(tooLong.body()).at("/error/message").asText())
                .contains("field 'description' has 8800 characters", "at most 4000").doesNotContain("Predicts");
        // Dropped owner-only, as everything under the home must be.
        Files.copy(junk, platform.dropFolder().resolve("junk.zip"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Instant deadline = Instant.now().plusSeconds(60);
        List<String> outcomes = List.of();
        while (Instant.now().isBefore(deadline) && !outcomes.contains("rejected")) {
            Thread.sleep(200);
            outcomes = get("/audit/records?" + auditDays(), compliance).findValuesAsText("outcome");
        }
        assertThat(outcomes).contains("rejected");
        assertThat(get("/models", operator).get("models")).hasSize(1);
    }

    @Test
    @Order(10)
    void aDroppedTreeModelScoresOnlyOnceDeployedAndExplainsEachPrediction() throws Exception {
        Path dropped = writeTemp("trees.zip", SampleModels.readmissionTrees().zip());
        Files.copy(dropped, platform.dropFolder().resolve("readmission-trees.zip"));
        awaitVersions(2);
        assertThat(get("/models/" + MODEL + "/versions/2", operator).get("registeredBy").asText())
                .isEqualTo(LocalAdapters.pipelineIdentity(dropped));
        Map<String, Object> record = present(SampleModels.readmissionCohort(1, 11).records().get(0));
        String body = Json.write(Map.of("version", 2, "patientId", PATIENT_PREFIX + "x", "features", record));
        Map<String, Object> pinned = new LinkedHashMap<>(oipRequest(record, PATIENT_PREFIX + "z"));
        for (HttpResponse<String> refused : List.of(post("/score/" + MODEL, clinicalApp, body, Map.of()),
                post("/v2/models/" + MODEL + "/versions/2/infer", clinicalApp, Json.write(pinned), Map.of()))) {
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
            assertThat(json(refused.body()).at("/error/code").asText()).isEqualTo("VERSION_NOT_DEPLOYED");
        }
        passGates(2);
        assertThat(ModelsCommand.decide(client(approver), "approve", MODEL, 2, "trees pass their gates").statusCode())
                .isEqualTo(200);
        // Options sent to an action that reads none are refused, not silently ignored, and change nothing.
        String deploymentBefore = get("/models/" + MODEL, operator).at("/summary/deployment").toString();
        assertThat(deploymentBefore).contains("\"slots\"");
        HttpResponse<String> withOptions = post("/models/" + MODEL + "/versions/2/deploy", operator,
                "{\"version\": 1, \"weight\": 0.1}", Map.of());
        assertThat(withOptions.statusCode()).as(withOptions.body()).isEqualTo(400);
        assertThat(json(withOptions.body()).at("/error/code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(json(withOptions.body()).at("/error/message").asText()).contains("reads no request body")
                .contains("version to deploy are in the path");
        assertThat(get("/models/" + MODEL, operator).at("/summary/deployment").toString()).isEqualTo(deploymentBefore);
        assertThat(post("/models/" + MODEL + "/versions/2/deploy", operator, "{}", Map.of()).statusCode()).isEqualTo(200);
        // A re-run of the gates takes no options either: a dataset named in the body would not be the one judged.
        HttpResponse<String> rerunWithOptions = post("/models/" + MODEL + "/versions/2/gates", approver,
                "{\"dataset\": \"eval-2026-12.csv\"}", Map.of());
        assertThat(rerunWithOptions.statusCode()).as(rerunWithOptions.body()).isEqualTo(400);
        assertThat(json(rerunWithOptions.body()).at("/error/message").asText()).contains("reads no request body");

        JsonNode scored = json(post("/score/" + MODEL, clinicalApp, body, Map.of()).body());
        JsonNode explanation = scored.get("explanation");
        assertThat(explanation).as(scored.toString()).isNotNull();
        assertThat(explanation.get("summary").asText()).isNotBlank();
        JsonNode top = explanation.get("topFactors");
        assertThat(top.size()).isBetween(1, 5);
        assertThat(top.findValuesAsText("feature")).allSatisfy(f -> assertThat(SampleModels.readmissionSchema().names()).contains(f));
        List<PredictionRecord> logged = logged();
        PredictionRecord last = logged.stream().filter(r -> r.version() == 2).findFirst().orElseThrow();
        // The log keeps every feature's contribution; they add up to the risk's distance from the baseline.
        JsonNode contributions = Json.readTree("logged explanation", last.explanation().getBytes(StandardCharsets.UTF_8))
                .get("contributions");
        double sum = 0;
        for (JsonNode c : contributions) {
            sum += c.get(1).asDouble();
        }
        assertThat(sum).isCloseTo(scored.get("risk").asDouble() - explanation.get("baselineRisk").asDouble(),
                org.assertj.core.data.Offset.offset(1e-5));

        JsonNode plain = json(post("/score/" + MODEL + "?explain=false", clinicalApp, body, Map.of()).body());
        assertThat(plain.has("explanation")).isFalse();
        assertThat(post("/score/" + MODEL + "?explain=maybe", clinicalApp, body, Map.of()).statusCode()).isEqualTo(400);

        Map<String, Object> oip = new LinkedHashMap<>(oipRequest(record, PATIENT_PREFIX + "y"));
        oip.put("parameters", Map.of("patient_ids", List.of(PATIENT_PREFIX + "y"), "explain", true));
        JsonNode inferred = json(post("/v2/models/" + MODEL + "/versions/2/infer", clinicalApp, Json.write(oip), Map.of()).body());
        assertThat(inferred.at("/parameters/explanations/0/topFactors")).isNotEmpty();
        scoredRows += 3;
    }

    @Test
    @Order(11)
    void theExplanationPageShowsTheStoredExplanationWithoutPatientValues() throws Exception {
        Map<String, Object> record = present(SampleModels.readmissionCohort(1, 12).records().get(0));
        String patient = PATIENT_PREFIX + "explained";
        JsonNode scored = json(post("/score/" + MODEL, clinicalApp,
                Json.write(Map.of("version", 2, "patientId", patient, "features", record)), Map.of()).body());
        String id = scored.get("predictionId").asText();
        JsonNode answered = scored.get("explanation");
        String path = "/predictions/" + id + "/explanation";

        HttpResponse<String> asJson = send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", clinicalApp)
                .header("Accept", "application/json"));
        assertThat(asJson.statusCode()).as(asJson.body()).isEqualTo(200);
        JsonNode view = json(asJson.body());
        // The one computed when the patient was scored, read back: same risk, baseline and factors in order.
        assertThat(view.get("risk").asDouble()).isEqualTo(scored.get("risk").asDouble());
        assertThat(view.get("baseline").asDouble()).isCloseTo(answered.get("baselineRisk").asDouble(),
                org.assertj.core.data.Offset.offset(1e-12));
        assertThat(view.get("threshold").asDouble()).isEqualTo(scored.get("threshold").asDouble());
        assertThat(view.get("factors").findValuesAsText("feature"))
                .isEqualTo(answered.get("topFactors").findValuesAsText("feature"));
        for (int i = 0; i < view.get("factors").size(); i++) {
            assertThat(view.at("/factors/" + i + "/probabilityContribution").asDouble())
                    .isEqualTo(answered.at("/topFactors/" + i + "/riskContribution").asDouble());
        }
        double sum = view.get("baseline").asDouble() + view.get("otherFactors").asDouble();
        for (JsonNode f : view.get("factors")) {
            sum += f.get("probabilityContribution").asDouble();
        }
        assertThat(sum).isCloseTo(view.get("risk").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(view.get("modelCard").asText()).isEqualTo("/models/" + MODEL + "/versions/2/card");
        assertThat(view.get("limitations")).isNotEmpty();

        HttpResponse<String> page = send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", clinicalApp)
                .header("Accept", "text/html,application/xhtml+xml,application/json;q=0.9"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'none'");
        String html = page.body();
        assertThat(html).contains("<svg", "role=\"img\"", "<desc id=\"wf-desc-",
                "href=\"/models/" + MODEL + "/versions/2/card\"", "not validated for");
        assertThat(html.split("<rect class=\"factor ", -1)).hasSize(view.get("factors").size() + 1);
        assertThat(html).doesNotContain(patient).doesNotContain("<script");
        for (Map.Entry<String, Object> value : record.entrySet()) {
            if (value.getValue() instanceof String text && text.length() > 3) {
                assertThat(html).as("feature value of " + value.getKey()).doesNotContain(text);
            }
        }

        HttpResponse<String> fragment = send(HttpRequest.newBuilder(uri(path + "?fragment=true")).GET()
                .header("x-api-key", clinicalApp));
        assertThat(fragment.body()).startsWith("<style>").doesNotContain("<html");
        // A fragment= that is neither true nor false is refused whatever the answer would have been: JSON, or a 404.
        for (String odd : List.of(path, "/predictions/" + health.vigil.model.PredictionIds.next(java.time.Instant.now())
                + "/explanation")) {
            HttpResponse<String> banana = send(HttpRequest.newBuilder(uri(odd + "?fragment=banana")).GET()
                    .header("x-api-key", clinicalApp).header("Accept", "application/json"));
            assertThat(banana.statusCode()).as(odd).isEqualTo(400);
            assertThat(json(banana.body()).at("/error/message").asText()).as(odd).contains("'fragment'");
        }

        HttpResponse<String> forbidden = send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", operator));
        assertThat(forbidden.statusCode()).isEqualTo(403);
        HttpResponse<String> unknown = send(HttpRequest.newBuilder(uri("/predictions/"
                + health.vigil.model.PredictionIds.next(java.time.Instant.now()) + "/explanation")).GET()
                .header("x-api-key", clinicalApp));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertErrorShape(unknown.body());
        assertThat(json(unknown.body()).at("/error/code").asText()).isEqualTo("PREDICTION_NOT_FOUND");
        HttpResponse<String> notAnId = send(HttpRequest.newBuilder(uri("/predictions/%3Cb%3E/explanation")).GET()
                .header("x-api-key", clinicalApp));
        assertThat(notAnId.statusCode()).isEqualTo(400);
        assertThat(notAnId.body()).doesNotContain("<b>");

        String plainId = json(post("/score/" + MODEL + "?explain=false", clinicalApp,
                Json.write(Map.of("version", 2, "patientId", patient, "features", record)), Map.of()).body())
                .get("predictionId").asText();
        HttpResponse<String> unexplained = send(HttpRequest.newBuilder(uri("/predictions/" + plainId + "/explanation"))
                .GET().header("x-api-key", clinicalApp));
        assertThat(unexplained.statusCode()).isEqualTo(404);
        assertThat(json(unexplained.body()).at("/error/code").asText()).isEqualTo("EXPLANATION_NOT_RECORDED");
        scoredRows += 2;
    }

    @Test
    @Order(11)
    void outcomesArriveOverHttpAndAsFilesAndAreJoinedToTheirPredictions() throws Exception {
        List<PredictionRecord> v1 = logged().stream().filter(r -> r.version() == 1).toList();
        String window = "?from=" + Instant.now().minusSeconds(3600) + "&to=" + Instant.now().plusSeconds(60);
        JsonNode before = get("/models/" + MODEL + "/outcomes" + window, operator);
        assertThat(before.get("predictions").asLong()).isEqualTo(scoredRows);
        assertThat(before.get("labelled").asLong()).isZero();
        // A model there is none of (a typo) is not found, not a window without predictions.
        HttpResponse<String> typo = send(HttpRequest.newBuilder(uri("/models/no-such-model/outcomes" + window)).GET()
                .header("x-api-key", operator));
        assertThat(typo.statusCode()).isEqualTo(404);
        assertThat(json(typo.body()).at("/error/code").asText()).isEqualTo("MODEL_NOT_FOUND");

        String batch = Json.write(Map.of("model", MODEL, "outcomes", List.of(
                Map.of("predictionId", v1.get(0).predictionId(), "outcome", 1),
                Map.of("patientId", PATIENT_PREFIX + "1", "indexTime", Instant.now().toString(), "outcome", 0),
                Map.of("patientId", PATIENT_PREFIX + "2", "indexTime", "not a time", "outcome", 1))));
        assertThat(post("/outcomes", clinicalApp, batch, Map.of()).statusCode()).isEqualTo(403);
        HttpResponse<String> sent = post("/outcomes", outcomesFeed, batch, Map.of());
        assertThat(sent.statusCode()).isEqualTo(200);
        JsonNode receipt = json(sent.body());
        assertThat(receipt.get("recorded").asInt()).isEqualTo(2);
        assertThat(receipt.at("/refused/0/row").asInt()).isEqualTo(3);
        assertThat(sent.body()).doesNotContain(PATIENT_PREFIX).doesNotContain("not a time");

        String conflicting = Json.write(Map.of("model", MODEL, "outcomes", List.of(
                Map.of("predictionId", v1.get(0).predictionId(), "outcome", 0))));
        JsonNode refused = json(post("/outcomes", outcomesFeed, conflicting, Map.of()).body());
        assertThat(refused.get("conflicts").asInt()).isEqualTo(1);
        assertThat(post("/outcomes", outcomesFeed, "{\"model\": \"" + MODEL + "\"}", Map.of()).statusCode())
                .isEqualTo(400);

        Map<String, Boolean> joined = platform.platform().outcomeJoin().outcomesOf(new ModelName(MODEL), v1);
        assertThat(joined).hasSize(2).containsEntry(v1.get(0).predictionId(), true);
        List<String> unlabelled = v1.stream().map(PredictionRecord::predictionId).filter(id -> !joined.containsKey(id))
                .toList();
        Path file = Files.createTempFile(home, "outcomes", ".tmp");
        Files.writeString(file, "model,predictionId,outcome\n" + MODEL + "," + unlabelled.get(0) + ",1\n"
                + MODEL + "," + unlabelled.get(1) + ",0\n");
        Path folder = Files.createDirectories(LocalAdapters.blobFolder(home, "outcomes"));
        Files.move(file, folder.resolve("week-48.csv"));
        Instant deadline = Instant.now().plusSeconds(60);
        Map<String, Boolean> labelled = joined;
        while (Instant.now().isBefore(deadline) && labelled.size() < 4) {
            Thread.sleep(200);
            labelled = platform.platform().outcomeJoin().outcomesOf(new ModelName(MODEL), v1);
        }
        assertThat(labelled).hasSize(4);
        assertThat(labelled.values().stream().filter(Boolean::booleanValue)).hasSize(2);
        // Four outcomes are fewer than the default minCellSize (11): the window shows neither count, nor the share
        // that with the predictions would give them back, and says why.
        JsonNode after = get("/models/" + MODEL + "/outcomes" + window, operator);
        assertThat(after.get("predictions").asLong()).isEqualTo(scoredRows);
        assertThat(after.has("labelled")).as(after.toString()).isFalse();
        assertThat(after.has("positives")).isFalse();
        assertThat(after.get("labelledFraction").isNull()).isTrue();
        assertThat(after.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        // A file's receipt is audited once the whole file is read, so just after its outcomes became visible.
        long receipts = 0;
        while (receipts < 3 && Instant.now().isBefore(deadline.plusSeconds(30))) {
            JsonNode audited = get("/audit/records?" + auditDays(), compliance).get("records");
            receipts = audited.findValuesAsText("action").stream().filter("outcomes.record"::equals).count();
            if (receipts < 3) {
                Thread.sleep(200);
            }
        }
        assertThat(receipts).as("outcomes.record audit records").isEqualTo(3);
    }

    // A monitoring check of a window over HTTP, stored once and served; a second run writes nothing.
    /** The monitoring checks in {@code trail} of the window that starts at {@code from}. */
    private static long checksOf(Instant from, JsonNode trail) {
        long count = 0;
        for (JsonNode r : trail) {
            if (r.get("action").asText().equals("monitoring.check") && r.at("/details/from").asText().equals(
                    from.toString())) {
                count++;
            }
        }
        return count;
    }

    @Test
    @Order(12)
    void aMonitoringCheckOfAWindowIsStoredOnceAndServed() throws Exception {
        Instant to = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant from = to.minus(Duration.ofHours(1));
        String run = "/models/" + MODEL + "/monitoring/run?from=" + from + "&to=" + to;
        assertThat(post(run, clinicalApp, "", Map.of()).statusCode()).isEqualTo(403);
        HttpResponse<String> future = post("/models/" + MODEL + "/monitoring/run?from=" + from + "&to="
                + to.plus(Duration.ofHours(1)), operator, "", Map.of());
        assertThat(future.statusCode()).isEqualTo(400);
        assertErrorShape(future.body());
        assertThat(post("/models/no-such-model/monitoring/run", operator, "", Map.of()).statusCode()).isEqualTo(404);

        HttpResponse<String> windowInBody = post("/models/" + MODEL + "/monitoring/run", operator,
                Json.write(Map.of("from", from.toString(), "to", to.toString())), Map.of());
        assertThat(windowInBody.statusCode()).as(windowInBody.body()).isEqualTo(400);
        assertThat(json(windowInBody.body()).at("/error/message").asText()).contains("?from=...&to=...");

        HttpResponse<String> first = post(run, operator, "", Map.of());
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode reports = json(first.body()).get("reports");
        JsonNode deployment = get("/models/" + MODEL, operator).at("/summary/deployment/slots");
        List<PredictionRecord> logged = logged();
        // One report per version and slot that served predictions in the window (a version deployed before the one
        // deployed now included), and the deployed stable version's in any case.
        java.util.Set<String> servedInWindow = new java.util.TreeSet<>();
        logged.stream().filter(r -> !r.time().isBefore(from) && r.time().isBefore(to))
                .forEach(r -> servedInWindow.add("v" + r.version() + "/" + r.slot().wireName()));
        deployment.forEach(slot -> {
            if (slot.get("slot").asText().equals("stable")) {
                servedInWindow.add("v" + slot.get("version").asInt() + "/stable");
            }
        });
        List<String> reported = new ArrayList<>();
        reports.forEach(r -> reported.add("v" + r.get("version").asInt() + "/" + r.get("slot").asText()));
        assertThat(reported).containsExactlyInAnyOrderElementsOf(servedInWindow);
        for (JsonNode report : reports) {
            int version = report.get("version").asInt();
            String slot = report.get("slot").asText();
            long expected = logged.stream().filter(r -> r.version() == version && r.slot().wireName().equals(slot)
                    && !r.time().isBefore(from) && r.time().isBefore(to)).count();
            assertThat(report.get("predictions").asLong()).as(report.toString()).isEqualTo(expected);
            assertThat(report.get("severity").asText()).isIn("OK", "INSUFFICIENT_DATA", "WARNING", "ALERT");
            assertThat(report.has("drift")).isTrue();
            assertThat(report.at("/performance/labelled").asLong()).isGreaterThanOrEqualTo(0);
        }
        // The checks of this window: the hourly DriftCheck timer may check its own window meanwhile (at minute 5).
        long checks = checksOf(from, get("/audit/records?" + auditDays(), compliance).get("records"));
        assertThat(checks).isEqualTo(reports.size());

        HttpResponse<String> again = post(run, operator, "", Map.of());
        assertThat(json(again.body()).get("reports")).isEqualTo(reports);
        JsonNode trail = get("/audit/records?" + auditDays(), compliance).get("records");
        assertThat(checksOf(from, trail)).isEqualTo(checks);
        // Who asked for the window is in the trail once, however often it was asked.
        List<JsonNode> asked = new ArrayList<>();
        trail.forEach(r -> {
            if (r.get("action").asText().equals("monitoring.run") && r.at("/details/from").asText().equals(from.toString())) {
                asked.add(r);
            }
        });
        assertThat(asked).singleElement().satisfies(r -> assertThat(r.get("actor").asText()).isEqualTo("operator"));
        JsonNode served = get("/models/" + MODEL + "/monitoring?from=" + from.minusSeconds(1) + "&to="
                + from.plusSeconds(1), operator);
        assertThat(served.get("reports")).isEqualTo(reports);
        assertThat(served.toString()).doesNotContain(PATIENT_PREFIX);
        // The same through `vigil monitor`, which asks the running platform with the operator's key.
        String cli = AuditCommandTest.run("monitor", "show", MODEL, "--url", platform.baseUri().toString(), "--home",
                home.toString(), "--from", from.minusSeconds(1).toString(), "--to", from.plusSeconds(1).toString());
        assertThat(cli).startsWith("0\n").contains(reports.get(0).get("id").asText());
        assertThat(AuditCommandTest.run("monitor", "run", MODEL, "--url", platform.baseUri().toString(), "--home",
                home.toString(), "--from", from.toString(), "--to", to.toString())).startsWith("0\n")
                .contains(reports.get(0).get("id").asText());
    }

    // The lineage of a prediction, over HTTP and through `vigil lineage`.
    @Test
    @Order(13)
    void theLineageOfAPredictionNamesItsVersionDatasetsAndTheDeploymentAtThatMoment() throws Exception {
        PredictionRecord first = logged().get(0);
        String path = "/predictions/" + first.predictionId();
        assertThat(send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", operator)).statusCode())
                .isEqualTo(403);
        HttpResponse<String> malformed = send(HttpRequest.newBuilder(uri("/predictions/not-an-id")).GET()
                .header("x-api-key", compliance));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertErrorShape(malformed.body());
        assertThat(malformed.body()).as("what was asked may be anything, a patient's number too")
                .doesNotContain("not-an-id");
        assertThat(get(path.toUpperCase(java.util.Locale.ROOT).replace("/PREDICTIONS/", "/predictions/"), compliance)
                .at("/prediction/predictionId").asText()).as("a UUID in capitals").isEqualTo(first.predictionId());
        String neverIssued = health.vigil.model.PredictionIds.next(first.time());
        assertThat(send(HttpRequest.newBuilder(uri("/predictions/" + neverIssued)).GET().header("x-api-key", compliance))
                .statusCode()).isEqualTo(404);
        // An id of the form Vigil issued before ids carried their time is a prediction id it cannot look up: 404.
        String earlier = UUID.randomUUID().toString();
        HttpResponse<String> beforeTimedIds = send(HttpRequest.newBuilder(uri("/predictions/" + earlier)).GET()
                .header("x-api-key", compliance));
        assertThat(beforeTimedIds.statusCode()).isEqualTo(404);
        assertThat(json(beforeTimedIds.body()).at("/error/message").asText()).contains("before prediction ids carried");

        JsonNode lineage = get(path, compliance);
        assertThat(lineage.at("/prediction/predictionId").asText()).isEqualTo(first.predictionId());
        assertThat(lineage.at("/prediction/patientPseudonym").asText()).isEqualTo(first.patientPseudonym());
        assertThat(lineage.at("/prediction/score").asDouble()).isEqualTo(first.score());
        assertThat(lineage.at("/prediction/inputs").size()).isEqualTo(first.features().length);
        JsonNode version = get("/models/" + MODEL + "/versions/" + first.version(), operator);
        assertThat(lineage.at("/version/packageSha256").asText()).isEqualTo(version.findValue("packageSha256").asText());
        assertThat(lineage.at("/version/trainingDatasets/0").asText())
                .isEqualTo(version.findValue("datasetSha256").asText());
        assertThat(lineage.at("/versionDecisions").findValuesAsText("action")).contains("model.register",
                "gates.evaluate", "model.approve");
        // The gate report and the approvers' signatures of the version that made it.
        JsonNode gateReport = get("/models/" + MODEL + "/versions/" + first.version() + "/gates", operator);
        assertThat(lineage.at("/gateReport/datasetSha256").asText()).isEqualTo(gateReport.get("datasetSha256").asText());
        assertThat(lineage.at("/gateReport/passed").asBoolean()).isTrue();
        assertThat(lineage.at("/version/signatures/0/meaning").asText()).isEqualTo("APPROVED_FOR_CANARY");
        assertThat(lineage.at("/version/signatures/0/signerId").asText()).isEqualTo("approver");
        assertThat(lineage.at("/deploymentAtPrediction/action").asText()).isEqualTo("deployment.deploy");
        assertThat(lineage.at("/deploymentAtPrediction/subject").asText()).endsWith("/versions/" + first.version());
        assertThat(lineage.toString()).doesNotContain(PATIENT_PREFIX);

        String cli = AuditCommandTest.run("lineage", first.predictionId(), "--url", platform.baseUri().toString(),
                "--home", home.toString());
        assertThat(cli).startsWith("0\n").contains(lineage.at("/version/packageSha256").asText());
        // Every lookup is an audit record: the one that found it, the one that found nothing, and the malformed one.
        List<String> lookups = new ArrayList<>();
        get("/audit/records?" + auditDays(), compliance).get("records").forEach(r -> {
            if (r.get("action").asText().equals("lineage.read")) {
                lookups.add(r.get("outcome").asText() + " " + r.get("subject").asText() + " by " + r.get("actor").asText());
            }
        });
        assertThat(lookups).contains("read " + path.substring(1) + " by compliance",
                "not_found predictions/" + neverIssued + " by compliance", "invalid predictions by compliance",
                "not_found predictions/" + earlier + " by compliance");
        assertThat(lookups.toString()).doesNotContain("not-an-id");
    }

    @Test
    @Order(14)
    void refusalsAuditReadsAndExportsAreAuditRecordsWithoutCredentials() throws Exception {
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        String wrongKey = "wrong-key-" + UUID.randomUUID();
        assertThat(send(HttpRequest.newBuilder(uri("/audit/records")).GET().header("x-api-key", wrongKey))
                .statusCode()).isEqualTo(401);
        assertThat(post("/audit/exports", operator, "{\"from\":\"" + today + "\",\"to\":\"" + today + "\"}", Map.of())
                .statusCode()).isEqualTo(403);
        HttpResponse<String> backwards = post("/audit/exports", compliance, "{\"from\":\"" + today
                + "\",\"to\":\"2020-01-01\"}", Map.of());
        assertThat(backwards.statusCode()).isEqualTo(400);
        assertThat(json(backwards.body()).at("/error/message").asText()).contains("swap");

        HttpResponse<String> misspelt = post("/audit/exports", compliance, "{\"from\":\"" + today + "\",\"too\":\""
                + today + "\"}", Map.of());
        assertThat(misspelt.statusCode()).isEqualTo(400);
        assertThat(json(misspelt.body()).at("/error/message").asText()).contains("unknown field 'too'");
        HttpResponse<String> exported = post("/audit/exports", compliance, "{\"from\":\"" + today + "\",\"to\":\""
                + today + "\"}", Map.of());
        assertThat(exported.statusCode()).as(exported.body()).isEqualTo(201);
        assertThat(json(exported.body()).get("count").asLong()).isPositive();
        // An export that finds nothing new (a past, empty period) is written once and then found.
        String empty = "{\"from\":\"2020-01-01\",\"to\":\"2020-01-01\"}";
        assertThat(post("/audit/exports", compliance, empty, Map.of()).statusCode()).isEqualTo(201);
        HttpResponse<String> again = post("/audit/exports", compliance, empty, Map.of());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again.body()).get("created").asBoolean()).isFalse();

        String records = get("/audit/records?" + auditDays(), compliance).toString();
        JsonNode all = json(records).get("records");
        assertThat(records).doesNotContain(wrongKey).doesNotContain(clinicalApp).doesNotContain(compliance)
                .doesNotContain(operator);
        List<JsonNode> refusals = new ArrayList<>();
        all.forEach(r -> {
            if (r.get("action").asText().equals("access.refused")) {
                refusals.add(r);
            }
        });
        assertThat(refusals).anySatisfy(r -> {
            assertThat(r.get("actor").asText()).isEqualTo("clinical-app");
            assertThat(r.at("/details/route").asText()).isEqualTo("/audit/records");
            assertThat(r.at("/details/status").asText()).isEqualTo("403");
        });
        assertThat(refusals).anySatisfy(r -> {
            assertThat(r.get("actor").asText()).isEqualTo("unauthenticated");
            assertThat(r.at("/details/status").asText()).isEqualTo("401");
        });
        assertThat(all.findValuesAsText("action")).contains("audit.read", "audit.verified", "audit.exported",
                "audit.signing-key.published");
        assertThat(all.findValuesAsText("actor")).contains("compliance");
    }

    @Test
    @Order(15)
    void theEvidenceVerifiesWithThePublicKeyAloneAndATamperedExportIsNamed() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        var evidence = platform.platform().auditEvidence();
        evidence.anchor();
        var trusted = List.of(health.vigil.audit.SigningKeys.fromPem(health.vigil.audit.SigningKeys.pem(
                health.vigil.adapter.local.LocalAuditSigner.open(home).publicKey())).orElseThrow());
        assertThat(new health.vigil.audit.EvidenceVerifier(trusted).verify(
                health.vigil.audit.EvidenceFiles.container(platform.platform().artifacts())).firstProblem()).isNull();
        assertThat(evidence.verifyStore(today, today, trusted).firstProblem()).isNull();
        JsonNode againstAnchors = get("/audit/evidence/verify?from=" + today + "&to=" + today, compliance);
        assertThat(againstAnchors.get("valid").asBoolean()).as(againstAnchors.toString()).isTrue();
        assertThat(againstAnchors.get("anchors").asInt()).isPositive();
        if (platform.platform().config().mode() != health.vigil.config.VigilConfig.Mode.LOCAL) {
            return; // 'vigil audit export' works on a local home; on Azure the container is downloaded instead
        }
        Path out = home.resolve("evidence-copy");
        Path key = Files.createTempFile(scratch, "audit-signing", ".pem"); // the verifier's own copy, outside the home
        Files.writeString(key, health.vigil.audit.SigningKeys.pem(health.vigil.adapter.local.LocalAuditSigner.open(home)
                .publicKey()));
        assertThat(AuditCommandTest.run("audit", "export", "--from", today.toString(), "--to", today.toString(), "--out", out.toString(),
                "--home", home.toString())).startsWith("0\n").contains("exported");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
                .isEqualTo("rwx------");
        try (Stream<Path> files = Files.walk(out)) {
            assertThat(files.filter(Files::isRegularFile).toList()).isNotEmpty().allSatisfy(f -> assertThat(
                    java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                    .isEqualTo("rw-------"));
        }
        assertThat(AuditCommandTest.run("audit", "verify", out.toString(), "--public-key", key.toString()))
                .startsWith("0\n").contains("VERIFIED");

        Path export;
        try (Stream<Path> files = Files.list(out.resolve("exports"))) {
            export = files.findFirst().orElseThrow();
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        lines.set(2, lines.get(2).replace("\"outcome\":\"", "\"outcome\":\"not-"));
        Files.write(export, lines);
        assertThat(AuditCommandTest.run("audit", "verify", out.toString(), "--public-key", key.toString()))
                .startsWith("1\n").contains("FAILED HASH_MISMATCH").contains("line 3");
    }

    // Points 10 and 11: permanent errors of the webhook are 4xx (Event Grid would retry a 5xx for a day), and
    // without the system key nothing is delivered at all.
    @Test
    @Order(16)
    void theWebhookNeedsItsKeyAndAnswersBadEventsWith4xx() throws Exception {
        String key = SystemKeys.eventGrid(home);
        String event = blobCreated(UUID.randomUUID().toString(), "readmission.zip");
        HttpResponse<String> noKey = post("/runtime/webhooks/eventgrid?functionName=RegisterModel", null, event,
                Map.of("aeg-event-type", "Notification"));
        assertThat(noKey.statusCode()).isEqualTo(401);

        for (String blob : List.of("../keys.json", "a/../../keys.json", "../secrets/pseudonym.key")) {
            HttpResponse<String> escaping = post("/runtime/webhooks/eventgrid?functionName=RegisterModel", null,
                    blobCreated(UUID.randomUUID().toString(), blob), Map.of("aeg-event-type", "Notification",
                            "x-functions-key", key));
            assertThat(escaping.statusCode()).as(blob).isEqualTo(400);
            assertErrorShape(escaping.body());
        }
        List<Map<String, Object>> unknown = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            unknown.add(Map.of("specversion", "1.0", "id", "u-" + i, "source", "/elsewhere", "type", "Contoso.Items.ItemReceived",
                    "subject", "/items/" + i, "time", "2026-03-01T10:00:00Z", "data", Map.of("n", i)));
        }
        HttpResponse<String> batch = post("/runtime/webhooks/eventgrid?functionName=RegisterModel", null,
                Json.write(unknown), Map.of("x-functions-key", key));
        assertThat(batch.statusCode()).isEqualTo(400);
        assertErrorShape(batch.body());
        // A Vigil event sent to a handler not subscribed to its type, or without the data the handler reads, is
        // refused like a storage event sent to the wrong handler, not passed over with a 200.
        Map<String, Object> registered = Map.of("specversion", "1.0", "id", "w-" + UUID.randomUUID(),
                "source", "/vigil", "type", "Vigil.Model.Registered", "subject", "/models/readmission/versions/1",
                "time", "2026-03-01T10:00:00Z", "data", Map.of("model", "readmission", "version", 1));
        Map<String, Object> withoutVersion = new java.util.HashMap<>(registered);
        withoutVersion.put("data", Map.of("model", "readmission"));
        for (var wrong : List.of(Map.entry("AdvanceCanary", registered), Map.entry("EvaluateGates", withoutVersion))) {
            HttpResponse<String> refused = post("/runtime/webhooks/eventgrid?functionName=" + wrong.getKey(), null,
                    Json.write(wrong.getValue()), Map.of("x-functions-key", key));
            assertThat(refused.statusCode()).as(wrong.getKey()).isEqualTo(400);
            assertErrorShape(refused.body());
            assertThat(json(refused.body()).at("/error/message").asText()).as(wrong.getKey())
                    .contains(wrong.getKey());
        }
        assertThat(get("/models", operator).get("models")).hasSize(1);
    }

    // Points 10 and 12: a broken query string, a query parameter given twice and patient identifiers that are not
    // UTF-8 are 400s.
    @Test
    @Order(17)
    void brokenQueryStringsAndIdentifiersThatAreNotUtf8Are400() throws Exception {
        for (String target : List.of("/audit/records?%", "/audit/verify?%", "/models?%")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", platform.baseUri().getPort())) {
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: "
                        + compliance + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(response).as(target).startsWith("HTTP/1.1 400");
                assertErrorShape(response.substring(response.indexOf("\r\n\r\n") + 4));
            }
        }
        Map<String, Object> features = present(SampleModels.readmissionCohort(1, 5).records().get(0));
        String body = Json.write(Map.of("patientId", "PATIENT-ID-HERE", "features", features));
        int before = logged().size();
        // Two identifiers that differ only in bytes that are not UTF-8 must not become the same patient.
        for (byte[] invalid : List.of(new byte[] {'M', (byte) 0xff, '1'}, new byte[] {'M', (byte) 0xc3, '1'},
                new byte[] {'M', (byte) 0xed, (byte) 0xa0, (byte) 0x80})) {
            byte[] bytes = splice(body.getBytes(StandardCharsets.UTF_8), "PATIENT-ID-HERE", invalid);
            HttpResponse<String> response = BlockingHttp.send(HttpRequest.newBuilder(uri("/score/" + MODEL))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).header("Content-Type", "application/json")
                    .header("x-api-key", clinicalApp).timeout(Duration.ofSeconds(60)).build());
            assertThat(response.statusCode()).isEqualTo(400);
            assertErrorShape(response.body());
            assertThat(json(response.body()).at("/error/message").asText()).contains("UTF-8");
        }
        HttpResponse<String> surrogate = post("/score/" + MODEL, clinicalApp,
                body.replace("PATIENT-ID-HERE", "M\\ud800x"), Map.of());
        assertThat(surrogate.statusCode()).isEqualTo(400);
        // A query parameter given twice means whichever the host keeps: refused, and nothing is scored.
        HttpResponse<String> twice = post("/score/" + MODEL + "?explain=false&explain=true", clinicalApp,
                body.replace("PATIENT-ID-HERE", "MRN-GIVEN-TWICE"), Map.of());
        assertThat(twice.statusCode()).isEqualTo(400);
        assertErrorShape(twice.body());
        assertThat(json(twice.body()).at("/error/message").asText()).contains("'explain' is given more than once");
        // A parameter the route does not take is refused, not ignored: ?version=2 would be scored by the deployed
        // version, ?Explain=false answered with an explanation.
        for (String query : List.of("?version=2", "?Explain=false", "?explain=false&foo=1")) {
            HttpResponse<String> unknown = post("/score/" + MODEL + query, clinicalApp,
                    body.replace("PATIENT-ID-HERE", "MRN-UNKNOWN-PARAMETER"), Map.of());
            assertThat(unknown.statusCode()).as(query).isEqualTo(400);
            assertErrorShape(unknown.body());
            assertThat(json(unknown.body()).at("/error/message").asText()).as(query)
                    .contains("is not one this route takes; it takes explain");
        }
        HttpResponse<String> inferQuery = post("/v2/models/" + MODEL + "/infer?explain=true", clinicalApp, "{}", Map.of());
        assertThat(inferQuery.statusCode()).isEqualTo(400);
        assertThat(json(inferQuery.body()).at("/error/message").asText()).contains("'explain' is not one this route takes");
        assertThat(logged()).hasSize(before);
        // The function key Azure Functions reads from the query is not refused.
        assertThat(post("/score/" + MODEL + "?explain=false&code=unused", clinicalApp,
                body.replace("PATIENT-ID-HERE", "MRN-WITH-CODE"), Map.of()).statusCode()).isEqualTo(200);
        assertThat(logged()).hasSize(before + 1);
    }

    // Point 16: the home folder and everything in it are owner-only (the SQLite WAL and SHM files included).
    @Test
    @Order(18)
    void everyFileUnderTheHomeIsOwnerOnly() throws Exception {
        if (!home.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.toList()) {
                if (p.startsWith(home.resolve("emulators")) || (p.getParent().equals(home) && p.toString().endsWith(".zip"))
                        || p.equals(platform.dropFolder().resolve("junk.zip"))) {
                    // the storage emulators' own working files and this test's inputs, among them the file it dropped
                    // into the drop folder as a user would (its mode is the user's), not Vigil's
                    continue;
                }
                String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS));
                assertThat(mode).as(home.relativize(p).toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }

    @Test
    @Order(16)
    void aReplacedUploadKeepsItsVersionAndAVersionThatCannotLoadIsRefusedWithTheDeploymentUnchanged() throws Exception {
        ArtifactStore artifacts = platform.platform().artifacts();
        // The upload version 1 came from is replaced with another package and announced again.
        artifacts.put(ArtifactStore.MODELS, "readmission.zip",
                new java.io.ByteArrayInputStream(SampleModels.readmissionTrees().zip()), true);
        HttpResponse<String> announced = post("/runtime/webhooks/eventgrid?functionName=RegisterModel", null,
                blobCreated(UUID.randomUUID().toString(), "readmission.zip"),
                Map.of("aeg-event-type", "Notification", "x-functions-key", SystemKeys.eventGrid(home)));
        assertThat(announced.statusCode()).isBetween(200, 299);
        awaitVersions(2);
        String v1Sha = get("/models/" + MODEL + "/versions/1", operator).get("packageSha256").asText();
        String v2Sha = get("/models/" + MODEL + "/versions/2", operator).get("packageSha256").asText();
        assertThat(v2Sha).isNotEqualTo(v1Sha);
        try (java.io.InputStream kept = artifacts.open(ArtifactStore.PACKAGES, ArtifactStore.registeredPackage(v1Sha))) {
            assertThat(Sha256.hex(kept)).as("version 1's bytes are kept").isEqualTo(v1Sha);
        }

        // Storage damage: the bytes kept for an approved version that is not serving (retired) are no longer the ones
        // it was registered with. It was loaded when it served; the loaded versions are then dropped, as a restart of
        // the process drops them.
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));
        JsonNode before = get("/models/" + MODEL, operator).get("summary").get("deployment");
        int stable = 0;
        List<Integer> serving = new ArrayList<>();
        for (JsonNode slot : before.get("slots")) {
            serving.add(slot.get("version").asInt());
            if (slot.get("slot").asText().equals("stable")) {
                stable = slot.get("version").asInt();
            }
        }
        JsonNode retired = null;
        for (JsonNode v : get("/models/" + MODEL, operator).get("versions")) {
            if (v.get("stage").asText().equals("RETIRED")) {
                retired = v;
            }
        }
        assertThat(retired).as("the scenario retired a version when it deployed the next").isNotNull();
        int target = retired.get("version").asInt();
        artifacts.put(ArtifactStore.PACKAGES, ArtifactStore.registeredPackage(retired.get("packageSha256").asText()),
                new java.io.ByteArrayInputStream("not the registered package".getBytes(StandardCharsets.UTF_8)), true);
        platform.platform().scoring().models().close();
        HttpResponse<String> refused = post("/models/" + MODEL + "/versions/" + target + "/deploy", operator, "", Map.of());

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
        assertErrorShape(refused.body());
        JsonNode error = json(refused.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("VERSION_NOT_SERVABLE");
        assertThat(error.get("message").asText()).contains(MODEL + ":" + target, "not deployed",
                "still serves version " + stable, "sha256", "Upload a corrected package");
        assertThat(get("/models/" + MODEL, operator).get("summary").get("deployment")).isEqualTo(before);
        assertThat(get("/models/" + MODEL + "/versions/" + target, operator).get("stage").asText()).isEqualTo("RETIRED");
        HttpResponse<String> scored = post("/score/" + MODEL, clinicalApp, Json.write(Map.of("patientId",
                PATIENT_PREFIX + "after-refusal", "features", present(SampleModels.readmissionCohort(1, 5).records().get(0)))),
                Map.of());
        assertThat(scored.statusCode()).isEqualTo(200);
        assertThat(json(scored.body()).get("version").asInt()).isIn(serving);
    }

    @Test
    @Order(17)
    void theAuditRecordsComeInBoundedPagesLinkedByContinuationTokens() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String period = "/audit/records?" + auditDays();
        List<JsonNode> paged = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            JsonNode page = get(period + "&limit=3" + (token == null ? "" : "&continuationToken=" + token), compliance);
            assertThat(page.get("records").size()).isBetween(1, 3);
            page.get("records").forEach(paged::add);
            token = page.hasNonNull("continuationToken") ? page.get("continuationToken").asText() : null;
            pages++;
        } while (token != null && pages < 1000);

        assertThat(token).as("the last page has no token").isNull();
        // Each page read is itself audited at the end of the day, so the day grows while it is paged through: the
        // pages must still be one gap-free run from each day's first record (a run across midnight UTC starts a
        // second day's chain at 1), matching a full read made afterwards.
        String day = null;
        long expected = 0;
        for (JsonNode record : paged) {
            if (!record.get("partition").asText().equals(day)) {
                assertThat(record.get("sequence").asLong()).as("the first record of a day").isEqualTo(1);
                day = record.get("partition").asText();
                expected = 1;
            }
            assertThat(record.get("sequence").asLong()).as("day " + day).isEqualTo(expected++);
        }
        JsonNode all = get(period, compliance).get("records");
        for (int i = 0; i < paged.size(); i++) {
            assertThat(paged.get(i).get("id").asText()).isEqualTo(all.get(i).get("id").asText());
        }

        for (String bad : List.of("&continuationToken=not-a-token", "&limit=0", "&limit=1001", "&limit=three")) {
            HttpResponse<String> refused = send(HttpRequest.newBuilder(uri(period + bad)).GET()
                    .header("x-api-key", compliance));
            assertThat(refused.statusCode()).as(bad).isEqualTo(400);
            assertErrorShape(refused.body());
        }
        String otherPeriod = get("/audit/records?from=" + today.minusDays(1) + "&to=" + today + "&limit=1", compliance)
                .get("continuationToken").asText();
        HttpResponse<String> replayed = send(HttpRequest.newBuilder(uri(period + "&continuationToken=" + otherPeriod))
                .GET().header("x-api-key", compliance));
        assertThat(replayed.statusCode()).as("a token of another period").isEqualTo(400);
    }

    private static void assertErrorShape(String body) {
        JsonNode error = json(body).get("error");
        assertThat(error).as(body).isNotNull();
        assertThat(error.get("code").asText()).isNotBlank();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("requestId").asText()).isNotBlank();
    }

    private static byte[] splice(byte[] body, String marker, byte[] replacement) {
        String text = new String(body, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(marker);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(body, 0, at);
        out.writeBytes(replacement);
        out.write(body, at + marker.length(), body.length - at - marker.length());
        return out.toByteArray();
    }

    private ControlClient client(String key) {
        return new ControlClient(platform.baseUri(), key);
    }

    /** Waits for {@code EvaluateGates}, run by the version's registration event, to pass the version. */
    private void passGates(int version) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        String stage = "";
        while (Instant.now().isBefore(deadline) && !stage.equals("GATES_PASSED")) {
            stage = get("/models/" + MODEL + "/versions/" + version, operator).get("stage").asText();
            if (stage.equals("GATES_FAILED")) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(stage).isEqualTo("GATES_PASSED");
    }

    private Path writeTemp(String name, byte[] bytes) throws IOException {
        Path file = Files.createTempFile(scratch, name, ".zip");
        Files.write(file, bytes);
        return file;
    }

    private List<PredictionRecord> logged() {
        List<PredictionRecord> records = new ArrayList<>();
        platform.platform().predictionLog().scan(new ModelName(MODEL), Instant.EPOCH, Instant.now().plusSeconds(60),
                records::add);
        return records;
    }

    private JsonNode awaitGates(int version) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/models/" + MODEL + "/versions/" + version
                    + "/gates")).GET().header("x-api-key", operator));
            // The report is stored before the version's stage moves on; wait for both.
            if (response.statusCode() == 200 && !get("/models/" + MODEL + "/versions/" + version, operator).get("stage")
                    .asText().matches("REGISTERED|GATES_RUNNING")) {
                return json(response.body());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gates of version " + version + " did not report within 120 s");
    }

    /**
     * The audit days a check reads: yesterday to tomorrow (UTC). A scenario that runs across midnight, or whose canary
     * bakes moved the platform's clock ahead of the wall clock, still finds every record of its home, which is new.
     */
    private static String auditDays() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return "from=" + today.minusDays(1) + "&to=" + today.plusDays(1);
    }

    /**
     * The audit records of the days around today ({@link #auditDays}), without the records of this test's own reads
     * of the audit log (each read is audited).
     */
    private List<JsonNode> auditRecords() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        get("/audit/records?" + auditDays(), compliance).get("records").forEach(r -> {
            if (!r.path("action").asText().equals("audit.read")) {
                out.add(r);
            }
        });
        return out;
    }

    private JsonNode awaitVersions(int count) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/models/" + MODEL)).GET()
                    .header("x-api-key", operator));
            if (response.statusCode() == 200 && json(response.body()).get("versions").size() >= count) {
                return json(response.body());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the package was not registered within 60 s");
    }

    /** An Open Inference Protocol request for one patient's record, one tensor per present feature. */
    static Map<String, Object> oipRequest(Map<String, Object> record, String patientId) {
        List<Map<String, Object>> inputs = new ArrayList<>();
        for (var feature : SampleModels.readmissionSchema().features()) {
            Object value = record.get(feature.name());
            if (value != null) {
                String datatype = switch (feature.type()) {
                    case NUMERIC -> "FP64";
                    case INTEGER -> "INT64";
                    case BOOLEAN -> "BOOL";
                    case CATEGORICAL, CODE -> "BYTES";
                };
                inputs.add(Map.of("name", feature.name(), "shape", List.of(1), "datatype", datatype, "data", List.of(value)));
            }
        }
        return Map.of("parameters", Map.of("patient_ids", List.of(patientId)), "inputs", inputs);
    }

    private static String blobCreated(String id, String blob) {
        return Json.write(List.of(Map.of(
                "id", id,
                "topic", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/vigil-local/providers"
                        + "/Microsoft.Storage/storageAccounts/vigillocal",
                "subject", "/blobServices/default/containers/models/blobs/" + blob,
                "eventType", "Microsoft.Storage.BlobCreated",
                "eventTime", Instant.now().toString(),
                "data", Map.of("api", "PutBlob", "contentType", "application/zip", "contentLength", 1,
                        "blobType", "BlockBlob", "url", "http://127.0.0.1/devstoreaccount1/models/" + blob),
                "dataVersion", "",
                "metadataVersion", "1")));
    }

    private static Map<String, Object> present(Map<String, Object> record) {
        Map<String, Object> copy = new LinkedHashMap<>(record);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }

    private static Map<String, Object> with(Map<String, Object> record, String name, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(record);
        copy.put(name, value);
        return copy;
    }

    private static Map<String, Object> without(Map<String, Object> record, String name) {
        Map<String, Object> copy = new LinkedHashMap<>(record);
        copy.remove(name);
        return copy;
    }

    private static String score(Map<String, Object> features) {
        return Json.write(Map.of("patientId", "p-1", "features", features));
    }

    private JsonNode get(String path, String key) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
        if (key != null) {
            request.header("x-api-key", key);
        }
        HttpResponse<String> response = send(request);
        assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
        return json(response.body());
    }

    private HttpResponse<String> post(String path, String key, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (key != null) {
            request.header("x-api-key", key);
        }
        headers.forEach(request::header);
        return send(request);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return BlockingHttp.send(request.timeout(Duration.ofSeconds(60)).build());
    }

    private URI uri(String path) {
        return platform.baseUri().resolve(path);
    }

    private static JsonNode json(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }
}

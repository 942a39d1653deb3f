package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.host.SystemKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
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
 * The whole foundation loop over real HTTP on a free port, run by each back end's subclass: a package dropped into
 * the models container is registered (once, however often its event arrives), deployed by an operator,
 * scored through /score and the Open Inference Protocol, logged with pseudonymised patients, and audited;
 * malformed requests get 4xx answers, never 5xx.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PlatformLoopScenario {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final String PATIENT_PREFIX = "MRN-" + UUID.randomUUID().toString().substring(0, 8) + "-";

    private Path home;

    private LocalPlatform platform;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
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
    private String clinicalApp;
    private String compliance;
    private int scoredRows;

    /** Starts the platform under test on a free port with its data under {@code home}. */
    protected abstract LocalPlatform startPlatform(Path home);

    @BeforeAll
    void start() throws IOException {
        home = Files.createTempDirectory("vigil-platform-it-");
        Logger.getLogger("").addHandler(CAPTURE);
        platform = startPlatform(home);
        operator = LocalAdapters.apiKey(home, "operator");
        clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
        compliance = LocalAdapters.apiKey(home, "compliance");
    }

    @AfterAll
    void stop() throws IOException {
        Logger.getLogger("").removeHandler(CAPTURE);
        if (platform != null) {
            platform.close();
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    @Order(1)
    void aDroppedPackageIsRegisteredAsVersionOne() throws Exception {
        Files.write(home.resolve("readmission.zip"), SampleModels.readmissionLogistic().zip());
        ModelsCommand.upload(home, home.resolve("readmission.zip"), "readmission.zip");

        JsonNode model = awaitVersions(1);
        JsonNode version = model.get("versions").get(0);
        assertThat(version.get("version").asInt()).isEqualTo(1);
        assertThat(version.get("stage").asText()).isEqualTo("REGISTERED");
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
        ModelsCommand.upload(home, home.resolve("readmission.zip"), "readmission-copy.zip");
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));
        Thread.sleep(1500); // the drop folder needs two stable looks at the copy before it raises it
        platform.host().eventBus().awaitIdle(Duration.ofSeconds(30));

        assertThat(get("/models/" + MODEL, operator).get("versions")).hasSize(1);
    }

    @Test
    @Order(3)
    void onlyAnOperatorMayDeploy() throws Exception {
        String path = "/models/" + MODEL + "/versions/1/deploy";
        assertThat(post(path, null, "", Map.of()).statusCode()).isEqualTo(401);
        assertThat(post(path, clinicalApp, "", Map.of()).statusCode()).isEqualTo(403);

        HttpResponse<String> deployed = post(path, operator, "", Map.of());
        assertThat(deployed.statusCode()).isEqualTo(200);
        JsonNode slots = json(deployed.body()).get("slots");
        assertThat(slots).hasSize(1);
        assertThat(slots.get(0).get("slot").asText()).isEqualTo("stable");
        assertThat(slots.get(0).get("version").asInt()).isEqualTo(1);
        assertThat(get("/models/" + MODEL + "/versions/1", operator).get("stage").asText()).isEqualTo("PRODUCTION");
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
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        assertThat(send(HttpRequest.newBuilder(uri("/audit/records")).GET().header("x-api-key", clinicalApp))
                .statusCode()).isEqualTo(403);
        JsonNode records = get("/audit/records?from=" + today + "&to=" + today, compliance).get("records");
        List<String> actions = records.findValuesAsText("action");
        assertThat(actions).contains("model.register", "deployment.deploy");
        assertThat(records.findValuesAsText("outcome")).contains("registered");
        JsonNode verified = get("/audit/verify?from=" + today + "&to=" + today, compliance);
        assertThat(verified.get("valid").asBoolean()).isTrue();
    }

    @Test
    @Order(9)
    void aPackageThatIsNotValidIsRejectedAndAudited() throws Exception {
        Path junk = home.resolve("junk.zip");
        Files.writeString(junk, "this is not a zip file");
        ModelsCommand.upload(home, junk, "junk.zip");
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        Instant deadline = Instant.now().plusSeconds(60);
        List<String> outcomes = List.of();
        while (Instant.now().isBefore(deadline) && !outcomes.contains("rejected")) {
            Thread.sleep(200);
            outcomes = get("/audit/records?from=" + today + "&to=" + today, compliance).findValuesAsText("outcome");
        }
        assertThat(outcomes).contains("rejected");
        assertThat(get("/models", operator).get("models")).hasSize(1);
    }

    @Test
    @Order(10)
    void aTreeModelExplainsEachPredictionWithItsTopFactors() throws Exception {
        ModelsCommand.upload(home, writeTemp("trees.zip", SampleModels.readmissionTrees().zip()), "readmission-trees.zip");
        awaitVersions(2);
        Map<String, Object> record = present(SampleModels.readmissionCohort(1, 11).records().get(0));
        String body = Json.write(Map.of("version", 2, "patientId", PATIENT_PREFIX + "x", "features", record));

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
        assertThat(html).contains("<svg", "role=\"img\"", "<desc id=\"wf-desc\">",
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

        HttpResponse<String> forbidden = send(HttpRequest.newBuilder(uri(path)).GET().header("x-api-key", operator));
        assertThat(forbidden.statusCode()).isEqualTo(403);
        HttpResponse<String> unknown = send(HttpRequest.newBuilder(uri("/predictions/"
                + health.vigil.model.PredictionId.next(java.time.Instant.now()) + "/explanation")).GET()
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

        String records = get("/audit/records?from=" + today + "&to=" + today, compliance).toString();
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
    @Order(12)
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
        Path key = Files.createTempFile("audit-signing", ".pem"); // the verifier's own copy, outside the home
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
    @Order(13)
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
        assertThat(get("/models", operator).get("models")).hasSize(1);
    }

    // Points 10 and 12: a broken query string and patient identifiers that are not UTF-8 are 400s.
    @Test
    @Order(14)
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
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("/score/" + MODEL))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).header("Content-Type", "application/json")
                    .header("x-api-key", clinicalApp).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(400);
            assertErrorShape(response.body());
            assertThat(json(response.body()).at("/error/message").asText()).contains("UTF-8");
        }
        HttpResponse<String> surrogate = post("/score/" + MODEL, clinicalApp,
                body.replace("PATIENT-ID-HERE", "M\\ud800x"), Map.of());
        assertThat(surrogate.statusCode()).isEqualTo(400);
        assertThat(logged()).hasSize(before);
    }

    // Point 16: the home folder and everything in it are owner-only (the SQLite WAL and SHM files included).
    @Test
    @Order(15)
    void everyFileUnderTheHomeIsOwnerOnly() throws Exception {
        if (!home.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.toList()) {
                if (p.startsWith(home.resolve("emulators")) || (p.getParent().equals(home) && p.toString().endsWith(".zip"))) {
                    continue; // the storage emulators' own working files and this test's inputs, not Vigil's
                }
                String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS));
                assertThat(mode).as(home.relativize(p).toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
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

    private Path writeTemp(String name, byte[] bytes) throws IOException {
        Path file = Files.createTempFile(name, ".zip");
        Files.write(file, bytes);
        return file;
    }

    private List<PredictionRecord> logged() {
        List<PredictionRecord> records = new ArrayList<>();
        platform.platform().predictionLog().scan(new ModelName(MODEL), Instant.EPOCH, Instant.now().plusSeconds(60),
                records::add);
        return records;
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
        return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return platform.baseUri().resolve(path);
    }

    private static JsonNode json(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }
}

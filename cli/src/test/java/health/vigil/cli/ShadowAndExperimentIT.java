package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.statistics.SampleSize;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A shadow version and an A/B experiment on the local platform, over real HTTP: the shadow's predictions land in the
 * prediction log paired with the live ones and its report compares them, while every answer still comes from the
 * stable version; an experiment splits patients stickily between two versions with the sample size the API planned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShadowAndExperimentIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;

    private Path home;
    private LocalPlatform platform;
    private ControlClient operator;
    private ControlClient clinicalApp;
    private List<Map<String, Object>> records;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-shadow-it-");
        platform = GovernedPath.startWithStableAndApprovedCandidate(home);
        operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
        clinicalApp = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "clinical-app"));
        records = SampleModels.readmissionCohort(400, 77).records();
    }

    @AfterAll
    void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Test
    @Order(1)
    void aShadowIsConfiguredOnlyByAnOperatorAndOnlyWithAValidRequest() throws Exception {
        assertError(clinicalApp.exchange("POST", "/models/" + MODEL + "/shadow", Map.of("version", 2,
                "basisPoints", 100)), 403, "FORBIDDEN");
        assertError(operator.exchange("POST", "/models/" + MODEL + "/shadow", Map.of("version", 2,
                "basisPoints", 20_000)), 400, "INVALID_REQUEST");
        assertError(operator.exchange("POST", "/models/" + MODEL + "/shadow", Map.of("version", 1,
                "basisPoints", 100)), 409, "INVALID_STATE");
        assertError(operator.exchange("POST", "/models/" + MODEL + "/shadow", Map.of("version", 2,
                "basisPoints", 100, "weight", 3)), 400, "MALFORMED_JSON");
        assertError(operator.exchange("GET", "/models/" + MODEL + "/shadow/report", null), 409, "INVALID_STATE");
    }

    @Test
    @Order(2)
    void shadowPredictionsArePairedWithTheLiveOnesAndReportedWhileEveryAnswerComesFromStable() throws Exception {
        Instant from = Instant.now().minusSeconds(1);
        JsonNode configured = operator.send("POST", "/models/" + MODEL + "/shadow",
                Map.of("version", 2, "basisPoints", 10_000), 200);
        assertThat(configured.path("shadowVersion").asInt()).isEqualTo(2);
        Instant shadowSince = Instant.parse(configured.path("shadowSince").asText());
        assertThat(shadowSince).isAfterOrEqualTo(from.plusSeconds(1)).isBeforeOrEqualTo(Instant.now());

        List<String> liveIds = new ArrayList<>();
        for (int batch = 0; batch < 40; batch++) {
            List<Map<String, Object>> patients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int row = batch * 5 + i;
                patients.add(Map.of("patientId", "shadow-" + row, "features", present(records.get(row))));
            }
            JsonNode answer = score(Map.of("records", patients));
            for (JsonNode p : answer.path("predictions")) {
                assertThat(p.path("version").asInt()).as("the shadow never answers").isEqualTo(1);
                liveIds.add(p.path("predictionId").asText());
            }
        }
        assertThat(liveIds).hasSize(200);

        JsonNode report = null;
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            report = operator.send("GET", "/models/" + MODEL + "/shadow/report?from=" + from, null, 200);
            if (report.path("paired").asLong() == 200) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(report.path("livePredictions").asLong()).isEqualTo(200);
        assertThat(Instant.parse(report.path("shadowSince").asText())).isEqualTo(shadowSince);
        JsonNode byDefault = operator.send("GET", "/models/" + MODEL + "/shadow/report", null, 200);
        assertThat(Instant.parse(byDefault.path("from").asText())).as("the default window starts with the shadow")
                .isEqualTo(shadowSince);
        assertThat(report.path("expectedMirrored").asLong()).isEqualTo(200);
        assertThat(report.path("paired").asLong()).as(report.toString()).isEqualTo(200);
        assertThat(report.path("missing").asLong()).isZero();
        assertThat(report.at("/thisInstance/dropped").asLong()).isZero();
        JsonNode overall = report.path("overall");
        assertThat(overall.path("pairs").asLong()).isEqualTo(200);
        if (overall.has("suppressed")) { // a few pairs in one cell withhold the decision table (minCellSize)
            assertThat(overall.has("liveOnly")).isFalse();
            assertThat(overall.path("mcnemar").isNull()).isTrue();
        } else {
            assertThat(overall.path("bothFlagged").asLong() + overall.path("liveOnly").asLong()
                    + overall.path("shadowOnly").asLong() + overall.path("neither").asLong()).isEqualTo(200);
            assertThat(overall.at("/mcnemar/pValue").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(overall.at("/scoreDifference/pairedTPValue").isNumber()).isTrue();
        assertThat(overall.at("/scoreDifference/wilcoxonPValue").isNumber()).isTrue();
        assertThat(report.path("segments")).extracting(s -> s.path("column").asText())
                .contains("age", "admission_type");

        // Independently, from the prediction log: each shadow record's live partner and their score difference.
        Map<String, PredictionRecord> live = new HashMap<>();
        List<PredictionRecord> shadow = new ArrayList<>();
        platform.platform().predictionLog().scan(new ModelName(MODEL), from, Instant.now().plusSeconds(1), r -> {
            if (r.slot() == Slot.SHADOW) {
                shadow.add(r);
            } else {
                live.put(r.predictionId(), r);
            }
        });
        assertThat(shadow).hasSize(200).allSatisfy(r -> assertThat(r.version()).isEqualTo(2));
        double sum = 0;
        for (PredictionRecord s : shadow) {
            String partner = Json.readTree("context", s.explanation().getBytes(StandardCharsets.UTF_8))
                    .path("shadowOf").asText();
            assertThat(liveIds).contains(partner);
            sum += s.score() - live.get(partner).score();
            assertThat(s.time()).isEqualTo(live.get(partner).time());
        }
        assertThat(overall.at("/scoreDifference/mean").asDouble()).isCloseTo(sum / 200, org.assertj.core.data.Offset
                .offset(1e-9));

        JsonNode stopped = operator.send("POST", "/models/" + MODEL + "/shadow/stop", Map.of(), 200);
        assertThat(stopped.path("mirroring").asBoolean()).isFalse();
    }

    @Test
    @Order(3)
    void anExperimentSplitsPatientsStickilyWithThePlannedSampleAndReportsTheArms() throws Exception {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("metric", "flag_rate");
        plan.put("baseline", 0.2);
        plan.put("minimumDetectableEffect", 0.1);
        plan.put("treatmentBasisPoints", 5_000);
        JsonNode power = operator.send("POST", "/models/" + MODEL + "/experiments/power", plan, 200);
        SampleSize.Plan expected = SampleSize.twoProportions(0.2, 0.1, 0.05, 0.8, 0.5);
        assertThat(power.path("control").asLong()).isEqualTo(expected.control());
        assertThat(power.path("treatment").asLong()).isEqualTo(expected.treatment());

        assertError(operator.exchange("POST", "/models/" + MODEL + "/experiments", Map.of("treatmentVersion", 2,
                "metric", "recall", "baseline", 0.2, "minimumDetectableEffect", 0.1)), 400, "INVALID_REQUEST");
        Map<String, Object> start = new LinkedHashMap<>(plan);
        start.put("treatmentVersion", 2);
        JsonNode started = operator.send("POST", "/models/" + MODEL + "/experiments", start, 201);
        assertThat(started.at("/experiment/plannedControl").asLong()).isEqualTo(expected.control());
        assertError(operator.exchange("POST", "/models/" + MODEL + "/canary", Map.of("version", 2)), 409,
                "INVALID_STATE");
        // The canary slot's reader is told whose treatment it holds, not sent to start a canary that would be refused.
        JsonNode canarySlot = operator.send("GET", "/models/" + MODEL + "/canary", null, 200);
        assertThat(canarySlot.at("/experiment/id").asText()).isEqualTo(started.at("/experiment/id").asText());
        assertThat(canarySlot.at("/experiment/treatmentVersion").asInt()).isEqualTo(2);
        assertThat(canarySlot.at("/experiment/treatmentBasisPoints").asInt()).isEqualTo(5_000);
        assertThat(canarySlot.at("/experiment/read").asText()).isEqualTo("GET /models/" + MODEL + "/experiments");
        assertThat(canarySlot.has("canary")).isFalse();

        Map<String, Integer> armOf = new HashMap<>();
        int[] byVersion = new int[3];
        int[] labelledByVersion = new int[3];
        List<Map<String, Object>> outcomes = new ArrayList<>();
        boolean[] truth = SampleModels.readmissionCohort(400, 77).outcomes();
        // Every patient of the cohort is labelled once (about 27 with the outcome in each arm), so that no arm's
        // outcome counts fall under the small-cell rule and its comparisons are reported; 150 are scored again.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < (round == 0 ? records.size() : 150); i++) {
                String patient = "experiment-" + i;
                JsonNode answer = score(Map.of("patientId", patient, "features", present(records.get(i))));
                int version = answer.path("version").asInt();
                assertThat(armOf.computeIfAbsent(patient, p -> version)).as("sticky by patient").isEqualTo(version);
                byVersion[version]++;
                if (round == 0) {
                    outcomes.add(Map.of("predictionId", answer.path("predictionId").asText(), "outcome",
                            truth[i] ? 1 : 0));
                    labelledByVersion[version]++;
                }
            }
        }
        assertThat(byVersion[1]).isBetween(180, 370);
        assertThat(byVersion[2]).isBetween(180, 370);
        ControlClient feed = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "outcomes-feed"));
        JsonNode recorded = feed.send("POST", "/outcomes", Map.of("model", MODEL, "outcomes", outcomes), 200);
        assertThat(recorded.path("recorded").asInt()).isEqualTo(records.size());

        JsonNode report = operator.send("GET", "/models/" + MODEL + "/experiments/report", null, 200);
        assertThat(report.path("outcomes").asBoolean()).isTrue();
        assertThat(report.path("arms")).extracting(a -> a.path("predictions").asLong())
                .containsExactly((long) byVersion[1], (long) byVersion[2]);
        assertThat(report.path("arms")).extracting(a -> a.path("labelled").asLong())
                .containsExactly((long) labelledByVersion[1], (long) labelledByVersion[2]);
        assertThat(report.path("arms")).allSatisfy(a -> assertThat(a.has("suppressed")).as("withheld").isFalse());
        assertThat(report.at("/flagRate/pValue").isNumber()).isTrue();
        assertThat(report.at("/positiveRate/pValue").isNumber()).isTrue();
        assertThat(report.at("/auroc/test").asText()).isEqualTo("DeLong, independent samples");
        assertThat(report.at("/auroc/lower95").asDouble()).isLessThan(report.at("/auroc/upper95").asDouble());
        assertThat(report.at("/primary/plannedSampleReached").asBoolean()).isFalse();

        operator.send("POST", "/models/" + MODEL + "/experiments/stop", Map.of(), 200);
        for (int i = 0; i < 20; i++) {
            assertThat(score(Map.of("patientId", "experiment-" + i, "features", present(records.get(i))))
                    .path("version").asInt()).isEqualTo(1);
        }
    }

    @Test
    @Order(4)
    void aDeployThatEndsARunningCanarySaysSoInItsAnswer() throws Exception {
        operator.send("POST", "/models/" + MODEL + "/canary", Map.of("version", 2, "bakeTime", "PT1H"), 201);

        JsonNode deployed = operator.send("POST", "/models/" + MODEL + "/versions/1/deploy", null, 200);

        assertThat(deployed.path("slots")).hasSize(1);
        assertThat(deployed.at("/ended/kind").asText()).isEqualTo("canary");
        assertThat(deployed.at("/ended/version").asInt()).isEqualTo(2);
        assertThat(deployed.at("/ended/message").asText()).contains("the running canary of version 2 of `" + MODEL
                + "` has ended").contains("GET /models/" + MODEL + "/versions/2/canary");
        assertThat(ModelsCommand.endedLine(deployed)).startsWith("\nended: the running canary of version 2");
        // A repeated deploy answers the same revision, and so what it ended.
        JsonNode again = operator.send("POST", "/models/" + MODEL + "/versions/1/deploy", null, 200);
        assertThat(again.path("revision").asLong()).isEqualTo(deployed.path("revision").asLong());
        assertThat(again.at("/ended/version").asInt()).isEqualTo(2);
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = ControlClient.parse(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.path("requestId").asText()).isNotBlank();
    }

    private static Map<String, Object> present(Map<String, Object> features) {
        Map<String, Object> present = new LinkedHashMap<>();
        features.forEach((k, v) -> {
            if (v != null) {
                present.put(k, v);
            }
        });
        return present;
    }

    private JsonNode score(Object body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(platform.baseUri().resolve("/score/" + MODEL))
                .timeout(Duration.ofSeconds(30)).header("x-api-key", LocalAdapters.apiKey(home, "clinical-app"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build();
        HttpResponse<String> response = BlockingHttp.send(request);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.readTree("answer", response.body().getBytes(StandardCharsets.UTF_8));
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.testing.emulators.EmulatorLauncher;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A canary on the Azure adapters (the Cosmos DB server with its etags, Azurite), driven by the controller's event
 * triggers alone: a candidate that needs the length of stay, which every row of the evaluation data has, ramps while
 * the live requests all carry it; once the patients scored are those still in hospital (no length of stay yet), it
 * refuses them where stable answers, and the next judged step rolls it back on `refused_rate`, counted by the scoring
 * instance into Cosmos DB. Skipped, with the reason, where Node.js is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CanaryOnAzureEmulatorsIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final int CLIENTS = 4;

    private Path home;
    private LocalPlatform platform;
    private ControlClient operator;
    private String clinicalApp;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(EmulatorLauncher.unavailableReason().isEmpty(),
                () -> "skipped: the storage emulators cannot run here: " + EmulatorLauncher.unavailableReason().orElse(""));
        home = Files.createTempDirectory("vigil-canary-azure-it-");
        platform = LocalPlatform.startOnAzureEmulators(home, 0);
        String steward = LocalAdapters.apiKey(home, DatasetsCommand.STEWARD);
        // The evaluation data a steward registered: discharged patients only, each with a length of stay.
        SyntheticCohort cohort = SampleModels.readmissionCohort(2000, 4242);
        DatasetsCommand.register(platform.baseUri(), steward, MODEL, "evaluation.csv", completeRowsCsv(cohort),
                "readmitted", "age", null, List.of("admission_type"));
        Path stable = Files.createTempFile("stable", ".zip");
        Path candidate = Files.createTempFile("candidate", ".zip");
        Files.write(stable, SampleModels.readmissionLogistic().zip());
        Files.write(candidate, stayRequired(SampleModels.readmissionLogistic()).zip());
        int v1 = GovernedPath.approveReadmission(platform, home, stable, "readmission.zip");
        operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
        operator.send("POST", "/models/" + MODEL + "/versions/" + v1 + "/deploy", null, 200);
        GovernedPath.approveReadmission(platform, home, candidate, "readmission-stay-required.zip");
        Files.delete(stable);
        Files.delete(candidate);
        clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
    }

    @AfterAll
    void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Test
    void aCanaryRampsOnEventsAndIsRolledBackOnItsRefusedRateWhenTheLivePopulationChanges() throws Exception {
        List<Map<String, Object>> records = SampleModels.readmissionCohort(600, 77).records();
        AtomicBoolean inHospitalToo = new AtomicBoolean(false);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong serverErrors = new AtomicLong();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> load = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            load.add(clients.submit(() -> {
                for (int i = client; running.get(); i += CLIENTS) {
                    Map<String, Object> record = records.get(i % records.size());
                    if (record.get("length_of_stay_days") == null && !inHospitalToo.get()) {
                        continue;
                    }
                    if (inHospitalToo.get()) {
                        // The ward round: patients still in hospital, with no length of stay yet.
                        record = new LinkedHashMap<>(record);
                        record.remove("length_of_stay_days");
                    }
                    // The Cosmos DB server on a loaded machine drops connections now and then; the platform answers
                    // those 503 STORE_UNAVAILABLE, as documented. Any other 5xx would be a bug.
                    int status = score("patient-" + (i % 3000), record);
                    statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                    if (status >= 500 && status != 503) {
                        serverErrors.incrementAndGet();
                    }
                }
                return null;
            }));
        }

        Map<String, Object> start = new LinkedHashMap<>();
        start.put("version", 2);
        start.put("steps", List.of(2_000, 5_000, 7_500, 10_000));
        start.put("bakeTime", "PT2S");
        // The candidate must refuse nothing stable answers (margin 0); latency on a shared test machine says nothing
        // about the version. It gives stable's very scores, so the prediction metrics could only fail by the false
        // alarm their share of the ramp's 1 % budget allows (a CI run met one: score_distribution at the first look,
        // p = 0.0004 on 100 and 383 scores); they are set out of reach, as this test is about the refused rate.
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("minSamplePerSlot", 60);
        policy.put("refusedRateMargin", 0);
        policy.put("latencyRatioLimit", 100);
        policy.put("psiLimit", 9.9);
        policy.put("scoreMeanMargin", 0.99);
        policy.put("flagRateMargin", 0.99);
        policy.put("missingRateMargin", 0.99);
        start.put("policy", policy);
        operator.send("POST", "/models/" + MODEL + "/canary", start, 201);

        // No tick is called here: AdvanceCanary (on Vigil.Canary.Started/Stepped) and its wake-ups move the ramp.
        JsonNode canary = awaitCanary(c -> c.at("/canary/step").asInt() >= 2 || !c.at("/canary/status").asText()
                .equals("running"));
        String seen = situation(canary, statuses, load);
        assertThat(canary.at("/canary/status").asText()).as(seen).isEqualTo("running");
        assertThat(canary.at("/canary/weightBasisPoints").asInt()).as(seen).isEqualTo(5_000);
        inHospitalToo.set(true);
        canary = awaitCanary(c -> !c.at("/canary/status").asText().equals("running"));
        seen = situation(canary, statuses, load);
        running.set(false);
        for (Future<?> f : load) {
            f.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertThat(canary.at("/canary/status").asText()).as(seen).isEqualTo("rolled_back");
        assertThat(canary.get("slots")).hasSize(1);
        assertThat(canary.at("/slots/0/version").asInt()).isEqualTo(1);
        JsonNode analysis = operator.send("GET", "/models/" + MODEL + "/canary/analysis", null, 200);
        List<JsonNode> judged = new ArrayList<>();
        analysis.get("steps").forEach(s -> {
            if (!s.path("decision").asText().equals("extend")) {
                judged.add(s);
            }
        });
        assertThat(judged).extracting(s -> s.path("decision").asText()).startsWith("pass").endsWith("fail")
                .containsOnlyOnce("fail");
        JsonNode failedStep = judged.get(judged.size() - 1);
        assertThat(failedStep.path("step").asInt()).isPositive();
        List<String> failing = new ArrayList<>();
        failedStep.get("metrics").forEach(m -> {
            if (m.path("failed").asBoolean()) {
                failing.add(m.path("name").asText());
            }
        });
        assertThat(failing).as(failedStep.toString()).containsExactly("refused_rate");
        // The first step was judged on the request statistics the scoring instance wrote to Cosmos DB (the prediction
        // metrics too when the window's predictions reached the minimum, which a slow machine may not).
        assertThat(judged.get(0).get("metrics")).extracting(m -> m.path("name").asText()).contains("refused_rate",
                "server_error_rate");
        // The version's stage follows the deployment document's write (the same completion step that audits it), so
        // it is read until that step has run, not at the very moment the document changed.
        assertThat(awaitStage(2, "ROLLED_BACK")).isEqualTo("ROLLED_BACK");
        assertThat(serverErrors).hasValue(0);
    }

    private JsonNode awaitCanary(java.util.function.Predicate<JsonNode> done) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(300));
        JsonNode canary = operator.send("GET", "/models/" + MODEL + "/canary", null, 200);
        while (!done.test(canary) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            canary = operator.send("GET", "/models/" + MODEL + "/canary", null, 200);
        }
        return canary;
    }

    /** What a failed wait saw: the ramp, its analyses, the answers the load got and any client that stopped. */
    private String situation(JsonNode canary, Map<Integer, AtomicLong> statuses, List<Future<?>> load)
            throws Exception {
        StringBuilder seen = new StringBuilder(canary.toString()).append("\nanswers by status: ").append(statuses);
        for (Future<?> f : load) {
            if (f.isDone()) {
                try {
                    f.get();
                    seen.append("\na load client stopped");
                } catch (ExecutionException e) {
                    seen.append("\na load client failed: ").append(e.getCause());
                }
            }
        }
        return seen.append("\nanalysis: ").append(operator.send("GET", "/models/" + MODEL + "/canary/analysis", null,
                200)).toString();
    }

    private String awaitStage(int version, String expected) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        String stage = stageOf(version);
        while (!stage.equals(expected) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            stage = stageOf(version);
        }
        return stage;
    }

    private String stageOf(int version) throws Exception {
        return operator.send("GET", "/models/" + MODEL + "/versions/" + version, null, 200).get("stage").asText();
    }

    /** The sample logistic model with the length of stay required: the same scores, a stricter schema. */
    private static SamplePackage stayRequired(SamplePackage sample) {
        ObjectNode manifest = Json.mapper().valueToTree(sample.manifest());
        manifest.findParents("name").stream()
                .filter(n -> n.path("name").asText().equals("length_of_stay_days") && n.has("required"))
                .forEach(n -> ((ObjectNode) n).put("required", true));
        manifest.put("description", "30-day readmission risk, logistic regression; needs the length of stay");
        return new SamplePackage(Json.convert("manifest", manifest, Manifest.class), sample.onnx(), sample.reference());
    }

    private static byte[] completeRowsCsv(SyntheticCohort cohort) {
        String csv = new String(GovernedPath.readmissionCsv(cohort), StandardCharsets.UTF_8);
        StringBuilder complete = new StringBuilder();
        for (String line : csv.split("\n")) {
            // length_of_stay_days is the last feature, just before the outcome: ",," means it is missing.
            if (!line.contains(",,")) {
                complete.append(line).append('\n');
            }
        }
        return complete.toString().getBytes(StandardCharsets.UTF_8);
    }

    private int score(String patient, Map<String, Object> features) throws Exception {
        return GovernedPath.score(platform, clinicalApp, patient, features).statusCode();
    }
}

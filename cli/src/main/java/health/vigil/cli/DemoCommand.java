package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.training.ClinicalModel;
import health.vigil.training.models.ReferenceModels;
import health.vigil.training.export.ModelPackager;
import health.vigil.adapter.local.LocalAdapters;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vigil demo}: drives the whole loop on the local platform, over HTTP as a real client would, and
 * says what happened at each step and where to look.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train the three clinical models, then upload, register, deploy and score them end to end on the local platform.")
final class DemoCommand implements Callable<Integer> {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Option(names = "--home", defaultValue = ".vigil", description = "Vigil home (default: ${DEFAULT-VALUE})")
    Path home;

    @Option(names = "--port", defaultValue = "0", description = "HTTP port (default: any free port)")
    int port;

    @Option(names = "--patients", defaultValue = "5", description = "Patients to score per model (default: ${DEFAULT-VALUE})")
    int patients;

    @Option(names = "--seed", defaultValue = "20261124", description = "Seed of the synthetic data and training (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--verbose", description = "Show the platform's log lines between the demo's steps")
    boolean verbose;

    @Option(names = "--keep-running", description = "Leave the platform running after the demo (Ctrl+C stops it)")
    boolean keepRunning;

    private final PrintStream out = System.out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private URI base;

    @Override
    public Integer call() throws Exception {
        if (patients < 1 || patients > 1000) {
            throw new health.vigil.error.ValidationException("--patients must be between 1 and 1000");
        }
        try (AutoCloseable quiet = verbose ? () -> { } : Main.setVigilLogLevel(java.util.logging.Level.WARNING)) {
            return runDemo();
        }
    }

    private int runDemo() throws Exception {
        Path absoluteHome = home.toAbsolutePath().normalize();
        step("Starting the local platform (both Function Apps, embedded stores in " + absoluteHome + ")");
        try (LocalPlatform platform = LocalPlatform.start(absoluteHome, port)) {
            base = platform.baseUri();
            say("listening on " + base + "; " + platform.host().functions().size() + " functions discovered");
            String operator = LocalAdapters.apiKey(absoluteHome, "operator");
            String clinicalApp = LocalAdapters.apiKey(absoluteHome, "clinical-app");
            String compliance = LocalAdapters.apiKey(absoluteHome, "compliance");

            step("A data scientist trains the three clinical models on seeded synthetic data and uploads them");
            Path trained = Files.createTempDirectory("vigil-demo-packages-");
            TrainCommand.ProgressBar progress = new TrainCommand.ProgressBar(
                    new java.io.PrintWriter(System.err, true), System.console() != null);
            List<ModelPackager.WrittenPackage> packages = ReferenceModels.trainAll(trained, seed, progress);
            progress.done();
            for (ModelPackager.WrittenPackage written : packages) {
                String blob = written.path().getFileName().toString();
                if (Files.exists(absoluteHome.resolve("blobs/models").resolve(blob))) {
                    say(blob + " is already uploaded (packages are immutable); the drop folder raises it again at start");
                } else {
                    ModelsCommand.upload(absoluteHome, written.path(), blob);
                    say("uploaded " + blob + " (" + written.packageBytes() + " bytes, model sha256 "
                            + written.modelSha256().substring(0, 12) + "…)");
                }
                Files.delete(written.path());
            }
            Files.delete(trained);

            step("Event Grid (local bus) delivers BlobCreated; RegisterModel validates and registers each package");
            Map<ClinicalModel, Integer> versions = new java.util.EnumMap<>(ClinicalModel.class);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                JsonNode model = waitForVersions(clinical.modelName().value(), 1, operator);
                JsonNode latest = model.get("summary").get("latest");
                versions.put(clinical, latest.get("version").asInt());
                say(clinical + " version " + latest.get("version").asInt() + ": stage " + latest.get("stage").asText()
                        + ", feature pipeline " + latest.at("/manifest/featurePipeline").asText() + ", "
                        + latest.at("/manifest/features").size() + " raw features");
            }

            step("An operator deploys each model's latest version as its stable slot");
            for (ClinicalModel clinical : ClinicalModel.values()) {
                JsonNode deployment = send("POST", "/models/" + clinical.modelName().value() + "/versions/"
                        + versions.get(clinical) + "/deploy", operator, null, 200);
                say(clinical + ": revision " + deployment.get("revision").asLong() + ", slots " + deployment.get("slots"));
            }

            step("A clinical application scores " + patients + " synthetic patients per model (POST /score, raw clinical records)");
            for (ClinicalModel clinical : ClinicalModel.values()) {
                List<Map<String, Object>> cohort = clinical.synthetic(patients, seed + 1).dataset().records();
                List<Map<String, Object>> records = new ArrayList<>();
                for (int i = 0; i < patients; i++) {
                    records.add(Map.of("patientId", "DEMO-" + clinical + "-" + (1000 + i), "features", cohort.get(i)));
                }
                JsonNode scored = send("POST", "/score/" + clinical.modelName().value(), clinicalApp,
                        Map.of("records", records), 200);
                say(clinical + " (" + clinical.positiveLabel() + "):");
                for (JsonNode p : scored.get("predictions")) {
                    say(String.format("  risk %.3f  flagged %-5s  version %d (%s)  prediction %s", p.get("risk").asDouble(),
                            p.get("decision").asBoolean(), p.get("version").asInt(), p.get("slot").asText(),
                            p.get("predictionId").asText()));
                }
                JsonNode explained = scored.get("predictions").get(0).get("explanation");
                if (explained != null) {
                    say("  why (first patient, exact SHAP): " + explained.get("summary").asText());
                }
            }

            ClinicalModel first = ClinicalModel.values()[0];
            Map<String, Object> sample = first.synthetic(1, seed + 2).dataset().records().get(0);
            step("The same through the Open Inference Protocol v2 (POST /v2/models/" + first.modelName() + "/infer)");
            JsonNode metadata = send("GET", "/v2/models/" + first.modelName().value(), clinicalApp, null, 200);
            JsonNode inferred = send("POST", "/v2/models/" + first.modelName().value() + "/infer", clinicalApp,
                    inferRequest(metadata, sample), 200);
            say("model_version " + inferred.get("model_version").asText() + ", outputs "
                    + inferred.get("outputs").findValuesAsText("name") + ", probability "
                    + inferred.get("outputs").get(0).get("data").get(0).asText());

            step("Bad input is refused with a 400 that says what to fix, and nothing is scored");
            Map<String, Object> bad = new LinkedHashMap<>(sample);
            String numeric = metadata.get("inputs").findValuesAsText("name").stream()
                    .filter(n -> sample.get(n) instanceof Number).findFirst().orElseThrow();
            bad.put(numeric, -999_999);
            JsonNode refused = send("POST", "/score/" + first.modelName().value(), clinicalApp,
                    Map.of("patientId", "DEMO-BAD", "features", bad), 400);
            say(refused.get("error").get("code").asText() + ": " + refused.get("error").get("message").asText());

            step("Compliance reads and verifies today's audit trail (hash-chained)");
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            JsonNode audit = send("GET", "/audit/records?from=" + today + "&to=" + today, compliance, null, 200);
            for (JsonNode r : audit.get("records")) {
                say(r.get("time").asText() + "  " + r.get("action").asText() + "  " + r.get("subject").asText() + "  "
                        + r.get("outcome").asText() + "  by " + r.get("actor").asText());
            }
            JsonNode verified = send("GET", "/audit/verify?from=" + today + "&to=" + today, compliance, null, 200);
            say("chain valid: " + verified.get("valid").asBoolean() + " (" + verified.get("recordsChecked").asLong()
                    + " records)");

            step("Where to look next");
            say("API keys (one per role):   " + LocalAdapters.keysFile(absoluteHome));
            say("registry, audit, predictions (SQLite): " + absoluteHome);
            say("drop folder for packages:  " + platform.dropFolder());
            say("try:  curl -s -H \"x-api-key: $(jq -r '.keys[]|select(.id==\"operator\").key' "
                    + LocalAdapters.keysFile(absoluteHome) + ")\" " + base + "models");
            if (keepRunning) {
                say("the platform keeps running at " + base + "; press Ctrl+C to stop");
                Thread.currentThread().join();
            }
        }
        return 0;
    }

    private JsonNode waitForVersions(String model, int versions, String key) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> response = exchange("GET", "/models/" + model, key, null);
            if (response.statusCode() == 200) {
                JsonNode body = parse(response.body());
                if (body.get("versions").size() >= versions) {
                    return body;
                }
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the packages were not registered within " + WAIT.toSeconds()
                + " s; look in the dead-letter folder and the log above");
    }

    /** An OIP request for one patient: one tensor per feature, with the datatypes the model's metadata gives. */
    private static Map<String, Object> inferRequest(JsonNode metadata, Map<String, Object> record) {
        List<Map<String, Object>> inputs = new ArrayList<>();
        for (JsonNode input : metadata.get("inputs")) {
            Object value = record.get(input.get("name").asText());
            if (value != null) {
                inputs.add(Map.of("name", input.get("name").asText(), "shape", List.of(1),
                        "datatype", input.get("datatype").asText(), "data", List.of(value)));
            }
        }
        return Map.of("id", "demo-1", "parameters", Map.of("patient_ids", List.of("DEMO-OIP-1")), "inputs", inputs);
    }

    private JsonNode send(String method, String path, String key, Object body, int expectedStatus)
            throws IOException, InterruptedException {
        HttpResponse<String> response = exchange(method, path, key, body);
        if (response.statusCode() != expectedStatus) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + " (expected "
                    + expectedStatus + "): " + response.body());
        }
        return parse(response.body());
    }

    private HttpResponse<String> exchange(String method, String path, String key, Object body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", key);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static JsonNode parse(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }

    private void step(String text) {
        out.println();
        out.println("==> " + text);
    }

    private void say(String text) {
        out.println("    " + text);
    }
}

package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.samples.SampleModels;
import health.vigil.samples.SamplePackage;
import health.vigil.samples.SyntheticCohort;
import health.vigil.security.ApiKeyAuthenticator;
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
        description = "Start the platform, upload model packages, register, deploy and score patients end to end.")
final class DemoCommand implements Callable<Integer> {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Option(names = "--home", defaultValue = ".vigil", description = "Vigil home (default: ${DEFAULT-VALUE})")
    Path home;

    @Option(names = "--port", defaultValue = "0", description = "HTTP port (default: any free port)")
    int port;

    @Option(names = "--patients", defaultValue = "5", description = "Patients to score (default: ${DEFAULT-VALUE})")
    int patients;

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
        if (!verbose) {
            Main.setVigilLogLevel(java.util.logging.Level.WARNING);
        }
        Path absoluteHome = home.toAbsolutePath().normalize();
        step("Starting the local platform (both Function Apps, embedded stores in " + absoluteHome + ")");
        try (LocalPlatform platform = LocalPlatform.start(absoluteHome, port)) {
            base = platform.baseUri();
            say("listening on " + base + "; " + platform.host().functions().size() + " functions discovered");
            String operator = ApiKeyAuthenticator.keyOf(absoluteHome, "operator");
            String clinicalApp = ApiKeyAuthenticator.keyOf(absoluteHome, "clinical-app");
            String compliance = ApiKeyAuthenticator.keyOf(absoluteHome, "compliance");

            step("A data scientist uploads two packages of '" + SampleModels.READMISSION_NAME
                    + "' (logistic regression, then gradient-boosted trees)");
            List<SamplePackage> packages = List.of(SampleModels.readmissionLogistic(), SampleModels.readmissionTrees());
            String[] blobs = {"readmission-demo-logistic.zip", "readmission-demo-trees.zip"};
            for (int i = 0; i < packages.size(); i++) {
                Path zip = Files.createTempFile("vigil-demo-", ".zip");
                Files.write(zip, packages.get(i).zip());
                Path blob = absoluteHome.resolve("blobs/models").resolve(blobs[i]);
                if (Files.exists(blob)) {
                    say(blobs[i] + " is already uploaded (packages are immutable); the drop folder raises it again at start");
                } else {
                    ModelsCommand.upload(absoluteHome, zip, blobs[i]);
                    say("uploaded " + blobs[i] + " (" + Files.size(zip) + " bytes)");
                }
                Files.delete(zip);
            }

            step("Event Grid (local bus) delivers BlobCreated; RegisterModel validates and registers each package");
            JsonNode model = waitForVersions(SampleModels.READMISSION_NAME, 2, operator);
            for (JsonNode v : model.get("versions")) {
                say("version " + v.get("version").asInt() + ": stage " + v.get("stage").asText() + ", package sha256 "
                        + v.get("packageSha256").asText().substring(0, 12) + "…, model sha256 "
                        + v.get("modelSha256").asText().substring(0, 12) + "…");
            }
            int latest = model.get("summary").get("latest").get("version").asInt();

            step("An operator deploys version " + latest + " as the stable slot");
            JsonNode deployment = send("POST", "/models/" + SampleModels.READMISSION_NAME + "/versions/" + latest
                    + "/deploy", operator, null, 200);
            say("deployment revision " + deployment.get("revision").asLong() + ": " + deployment.get("slots"));

            step("A clinical application scores " + patients + " synthetic patients (POST /score)");
            SyntheticCohort cohort = SampleModels.readmissionCohort(patients, SampleModels.SEED + 1);
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < patients; i++) {
                Map<String, Object> features = new LinkedHashMap<>(cohort.records().get(i));
                features.values().removeIf(java.util.Objects::isNull);
                records.add(Map.of("patientId", "DEMO-" + (1000 + i), "features", features));
            }
            JsonNode scored = send("POST", "/score/" + SampleModels.READMISSION_NAME, clinicalApp,
                    Map.of("records", records), 200);
            for (JsonNode p : scored.get("predictions")) {
                say(String.format("risk %.3f  decision %-5s  version %d (%s)  prediction %s", p.get("risk").asDouble(),
                        p.get("decision").asBoolean(), p.get("version").asInt(), p.get("slot").asText(),
                        p.get("predictionId").asText()));
            }

            step("The same through the Open Inference Protocol v2 (POST /v2/models/{name}/infer)");
            JsonNode inferred = send("POST", "/v2/models/" + SampleModels.READMISSION_NAME + "/infer", clinicalApp,
                    inferRequest(cohort.records().get(0)), 200);
            say("model_version " + inferred.get("model_version").asText() + ", outputs "
                    + inferred.get("outputs").findValuesAsText("name"));

            step("Bad input is refused with a 400 that says what to fix, and nothing is scored");
            Map<String, Object> bad = new LinkedHashMap<>(cohort.records().get(0));
            bad.put("age", 212);
            JsonNode refused = send("POST", "/score/" + SampleModels.READMISSION_NAME, clinicalApp,
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
            say("API keys (one per role):   " + ApiKeyAuthenticator.keysFile(absoluteHome));
            say("registry, audit, predictions (SQLite): " + absoluteHome);
            say("drop folder for packages:  " + platform.dropFolder());
            say("try:  curl -s -H \"x-api-key: $(jq -r '.keys[]|select(.id==\"operator\").key' "
                    + ApiKeyAuthenticator.keysFile(absoluteHome) + ")\" " + base + "models");
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

    private static Map<String, Object> inferRequest(Map<String, Object> record) {
        List<Map<String, Object>> inputs = new ArrayList<>();
        for (var feature : SampleModels.readmissionSchema().features()) {
            Object value = record.get(feature.name());
            if (value == null) {
                continue;
            }
            String datatype = switch (feature.type()) {
                case NUMERIC -> "FP64";
                case INTEGER -> "INT64";
                case BOOLEAN -> "BOOL";
                case CATEGORICAL, CODE -> "BYTES";
            };
            inputs.add(Map.of("name", feature.name(), "shape", List.of(1), "datatype", datatype, "data", List.of(value)));
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

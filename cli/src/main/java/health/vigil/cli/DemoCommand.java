package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.port.ArtifactStore;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
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
            for (ClinicalModel clinical : ClinicalModel.values()) {
                // The training data goes to the datasets container under its sha256, where retraining finds it.
                Dataset data = clinical.synthetic(ReferenceModels.DEMO_ROWS, seed).dataset();
                String blob = DatasetFile.blobName(data.sha256());
                ArtifactStore datasets = platform.platform().artifacts();
                if (datasets.describe(ArtifactStore.DATASETS, blob).isEmpty()) {
                    datasets.put(ArtifactStore.DATASETS, blob, new java.io.ByteArrayInputStream(
                            DatasetFile.bytes(clinical.pipeline().rawSchema(), data)), false);
                }
            }
            say("training datasets stored in the datasets container under their sha256 (what retraining reads)");

            step("Event Grid (local bus) delivers BlobCreated; RegisterModel validates and registers each package");
            Map<ClinicalModel, Integer> versions = new java.util.EnumMap<>(ClinicalModel.class);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                JsonNode model = waitForVersions(clinical.modelName().value(), 1, operator);
                // The version registered from the demo's own upload (a retrained candidate may be newer).
                JsonNode latest = model.get("summary").get("latest");
                for (JsonNode v : model.get("versions")) {
                    if (v.path("packageBlob").asText().equals(clinical + ".zip")) {
                        latest = v;
                    }
                }
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

            closeTheLoop(first, operator, clinicalApp, LocalAdapters.apiKey(absoluteHome, "outcomes-feed"));

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

    /**
     * The monitoring half of the loop: an older, sicker population whose outcomes the model no longer ranks, its
     * outcomes, the monitoring check (drift and degraded performance), the retraining request it raises, and the
     * retrained candidate, registered and waiting for its gates and a human approval.
     */
    private void closeTheLoop(ClinicalModel clinical, String operator, String clinicalApp, String outcomesFeed)
            throws IOException, InterruptedException {
        String name = clinical.modelName().value();
        int shifted = 600;
        step("Months later: " + shifted + " " + clinical + " patients from a shifted population (older, more"
                + " prior visits) are scored");
        Dataset population = clinical.synthetic(shifted, seed + 3).dataset();
        FeatureSchema schema = clinical.pipeline().rawSchema();
        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < shifted; i++) {
            records.add(Map.of("patientId", "DEMO-SHIFT-" + (5000 + i), "features", shift(schema,
                    population.records().get(i), i)));
        }
        JsonNode scored = send("POST", "/score/" + name, clinicalApp, Map.of("records", records), 200);
        say("scored " + scored.get("predictions").size() + " patients");

        step("Their outcomes arrive (POST /outcomes, role Outcomes.Write): worse than the scores said");
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < shifted; i++) {
            // The realised outcomes run against the model: the ones it rated low risk came back.
            outcomes.add(Map.of("predictionId", scored.get("predictions").get(i).get("predictionId").asText(),
                    "outcome", population.label(i) ? 0 : 1));
        }
        JsonNode receipt = send("POST", "/outcomes", outcomesFeed, Map.of("model", name, "outcomes", outcomes), 200);
        say("recorded " + receipt.get("recorded").asInt() + " outcomes");

        step("The monitoring check runs (DriftCheck runs hourly; here on request for the last hour)");
        java.time.Instant to = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        JsonNode checked = send("POST", "/models/" + name + "/monitoring/run?from=" + to.minus(Duration.ofHours(1))
                + "&to=" + to, operator, null, 200);
        for (JsonNode report : checked.get("reports")) {
            say("report " + report.get("id").asText() + ": " + report.get("severity").asText());
            for (JsonNode reason : report.get("reasons")) {
                say("  " + reason.asText());
            }
            for (JsonNode f : report.at("/drift/features")) {
                if (f.get("status").asText().equals("DRIFTED")) {
                    say(String.format("  %-28s PSI %.3f  drifted", f.get("name").asText(), f.get("psi").asDouble()));
                }
            }
            JsonNode performance = report.get("performance");
            say(String.format("  AUROC from %d outcomes %.3f (95%% CI %.3f-%.3f); expected from the scores alone %.3f",
                    performance.get("labelled").asLong(), performance.path("auroc").asDouble(Double.NaN),
                    performance.path("aurocLower").asDouble(Double.NaN), performance.path("aurocUpper").asDouble(Double.NaN),
                    report.at("/drift/estimate/expectedAuroc").asDouble(Double.NaN)));
        }
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        step("Vigil.Drift.Detected and Vigil.Retrain.Requested are published, each with its audit record");
        JsonNode trail = send("GET", "/audit/records?from=" + today + "&to=" + today, LocalAdapters.apiKey(
                home.toAbsolutePath().normalize(), "compliance"), null, 200).get("records");
        for (JsonNode r : trail) {
            String action = r.get("action").asText();
            if ((action.equals("monitoring.check") || action.equals("retrain.request"))
                    && r.get("subject").asText().startsWith("/models/" + name + "/")) {
                say(action + " " + r.get("outcome").asText() + "  " + r.get("details").path("reportId").asText()
                        + (r.get("details").has("reason") ? "  (" + r.get("details").get("reason").asText() + ")" : ""));
            }
        }

        step("Retrain trains a successor on the training dataset plus the labelled production rows and uploads it;"
                + " registration takes it like any upload");
        int stable = send("GET", "/models/" + name, operator, null, 200).at("/summary/deployment/slots/0/version").asInt();
        JsonNode model = waitForVersions(name, stable + 1, operator);
        JsonNode candidate = model.at("/summary/latest");
        JsonNode parameters = candidate.at("/manifest/provenance/parameters");
        say(name + " version " + candidate.get("version").asInt() + ": stage " + candidate.get("stage").asText()
                + ", retrained from version " + parameters.path("lineage.parentVersion").asText()
                + " on " + candidate.at("/manifest/provenance/datasetRows").asLong() + " rows");
        say("  training dataset " + parameters.path("lineage.trainingDataset").asText().substring(0, 12)
                + "…, production dataset " + parameters.path("lineage.productionDataset").asText().substring(0, 12)
                + "… (" + parameters.path("lineage.productionRows").asText() + " labelled rows), report "
                + parameters.path("lineage.report").asText());
        say("  it is not deployed: it waits for its gates and a human approval, like any new version");
    }

    /** A record from an older, sicker population: numeric values pushed up within their ranges. */
    private static Map<String, Object> shift(FeatureSchema schema, Map<String, Object> record, int i) {
        Map<String, Object> out = new LinkedHashMap<>(record);
        for (Feature f : schema.features()) {
            Object v = out.get(f.name());
            if (v instanceof Number n && (f.type() == FeatureType.NUMERIC || f.type() == FeatureType.INTEGER)) {
                double shiftedValue = n.doubleValue() * 1.6 + 1;
                if (f.max() != null) {
                    shiftedValue = Math.min(f.max(), shiftedValue);
                }
                out.put(f.name(), f.type() == FeatureType.INTEGER ? (Object) Math.round(shiftedValue) : (Object) shiftedValue);
            } else if (v instanceof String && f.type() == FeatureType.CATEGORICAL && f.categories() != null
                    && !f.categories().isEmpty() && i % 2 == 0) {
                out.put(f.name(), f.categories().get(f.categories().size() - 1));
            }
        }
        return out;
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

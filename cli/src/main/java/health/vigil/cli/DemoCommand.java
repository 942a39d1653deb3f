package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.Provenance;
import health.vigil.port.ArtifactStore;
import health.vigil.text.Words;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.ClinicalModel;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.TrainingProgress;
import health.vigil.training.models.ReferenceModels;
import health.vigil.training.export.ModelPackager;
import health.vigil.adapter.local.LocalAdapters;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
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
import java.util.OptionalInt;
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
    /** Rows of each held-out evaluation dataset the demo registers. */
    private static final int EVALUATION_ROWS = 5000;
    /** How far the demo's over-confident candidate moves every risk's log-odds (about 2.7 times the odds). */
    private static final double MISCALIBRATION_LOG_ODDS = 1.0;
    /**
     * How far the demo's retrained canary moves every risk's log-odds: within the gates' calibration-in-the-large
     * bound (0.25), so its gates pass, yet enough to change who is flagged on live patients.
     */
    private static final double SLIGHT_LOG_ODDS = 0.2;
    private static final int LIVE_CLIENTS = 4;
    /**
     * The demo's canary policy: every step needs 600 rows of each slot, and the clinical team accepts little change in
     * who is flagged for a follow-up (flag rate within 2 points, score distribution PSI under 0.02); latency on a
     * laptop shared with training says nothing about a version.
     */
    private static final Map<String, Object> DEMO_POLICY = Map.of("minSamplePerSlot", 600, "flagRateMargin", 0.02,
            "psiLimit", 0.02, "latencyRatioLimit", 100);

    @Option(names = "--home", defaultValue = RunningPlatform.HOME_DEFAULT,
            description = "Vigil home (default: $VIGIL_HOME, else .vigil)")
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

            String dataScientist = LocalAdapters.apiKey(absoluteHome, "data-scientist");
            String approver = LocalAdapters.apiKey(absoluteHome, "approver");
            ControlClient api = new ControlClient(base, null);

            step("A data steward registers each model's held-out evaluation dataset, the data its gates are judged on"
                    + " (POST /datasets with the steward's key)");
            String steward = LocalAdapters.apiKey(absoluteHome, DatasetsCommand.STEWARD);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                HeldOutEvaluationData data = HeldOutEvaluationData.generate(clinical, EVALUATION_ROWS, seed);
                JsonNode dataset = DatasetsCommand.register(base, steward, data);
                say(clinical + ": " + Words.count(dataset.get("rows").asInt(), "row") + ", sha256 "
                        + dataset.get("sha256").asText().substring(0, 12) + "…, registered by "
                        + dataset.get("registeredBy").asText());
            }

            step("A data scientist trains the three clinical models on seeded synthetic data and uploads them"
                    + " (POST /models/{name}/packages with the data scientist's key)");
            Path trained = Files.createTempDirectory("vigil-demo-packages-");
            TrainCommand.ProgressBar progress = new TrainCommand.ProgressBar(
                    new java.io.PrintWriter(System.err, true), System.console() != null);
            List<ModelPackager.WrittenPackage> packages = ReferenceModels.trainAll(trained, seed, progress);
            progress.done();
            Map<ClinicalModel, Integer> versions = new java.util.EnumMap<>(ClinicalModel.class);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                ModelPackager.WrittenPackage written = packages.stream()
                        .filter(w -> w.path().getFileName().toString().equals(clinical.modelName().value() + ".zip"))
                        .findFirst().orElseThrow();
                String blob = written.path().getFileName().toString();
                JsonNode version;
                if (Files.exists(LocalAdapters.blobFolder(absoluteHome, "models").resolve(blob))) {
                    // Packages are immutable; retraining writes a new package (its provenance has a new time).
                    version = send("GET", "/models/" + clinical.modelName().value(), operator, null, 200)
                            .get("versions").get(0);
                    say(blob + " is already uploaded: " + clinical + " version " + version.get("version").asInt()
                            + ": stage " + version.get("stage").asText() + ", uploaded by "
                            + version.get("registeredBy").asText());
                } else {
                    HttpResponse<String> uploaded = ModelsCommand.upload(api.as(dataScientist),
                            clinical.modelName().value(), written.path(), blob);
                    if (uploaded.statusCode() / 100 != 2) {
                        throw new IllegalStateException("the upload of " + blob + " was refused: " + uploaded.body());
                    }
                    version = ControlClient.parse(uploaded).get("version");
                    say("uploaded " + blob + " (" + written.packageBytes() + " bytes, model sha256 "
                            + written.modelSha256().substring(0, 12) + "…): " + clinical + " version "
                            + version.get("version").asInt() + ": stage " + version.get("stage").asText()
                            + ", uploaded by " + version.get("registeredBy").asText() + ", feature pipeline "
                            + version.at("/manifest/featurePipeline").asText());
                }
                versions.put(clinical, version.get("version").asInt());
                Files.delete(written.path());
            }
            for (ModelPackager.WrittenPackage left : packages) {
                Files.deleteIfExists(left.path());
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

            ClinicalModel first = ClinicalModel.values()[0];
            String firstPath = "/models/" + first.modelName().value() + "/versions/" + versions.get(first);
            step("Separation of duties: the data scientist may approve colleagues' models, never their own upload");
            HttpResponse<String> own = ModelsCommand.decide(api.as(dataScientist), "approve", first.modelName().value(),
                    versions.get(first), "I trained it and it looks fine");
            say(own.statusCode() + " " + errorOf(own));

            Map<ClinicalModel, String> stages = new java.util.EnumMap<>(ClinicalModel.class);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                stages.put(clinical, stageOf(api.as(operator), clinical, versions.get(clinical)));
            }
            if (!stages.get(first).matches("APPROVED|PRODUCTION|CANARY|RETIRED")) {
                step("An operator tries to deploy " + first + " before it is approved: refused");
                HttpResponse<String> early = api.as(operator).exchange("POST", firstPath + "/deploy", null);
                say(early.statusCode() + " " + errorOf(early));
            }
            step("EvaluateGates (on Vigil.Model.Registered) judges each version on the platform's dataset, not the package's");
            for (ClinicalModel clinical : ClinicalModel.values()) {
                stages.put(clinical, awaitGates(api.as(operator), clinical, versions.get(clinical)));
                JsonNode report = send("GET", "/models/" + clinical.modelName().value() + "/versions/"
                        + versions.get(clinical) + "/gates", operator, null, 200);
                long passed = 0;
                long flagged = 0;
                List<String> failed = new ArrayList<>();
                for (JsonNode check : report.get("checks")) {
                    switch (check.get("outcome").asText()) {
                        case "FAILED" -> failed.add(checkName(check));
                        case "FLAGGED" -> flagged++;
                        default -> passed++;
                    }
                }
                say(clinical + " version " + versions.get(clinical) + ": " + stages.get(clinical).toLowerCase(
                        java.util.Locale.ROOT) + " (" + passed + " of " + Words.count(report.get("checks").size(), "check")
                        + " passed, " + flagged + " flagged for the approver, on "
                        + Words.count(report.get("datasetRows").asInt(), "row") + (failed.isEmpty() ? "" : "; failed: " + failed) + ")");
            }

            step("The approver reads each version's model card (its JSON summary), signs each version whose gates"
                    + " passed, with a justification; an operator deploys it");
            java.util.Set<ClinicalModel> deployed = java.util.EnumSet.noneOf(ClinicalModel.class);
            for (ClinicalModel clinical : ClinicalModel.values()) {
                String model = clinical.modelName().value();
                int number = versions.get(clinical);
                JsonNode summary = send("GET", cardPath(model, number), approver, null, 200).get("summary");
                say(cardLine(model, number, summary));
                if (stages.get(clinical).equals("GATES_PASSED") && summary.path("gatesPassed").asBoolean(false)) {
                    HttpResponse<String> signed = ModelsCommand.decide(api.as(approver), "approve", model, number,
                            "gates passed on the platform's evaluation data; intended use and limitations reviewed");
                    say(signed.statusCode() / 100 == 2 ? ModelsCommand.decisionLine(ControlClient.parse(signed))
                            : signed.statusCode() + " " + errorOf(signed));
                } else if (!stages.get(clinical).matches("APPROVED|PRODUCTION|CANARY|RETIRED")) {
                    HttpResponse<String> refused = ModelsCommand.decide(api.as(approver), "approve", model, number,
                            "approving without passed gates");
                    say(clinical + ": " + refused.statusCode() + " " + errorOf(refused)
                            + " (it stays out of production until a new version passes its gates)");
                    continue;
                }
                JsonNode deployment = send("POST", "/models/" + model + "/versions/" + number + "/deploy", operator,
                        null, 200);
                say(clinical + ": deployed, revision " + deployment.get("revision").asLong() + ", slots "
                        + deployment.get("slots"));
                deployed.add(clinical);
                say(ModelsCommand.historyLines(send("GET", "/models/" + model + "/versions/" + number + "/history",
                        operator, null, 200)));
            }

            if (deployed.contains(first)) {
                step("A clinical application scores " + patients + " synthetic patients per deployed model (POST /score, raw clinical records)");
                for (ClinicalModel clinical : deployed) {
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
                say(TerminalText.shown(refused.get("error").get("code").asText() + ": "
                        + refused.get("error").get("message").asText()));
            }
            if (deployed.contains(first)) {
                closeTheLoop(api, first, operator, clinicalApp, LocalAdapters.apiKey(absoluteHome, "outcomes-feed"),
                        compliance);
            }
            if (deployed.contains(first)) {
                canary(api, absoluteHome, first, operator, dataScientist, approver, clinicalApp);
            }
            if (deployed.contains(first)) {
                stoppedByGates(api, first, operator, dataScientist, approver);
            }

            step("Compliance reads and verifies today's audit trail (hash-chained)");
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            JsonNode audit = send("GET", "/audit/records?from=" + today + "&to=" + today, compliance, null, 200);
            for (JsonNode r : audit.get("records")) {
                say(Words.time(r.get("time").asText()) + "  " + r.get("action").asText() + "  " + r.get("subject").asText() + "  "
                        + r.get("outcome").asText() + "  by " + r.get("actor").asText());
            }
            JsonNode verified = send("GET", "/audit/verify?from=" + today + "&to=" + today, compliance, null, 200);
            say("chain valid: " + verified.get("valid").asBoolean() + " (" + verified.get("recordsChecked").asLong()
                    + " records)");

            step("Where to look next");
            say("API keys (one per role):   " + LocalAdapters.keysFile(absoluteHome));
            say("registry, audit, predictions (SQLite): " + absoluteHome);
            say("drop folder for packages:  " + platform.dropFolder());
            // The versions serving now: the demo's canaries and rollbacks have moved them since the first deploys.
            java.util.Map<String, Integer> serving = new java.util.LinkedHashMap<>();
            for (ClinicalModel clinical : ClinicalModel.values()) {
                String model = clinical.modelName().value();
                JsonNode slots = send("GET", "/models/" + model, operator, null, 200).at("/summary/deployment/slots");
                for (JsonNode slot : slots) {
                    if (slot.path("slot").asText().equals("stable")) {
                        serving.put(model, slot.path("version").asInt());
                    }
                }
            }
            if (keepRunning) {
                say("model cards of the versions serving now (HTML with Accept: text/html, Markdown with"
                        + " text/markdown, JSON otherwise; or ./vigil models card NAME VERSION --format html --out FILE):");
                serving.forEach((model, version) -> say("  " + model + " version " + version + ": " + base
                        + cardPath(model, version).substring(1)));
                say("try:  curl -s -H \"x-api-key: $(jq -r '.keys[]|select(.id==\"operator\").key' "
                        + LocalAdapters.keysFile(absoluteHome) + ")\" " + base + "models");
                say("the platform keeps running at " + base + "; press Ctrl+C to stop");
                Thread.currentThread().join();
            } else {
                say("versions serving now: " + String.join(", ", serving.entrySet().stream()
                        .map(e -> e.getKey() + " version " + e.getValue()).toList()));
                say("the platform stops with the demo; everything above stays in " + absoluteHome + ". To look"
                        + " around, serve it again with ./vigil up --home " + absoluteHome + " (http://127.0.0.1:7071/,"
                        + " the dashboard; ./vigil models card NAME VERSION), or run the demo with --keep-running");
            }
        }
        return 0;
    }

    /**
     * The monitoring half of the loop: an older, sicker population whose outcomes the model no longer ranks, its
     * outcomes, the monitoring check (drift and degraded performance), the retraining request it raises, and the
     * retrained candidate, uploaded under the platform's retraining identity, judged by its gates on the steward's
     * dataset and waiting for a human approval: the platform never deploys its own retrained model.
     */
    private void closeTheLoop(ControlClient api, ClinicalModel clinical, String operator, String clinicalApp,
            String outcomesFeed, String compliance) throws IOException, InterruptedException {
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
        // A window ends on a whole second that has passed: the next one after the last prediction, waited for, so
        // the patients just scored fall inside it however quickly the steps above ran.
        Instant to = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(1);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), to).toMillis() + 50));
        JsonNode checked = send("POST", "/models/" + name + "/monitoring/run?from=" + to.minus(Duration.ofHours(1))
                + "&to=" + to, operator, null, 200);
        for (JsonNode report : checked.get("reports")) {
            MonitorCommand.describe(report).forEach(this::say);
        }
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        step("Vigil.Drift.Detected and Vigil.Retrain.Requested are published, each with its audit record");
        JsonNode trail = send("GET", "/audit/records?from=" + today + "&to=" + today, compliance, null, 200)
                .get("records");
        for (JsonNode r : trail) {
            String action = r.get("action").asText();
            if ((action.equals("monitoring.check") || action.equals("retrain.request"))
                    && r.get("subject").asText().startsWith("/models/" + name + "/")) {
                say(action + " " + r.get("outcome").asText() + "  " + r.get("details").path("reportId").asText()
                        + (r.get("details").has("reason") ? "  (" + r.get("details").get("reason").asText() + ")" : ""));
            }
        }

        step("Retrain trains a successor on the training dataset plus the labelled production rows and uploads it"
                + " under the platform's retraining identity; registration and the gates take it like any upload");
        JsonNode candidate = awaitRetrained(api.as(operator), name);
        int number = candidate.get("version").asInt();
        JsonNode parameters = candidate.at("/manifest/provenance/parameters");
        say(name + " version " + number + ": uploaded by " + candidate.get("registeredBy").asText()
                + ", retrained from version " + parameters.path(Provenance.PARENT_VERSION).asText()
                + " on " + Words.count(candidate.at("/manifest/provenance/datasetRows").asLong(), "row"));
        say("  training dataset " + abbreviated(parameters.path("lineage.trainingDataset").asText())
                + ", production dataset " + abbreviated(parameters.path("lineage.productionDataset").asText())
                + " (" + parameters.path("lineage.productionRows").asText() + " labelled rows), report "
                + parameters.path("lineage.report").asText());
        String stage = awaitGates(api.as(operator), clinical, number);
        JsonNode gates = send("GET", "/models/" + name + "/versions/" + number + "/gates", operator, null, 200);
        long passed = 0;
        List<String> failed = new ArrayList<>();
        for (JsonNode check : gates.get("checks")) {
            if (check.get("outcome").asText().equals("FAILED")) {
                failed.add(checkName(check));
            } else if (check.get("outcome").asText().equals("PASSED")) {
                passed++;
            }
        }
        say("gates of the retrained version " + number + ": " + stage.toLowerCase(java.util.Locale.ROOT) + " ("
                + passed + " of " + Words.count(gates.get("checks").size(), "check") + " passed on the steward's "
                + Words.count(gates.get("datasetRows").asInt(), "row") + (failed.isEmpty() ? "" : "; failed: " + failed) + ")");
        HttpResponse<String> deploy = api.as(operator).exchange("POST", "/models/" + name + "/versions/" + number
                + "/deploy", null);
        say("deploying it without an approval: " + deploy.statusCode() + " " + errorOf(deploy));
        say("  it is not deployed: " + send("GET", "/models/" + name + "/versions/" + number, operator, null, 200)
                .get("stage").asText().toLowerCase(java.util.Locale.ROOT) + "; only a human approver can sign it");
    }

    /** The newest version of {@code model} that the platform retrained, once registration has numbered it. */
    private JsonNode awaitRetrained(ControlClient client, String model) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            JsonNode newest = null;
            for (JsonNode v : client.send("GET", "/models/" + model, null, 200).get("versions")) {
                if (v.at("/manifest/provenance/parameters").has(Provenance.PARENT_VERSION)
                        && (newest == null || v.get("version").asInt() > newest.get("version").asInt())) {
                    newest = v;
                }
            }
            if (newest != null) {
                return newest;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("no retrained version of " + model + " was registered within "
                + WAIT.toSeconds() + " s; look in the dead-letter folder and the log above");
    }

    private static String abbreviated(String sha256) {
        return sha256.length() > 12 ? sha256.substring(0, 12) + "…" : sha256;
    }

    /** A record from an older, sicker population: numeric values pushed up within their ranges. */
    static Map<String, Object> shift(FeatureSchema schema, Map<String, Object> record, int i) {
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

    /**
     * Two canaries of {@code clinical} on live traffic, each judged step by step by the canary controller, which the
     * ramp's events and wake-ups drive (no minute timer to wait for): a rebuilt package (the same data and seed, so
     * the same model) ramps 20 → 50 → 100 % and is promoted; then a retrained candidate whose risks run a little high
     * passes its gates on the evaluation data (its calibration stays within the gate policy) but flags noticeably more
     * live patients than stable, and is rolled back automatically, with the analysis that decided it.
     */
    private void canary(ControlClient api, Path absoluteHome, ClinicalModel clinical, String operator,
            String dataScientist, String approver, String clinicalApp) throws Exception {
        String model = clinical.modelName().value();
        step("A rebuilt " + clinical + " package goes out as a canary on live traffic: 20 %, 50 %, then all patients,"
                + " each step judged against stable by the canary controller (POST /models/" + model + "/canary)");
        OptionalInt rebuilt = candidate(api, absoluteHome, clinical, "-rebuilt.zip", 0.0, dataScientist, approver,
                operator, "rebuilt package; gates passed on the platform's evaluation data");
        if (rebuilt.isPresent()) {
            rampUnderLoad(api.as(operator), clinical, rebuilt.getAsInt(), clinicalApp);
        }
        step("A retrained " + clinical + " candidate whose risks run a little high (+" + SLIGHT_LOG_ODDS + " log-odds)"
                + " passes its gates on the evaluation data, goes out as a canary, and is rolled back automatically on"
                + " live patients");
        OptionalInt retrained = candidate(api, absoluteHome, clinical, "-retrained.zip", SLIGHT_LOG_ODDS, dataScientist,
                approver, operator, "retrained candidate; gates passed on the platform's evaluation data");
        if (retrained.isPresent()) {
            rampUnderLoad(api.as(operator), clinical, retrained.getAsInt(), clinicalApp);
            say(CanaryCommand.analysisLines(send("GET", "/models/" + model + "/canary/analysis", operator, null, 200)));
        }
    }

    /**
     * Uploads (once) a package of {@code clinical} with every risk's log-odds moved by {@code shift}, waits for its
     * gates and has the approver sign it; the version, or empty when it cannot go out as a canary (already promoted
     * or rolled back by an earlier run, or stopped by its gates).
     */
    private OptionalInt candidate(ControlClient api, Path absoluteHome, ClinicalModel clinical, String suffix,
            double shift, String dataScientist, String approver, String operator, String approval) throws Exception {
        String model = clinical.modelName().value();
        String blob = model + suffix;
        int version = -1;
        if (Files.exists(LocalAdapters.blobFolder(absoluteHome, "models").resolve(blob))) {
            for (JsonNode v : send("GET", "/models/" + model, operator, null, 200).get("versions")) {
                if (v.path("packageBlob").asText().endsWith(blob)) {
                    version = v.get("version").asInt();
                }
            }
            say(blob + " is already uploaded: version " + version);
        } else {
            Path out = Files.createTempFile("vigil-demo-candidate-", ".zip");
            ReferenceModels.trainMiscalibrated(clinical, out, seed, ReferenceModels.DEMO_ROWS, shift,
                    TrainingProgress.NONE);
            HttpResponse<String> uploaded = ModelsCommand.upload(api.as(dataScientist), model, out, blob);
            Files.delete(out);
            if (uploaded.statusCode() / 100 != 2) {
                throw new IllegalStateException("the upload of " + blob + " was refused: " + uploaded.body());
            }
            version = ControlClient.parse(uploaded).at("/version/version").asInt();
            say("uploaded " + blob + ": " + clinical + " version " + version);
        }
        String stage = awaitGates(api.as(operator), clinical, version);
        if (stage.equals("GATES_PASSED")) {
            HttpResponse<String> signed = ModelsCommand.decide(api.as(approver), "approve", model, version, approval);
            say(signed.statusCode() / 100 == 2 ? ModelsCommand.decisionLine(ControlClient.parse(signed))
                    : signed.statusCode() + " " + errorOf(signed));
            return OptionalInt.of(version);
        }
        if (stage.equals("APPROVED")) {
            return OptionalInt.of(version);
        }
        say(clinical + " version " + version + " is already " + stage.toLowerCase(java.util.Locale.ROOT)
                + ": no new canary");
        return OptionalInt.empty();
    }

    /**
     * Starts a canary of {@code version} and scores live patients from four clients until the controller ends the
     * ramp, printing each change of the deployment as it happens.
     */
    private void rampUnderLoad(ControlClient operator, ClinicalModel clinical, int version, String clinicalApp)
            throws Exception {
        String model = clinical.modelName().value();
        List<Map<String, Object>> live = clinical.synthetic(4_000, seed + 17).dataset().records();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong scored = new java.util.concurrent.atomic.AtomicLong();
        ControlClient app = new ControlClient(base, clinicalApp);
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(LIVE_CLIENTS);
        List<java.util.concurrent.Future<?>> load = new java.util.ArrayList<>();
        for (int c = 0; c < LIVE_CLIENTS; c++) {
            int client = c;
            load.add(clients.submit(() -> {
                for (int i = client; running.get(); i += LIVE_CLIENTS) {
                    Map<String, Object> features = new LinkedHashMap<>();
                    live.get(i % live.size()).forEach((k, v) -> {
                        if (v != null) {
                            features.put(k, v);
                        }
                    });
                    Map<String, Object> request = Map.of("patientId", "LIVE-" + (i % live.size()), "features", features);
                    if (app.exchange("POST", "/score/" + model, request).statusCode() == 200) {
                        scored.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        try {
            HttpResponse<String> started = operator.exchange("POST", "/models/" + model + "/canary",
                    Map.of("version", version, "steps", List.of(2_000, 5_000, 10_000), "bakeTime", "PT3S",
                            "policy", DEMO_POLICY));
            if (started.statusCode() / 100 != 2) {
                say(started.statusCode() + " " + errorOf(started));
                return;
            }
            JsonNode status = ControlClient.parse(started);
            say(CanaryCommand.statusLines(status));
            long revision = status.path("revision").asLong();
            Instant deadline = Instant.now().plus(WAIT);
            while (status.at("/canary/status").asText().matches("running|paused") && Instant.now().isBefore(deadline)) {
                Thread.sleep(250);
                status = operator.send("GET", "/models/" + model + "/canary", null, 200);
                if (status.path("revision").asLong() != revision) {
                    revision = status.path("revision").asLong();
                    say(CanaryCommand.statusLines(status));
                }
            }
        } finally {
            running.set(false);
            for (java.util.concurrent.Future<?> f : load) {
                f.get();
            }
            clients.shutdown();
        }
        say(scored.get() + " live patients scored meanwhile, none of them refused or failed by the moves");
    }

    private String stageOf(ControlClient client, ClinicalModel clinical, int version) throws IOException,
            InterruptedException {
        return client.send("GET", "/models/" + clinical.modelName().value() + "/versions/" + version, null, 200)
                .get("stage").asText();
    }

    /** Waits until the gates have decided: the version leaves registered and gates running. */
    private String awaitGates(ControlClient client, ClinicalModel clinical, int version) throws IOException,
            InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            String stage = stageOf(client, clinical, version);
            if (!stage.equals("REGISTERED") && !stage.equals("GATES_RUNNING")) {
                return stage;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the gates of " + clinical + " version " + version + " did not finish within "
                + WAIT.toSeconds() + " s; look in the dead-letter folder and the log above");
    }

    private static String errorOf(HttpResponse<String> response) {
        JsonNode error = ControlClient.parse(response).path("error");
        return TerminalText.shown(error.path("code").asText() + ": " + error.path("message").asText());
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
        return new ControlClient(base, key).send(method, path, body, expectedStatus);
    }

    private void step(String text) {
        out.println();
        out.println("==> " + text);
    }

    private void say(String text) {
        out.println("    " + text);
    }

    static String cardPath(String model, int version) {
        return "/models/" + model + "/versions/" + version + "/card";
    }

    /** What the approver reads first on a card: gates, headline metrics, flags and what the developer left out. */
    static String cardLine(String model, int version, JsonNode summary) {
        String gates = summary.path("gatesPassed").isMissingNode() ? "gates not run"
                : summary.path("gatesPassed").asBoolean() ? "gates passed" : "gates failed " + summary.path("failedGates");
        return String.format(java.util.Locale.ROOT, "card of %s version %d: %s, AUROC %s, calibration error %s, %d"
                + " flagged, %d HTI-1 attributes not provided %s", model, version, gates,
                summary.has("auroc") ? String.format(java.util.Locale.ROOT, "%.3f", summary.get("auroc").asDouble()) : "-",
                summary.has("expectedCalibrationError") ? String.format(java.util.Locale.ROOT, "%.3f",
                        summary.get("expectedCalibrationError").asDouble()) : "-",
                summary.path("flaggedChecks").size(), summary.path("notProvided").size(), summary.path("notProvided"));
    }

    /**
     * A retrained candidate that ranks patients as the deployed model does but overstates every risk: its calibration
     * gates stop it, and the approver cannot sign it. On a home where one was stopped already, says which.
     */
    private void stoppedByGates(ControlClient api, ClinicalModel clinical, String operator, String dataScientist,
            String approver) throws IOException, InterruptedException {
        step("A retrained " + clinical + " candidate ranks patients as well but overstates every risk: its gates stop it");
        String model = clinical.modelName().value();
        for (JsonNode v : send("GET", "/models/" + model, operator, null, 200).get("versions")) {
            if (v.get("stage").asText().equals("GATES_FAILED") && v.path("packageBlob").asText().endsWith("-overconfident.zip")) {
                say("already stopped: " + clinical + " version " + v.get("version").asInt() + " is gates_failed");
                return;
            }
        }
        Path folder = Files.createTempDirectory("vigil-demo-candidate-");
        Path candidate = folder.resolve(model + "-overconfident.zip");
        ReferenceModels.trainMiscalibrated(clinical, candidate, seed, ReferenceModels.DEMO_ROWS, MISCALIBRATION_LOG_ODDS,
                TrainingProgress.NONE);
        HttpResponse<String> uploaded = ModelsCommand.upload(api.as(dataScientist), model, candidate,
                candidate.getFileName().toString());
        Files.delete(candidate);
        Files.delete(folder);
        if (uploaded.statusCode() / 100 != 2) {
            throw new IllegalStateException("the upload of the candidate was refused: " + uploaded.body());
        }
        int number = ControlClient.parse(uploaded).at("/version/version").asInt();
        String stage = awaitGates(api.as(operator), clinical, number);
        JsonNode report = send("GET", "/models/" + model + "/versions/" + number + "/gates", operator, null, 200);
        List<String> failed = new ArrayList<>();
        for (JsonNode check : report.get("checks")) {
            if (check.get("outcome").asText().equals("FAILED")) {
                failed.add(checkName(check) + " = "
                        + String.format(java.util.Locale.ROOT, "%.3f", check.get("value").asDouble()) + " ("
                        + check.get("threshold").asText() + ")");
            }
        }
        say(clinical + " version " + number + ": " + stage.toLowerCase(java.util.Locale.ROOT) + "; failed " + failed);
        HttpResponse<String> refused = ModelsCommand.decide(api.as(approver), "approve", model, number,
                "looks fine to me");
        say("the approver cannot sign it: " + refused.statusCode() + " " + errorOf(refused));
    }


    /** A gate report's check as the demo names it: {@code gate/check}. */
    private static String checkName(JsonNode check) {
        return check.get("gate").asText() + "/" + check.get("check").asText();
    }
}

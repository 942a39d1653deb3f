package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.port.ArtifactStore;
import health.vigil.retraining.RetrainService;
import health.vigil.training.ClinicalModel;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.TrainingProgress;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.models.ReferenceModels;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring loop closed on the governed path over real HTTP, run by each back end's subclass: a clinical model
 * whose training data is in the datasets container is judged by its gates on the steward's dataset, approved and
 * deployed; a shifted population whose outcomes it no longer ranks is scored and its outcomes sent; the monitoring
 * check asks for retraining; the platform retrains and uploads under its retraining identity; the successor is
 * registered, judged by its gates on the steward's dataset and waits for a human: it cannot be deployed before an
 * approval, and the deployment is unchanged.
 */
abstract class RetrainLoopScenario {
    private static final ClinicalModel CLINICAL = ClinicalModel.READMISSION;
    private static final long SEED = 20261124L;
    private static final int SHIFTED = 600;

    @TempDir
    Path home;
    private LocalPlatform platform;
    private ControlClient api;

    /** Starts the platform under test on a free port with its data under {@code home}. */
    protected abstract LocalPlatform startPlatform(Path home);

    @BeforeEach
    void start() {
        platform = startPlatform(home);
        api = new ControlClient(platform.baseUri(), null);
    }

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aDegradedWindowIsRetrainedAndTheSuccessorGoesThroughItsGatesAndWaitsForAHuman() throws Exception {
        String model = CLINICAL.modelName().value();
        ControlClient operator = api.as(key("operator"));
        HeldOutEvaluationData held = HeldOutEvaluationData.generate(CLINICAL, 5000, SEED);
        String evaluation = DatasetsCommand.register(platform.baseUri(), key(DatasetsCommand.STEWARD), held)
                .get("sha256").asText();
        Dataset training = CLINICAL.synthetic(ReferenceModels.DEMO_ROWS, SEED).dataset();
        platform.platform().artifacts().put(ArtifactStore.DATASETS, RetrainService.datasetBlob(training.sha256()),
                new ByteArrayInputStream(DatasetFile.bytes(CLINICAL.pipeline().rawSchema(), training)), false);
        Path zip = Files.createTempFile(home, model, ".zip");
        ReferenceModels.trainMiscalibrated(CLINICAL, zip, SEED, ReferenceModels.DEMO_ROWS, 0.0, TrainingProgress.NONE);
        HttpResponse<String> uploaded = ModelsCommand.upload(api.as(key("data-scientist")), model, zip, model + ".zip");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        assertThat(awaitGates(operator, model, 1)).isEqualTo("GATES_PASSED");
        assertThat(ModelsCommand.decide(api.as(key("approver")), "approve", model, 1, "gates passed").statusCode())
                .isEqualTo(200);
        operator.send("POST", "/models/" + model + "/versions/1/deploy", null, 200);

        Dataset shifted = CLINICAL.synthetic(SHIFTED, SEED + 3).dataset();
        List<Map<String, Object>> records = new ArrayList<>();
        for (int i = 0; i < SHIFTED; i++) {
            records.add(Map.of("patientId", "MRN-SHIFT-" + i, "features",
                    DemoCommand.shift(CLINICAL.pipeline().rawSchema(), shifted.records().get(i), i)));
        }
        JsonNode scored = api.as(key("clinical-app")).send("POST", "/score/" + model, Map.of("records", records), 200);
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < SHIFTED; i++) {
            // The realised outcomes run against the model's ranking.
            outcomes.add(Map.of("predictionId", scored.at("/predictions/" + i + "/predictionId").asText(),
                    "outcome", shifted.label(i) ? 0 : 1));
        }
        assertThat(api.as(key("outcomes-feed")).send("POST", "/outcomes", Map.of("model", model, "outcomes", outcomes),
                200).get("recorded").asInt()).isEqualTo(SHIFTED);
        Instant to = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), to).toMillis() + 50));
        JsonNode report = operator.send("POST", "/models/" + model + "/monitoring/run?from=" + to.minus(Duration.ofHours(1))
                + "&to=" + to, null, 200).at("/reports/0");
        assertThat(report.get("severity").asText()).as(report.toString()).isEqualTo("ALERT");

        // Retrain (on Vigil.Retrain.Requested) trains, uploads and registers; the gates take it like any upload.
        JsonNode successor = awaitVersion(operator, model, 2);
        assertThat(successor.get("registeredBy").asText()).isEqualTo("system:retrain");
        JsonNode lineage = successor.at("/manifest/provenance/parameters");
        assertThat(lineage.get("lineage.parentVersion").asText()).isEqualTo("1");
        assertThat(lineage.get("lineage.report").asText()).isEqualTo(report.get("id").asText());
        assertThat(lineage.get("lineage.trainingDataset").asText()).isEqualTo(training.sha256());
        assertThat(lineage.get("lineage.productionDataset").asText()).hasSize(64);
        assertThat(lineage.get("lineage.productionRows").asText()).isEqualTo(Integer.toString(SHIFTED));
        String stage = awaitGates(operator, model, 2);
        assertThat(stage).isIn("GATES_PASSED", "GATES_FAILED");
        JsonNode gates = operator.send("GET", "/models/" + model + "/versions/2/gates", null, 200);
        assertThat(gates.get("datasetSha256").asText()).isEqualTo(evaluation);
        assertThat(gates.get("productionVersion").asInt()).isEqualTo(1);

        HttpResponse<String> early = operator.exchange("POST", "/models/" + model + "/versions/2/deploy", null);
        assertThat(early.statusCode()).as(early.body()).isEqualTo(409);
        assertThat(ControlClient.parse(early.body()).at("/error/code").asText()).isEqualTo("INVALID_STATE");
        assertThat(operator.send("GET", "/models/" + model + "/versions/2", null, 200).get("stage").asText())
                .isEqualTo(stage);
        assertThat(operator.send("GET", "/models/" + model, null, 200).at("/summary/deployment/slots"))
                .singleElement().satisfies(slot -> assertThat(slot.get("version").asInt()).isEqualTo(1));
        // Yesterday to tomorrow (UTC): a run across midnight still finds every record of its new home.
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> actions = new ArrayList<>();
        api.as(key("compliance")).send("GET", "/audit/records?from=" + today.minusDays(1) + "&to=" + today.plusDays(1),
                null, 200)
                .get("records").forEach(r -> actions.add(r.get("action").asText() + " " + r.get("outcome").asText()
                        + " by " + r.get("actor").asText()));
        assertThat(actions).contains("retrain.request requested by system:drift-check",
                "retrain.complete uploaded by system:retrain", "model.register registered by system:retrain");
        assertThat(actions).filteredOn(a -> a.startsWith("model.approve")).hasSize(1);
    }

    private String key(String persona) {
        return LocalAdapters.apiKey(home, persona);
    }

    private static JsonNode awaitVersion(ControlClient operator, String model, int version) throws Exception {
        Instant deadline = Instant.now().plusSeconds(180);
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> response = operator.exchange("GET", "/models/" + model + "/versions/" + version, null);
            if (response.statusCode() == 200) {
                return ControlClient.parse(response.body());
            }
            Thread.sleep(200);
        }
        throw new AssertionError(model + " version " + version + " was not registered within 180 s");
    }

    static String awaitGates(ControlClient operator, String model, int version) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        String stage = awaitVersion(operator, model, version).get("stage").asText();
        while (stage.matches("REGISTERED|GATES_RUNNING") && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            stage = operator.send("GET", "/models/" + model + "/versions/" + version, null, 200).get("stage").asText();
        }
        return stage;
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.training.ClinicalModel;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.TrainingProgress;
import health.vigil.training.models.ReferenceModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil monitor traffic} against the local platform over real HTTP, as an on-call engineer rehearsing the
 * drift runbook runs it: a clinical model trained on synthetic data is judged, approved and deployed; synthetic
 * patients like its training population pass the monitoring check of their window, and the same command with
 * {@code --drift} sends a population that the check of its own window flags as drift.
 */
class MonitorTrafficIT {
    private static final ClinicalModel CLINICAL = ClinicalModel.READMISSION;
    private static final long SEED = 20261124L;

    @TempDir
    Path home;
    private LocalPlatform platform;

    @BeforeEach
    void start() {
        platform = LocalPlatform.start(home, 0);
    }

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void driftedTrafficIsFlaggedAsDriftByTheCheckOfItsWindowAndTrafficLikeTrainingIsNot() throws Exception {
        String model = CLINICAL.modelName().value();
        ControlClient api = new ControlClient(platform.baseUri(), null);
        ControlClient operator = api.as(key("operator"));
        DatasetsCommand.register(platform.baseUri(), key(DatasetsCommand.STEWARD),
                HeldOutEvaluationData.generate(CLINICAL, 5000, SEED));
        Path zip = Files.createTempFile(home, model, ".zip");
        ReferenceModels.trainMiscalibrated(CLINICAL, zip, SEED, ReferenceModels.DEMO_ROWS, 0.0, TrainingProgress.NONE);
        HttpResponse<String> uploaded = ModelsCommand.upload(api.as(key("data-scientist")), model, zip, model + ".zip");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        assertThat(RetrainLoopScenario.awaitGates(operator, model, 1)).isEqualTo("GATES_PASSED");
        assertThat(ModelsCommand.decide(api.as(key("approver")), "approve", model, 1, "gates passed").statusCode())
                .isEqualTo(200);
        operator.send("POST", "/models/" + model + "/versions/1/deploy", null, 200);
        String url = platform.baseUri().toString();

        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String usual = AuditCommandTest.run("monitor", "traffic", model, "--url", url, "--home", home.toString(),
                "--count", "600", "--seed", "7");
        Instant between = nextSecond();
        String shifted = AuditCommandTest.run("monitor", "traffic", model, "--url", url, "--home", home.toString(),
                "--count", "600", "--seed", "8", "--drift");
        Instant after = nextSecond();
        JsonNode usualReport = operator.send("POST", "/models/" + model + "/monitoring/run?from=" + before + "&to="
                + between, null, 200).at("/reports/0");
        JsonNode shiftedReport = operator.send("POST", "/models/" + model + "/monitoring/run?from=" + between + "&to="
                + after, null, 200).at("/reports/0");

        assertThat(usual).startsWith("0\n").contains("scored 600 synthetic patients of readmission like its training"
                + " population").contains("vigil monitor run readmission --from ");
        assertThat(shifted).startsWith("0\n").contains("from an older, sicker population");
        assertThat(usualReport.get("predictions").asLong()).isEqualTo(600);
        assertThat(usualReport.at("/drift/drifted").asBoolean()).as(usualReport.toString()).isFalse();
        assertThat(shiftedReport.get("predictions").asLong()).isEqualTo(600);
        assertThat(shiftedReport.at("/drift/drifted").asBoolean()).as(shiftedReport.toString()).isTrue();
        assertThat(shiftedReport.get("severity").asText()).isIn("WARNING", "ALERT");
        // Synthetic patients only: a model the platform has no generator for is refused before anything is sent.
        assertThat(AuditCommandTest.run("monitor", "traffic", "readmission-demo", "--url", url, "--home",
                home.toString())).startsWith("2\n");
        assertThat(AuditCommandTest.run("monitor", "traffic", model, "--url", url, "--home", home.toString(),
                "--count", "0")).startsWith("2\n");
    }

    /** The next whole second, once it has passed: the end of a window that holds everything sent before it. */
    private static Instant nextSecond() throws InterruptedException {
        Instant next = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), next).toMillis() + 50));
        return next;
    }

    private String key(String persona) {
        return LocalAdapters.apiKey(home, persona);
    }
}

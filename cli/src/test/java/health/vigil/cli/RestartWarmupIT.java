package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted platform has loaded and run its deployed version before it answers anything, through the scoring
 * app's warm-up function, so the first patient's request after a restart does not pay for loading the model.
 */
class RestartWarmupIT {
    @TempDir
    Path home;
    private LocalPlatform platform;

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void theDeployedVersionIsLoadedBeforeTheFirstRequestAfterARestart() throws Exception {
        platform = LocalPlatform.start(home, 0);
        Path zip = home.resolve("readmission.zip");
        Files.write(zip, SampleModels.readmissionLogistic().zip());
        JsonNode deployment = GovernedPath.deployReadmission(platform, home, zip, "readmission.zip");
        ModelVersion deployed = new ModelVersion(ModelName.of(GovernedPath.READMISSION),
                deployment.at("/slots/0/version").asInt());
        platform.close();

        platform = LocalPlatform.start(home, 0);

        assertThat(platform.platform().scoring().models().isLoaded(deployed))
                .as("loaded by the warm-up before any request").isTrue();
        Map<String, Object> features = new LinkedHashMap<>(SampleModels.readmissionCohort(1, 7).records().get(0));
        features.values().removeIf(java.util.Objects::isNull);
        String clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
        assertThat(GovernedPath.score(platform, clinicalApp, "patient-1", features).statusCode()).isEqualTo(200);

        // An instance restarted without a warm-up (the Functions host runs it only on instances it adds) is warmed
        // by the readiness probe the platform's health check sends to every instance.
        platform.platform().scoring().models().close();
        HttpResponse<String> probe = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                platform.baseUri().resolve("/v2/health/ready")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(platform.platform().scoring().models().isLoaded(deployed)).as("loaded by the probe").isTrue();
    }
}

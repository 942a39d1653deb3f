package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Open Inference Protocol as a KServe or Triton client uses it, over HTTP on the local platform: the readiness
 * and metadata routes of a model and of a version named in the path, with readiness told by the status (200 ready,
 * anything else not ready), as those clients read it, and the server's metadata.
 */
class OpenInferenceProtocolIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final String V2 = "/v2/models/" + MODEL;

    @Test
    void readinessAndMetadataOfTheModelAndOfEachVersionFollowItsDeployment() throws Exception {
        Path home = Files.createTempDirectory("vigil-oip-it-");
        LocalPlatform platform = null;
        Path stable = Files.createTempFile("stable", ".zip");
        Path candidate = Files.createTempFile("candidate", ".zip");
        try {
            platform = LocalPlatform.start(home, 0);
            ControlClient client = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "clinical-app"));
            DatasetsCommand.register(platform.baseUri(), LocalAdapters.apiKey(home, DatasetsCommand.STEWARD), MODEL,
                    "evaluation.csv", GovernedPath.readmissionCsv(SampleModels.readmissionCohort(2000, 4242)),
                    "readmitted", "age", null, List.of("admission_type"));
            Files.write(stable, SampleModels.readmissionLogistic().zip());
            int first = GovernedPath.approveReadmission(platform, home, stable, "readmission.zip");

            // Approved but not deployed: registered, so not 404, and not ready, so not 200.
            assertReady(client, V2 + "/ready", false);
            assertReady(client, V2 + "/versions/" + first + "/ready", false);

            new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"))
                    .send("POST", "/models/" + MODEL + "/versions/" + first + "/deploy", null, 200);
            assertReady(client, V2 + "/ready", true);
            assertReady(client, V2 + "/versions/" + first + "/ready", true);

            Files.write(candidate, SampleModels.readmissionTrees().zip());
            int second = GovernedPath.approveReadmission(platform, home, candidate, "readmission-trees.zip");
            assertReady(client, V2 + "/versions/" + second + "/ready", false);
            assertReady(client, V2 + "/ready", true);

            JsonNode model = client.send("GET", V2, null, 200);
            JsonNode version = client.send("GET", V2 + "/versions/" + second, null, 200);
            assertThat(version.get("name").asText()).isEqualTo(MODEL);
            assertThat(version.get("platform").asText()).isEqualTo("onnxruntime_onnx");
            // The versions a client may name in the path: the deployed one, not the approved one that does not serve.
            assertThat(version.get("versions").toString()).isEqualTo("[\"" + first + "\"]");
            assertThat(version.get("inputs").findValuesAsText("name"))
                    .containsExactlyElementsOf(SampleModels.readmissionSchema().names());
            assertThat(version.get("outputs")).isEqualTo(model.get("outputs"));

            for (String path : List.of(V2 + "/versions/9", V2 + "/versions/9/ready")) {
                assertError(client.exchange("GET", path, null), 404, "VERSION_NOT_FOUND", path);
            }
            for (String path : List.of(V2 + "/versions/abc", V2 + "/versions/abc/ready")) {
                assertError(client.exchange("GET", path, null), 400, "INVALID_REQUEST", path);
            }
        } finally {
            Files.deleteIfExists(stable);
            Files.deleteIfExists(candidate);
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    @Test
    void theServerMetadataNamesTheServerItsVersionAndNoExtensions() throws Exception {
        Path home = Files.createTempDirectory("vigil-oip-it-");
        LocalPlatform platform = null;
        try {
            platform = LocalPlatform.start(home, 0);
            ControlClient client = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "clinical-app"));

            JsonNode server = client.send("GET", "/v2", null, 200);

            assertThat(server.get("name").asText()).isEqualTo("vigil");
            assertThat(server.get("version").asText()).as("the project version, filled in by the build")
                    .matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
            assertThat(server.get("extensions").isArray()).isTrue();
            assertThat(server.get("extensions")).isEmpty();
            assertThat(new ControlClient(platform.baseUri(), null).exchange("GET", "/v2", null).statusCode())
                    .isEqualTo(401);
        } finally {
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    private static void assertReady(ControlClient client, String path, boolean ready) throws Exception {
        HttpResponse<String> response = client.exchange("GET", path, null);
        assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(ready ? 200 : 503);
        JsonNode body = ControlClient.parse(response.body());
        assertThat(body.get("name").asText()).as(path).isEqualTo(MODEL);
        assertThat(body.get("ready").asBoolean()).as(path).isEqualTo(ready);
    }

    private static void assertError(HttpResponse<String> response, int status, String code, String path) {
        assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(status);
        assertThat(ControlClient.parse(response.body()).at("/error/code").asText()).as(path).isEqualTo(code);
    }
}

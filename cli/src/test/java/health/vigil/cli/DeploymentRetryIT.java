package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /models/{name}/versions/{version}/deploy} and {@code POST /models/{name}/rollback} sent again under their
 * {@code Idempotency-Key}, as a client does whose answer was lost, through the local platform's HTTP API: the same key
 * answers the first outcome and changes and records nothing more, also after a later change; a new key is a new request.
 */
class DeploymentRetryIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;

    @Test
    void aRetriedDeployOrRollbackIsDoneOnceAndANewKeyRollsBackAgain() throws Exception {
        Path home = Files.createTempDirectory("vigil-deployment-retry-it-");
        LocalPlatform platform = null;
        try {
            platform = GovernedPath.startWithStableAndApprovedCandidate(home);
            ControlClient operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
            ControlClient compliance = operator.as(LocalAdapters.apiKey(home, "compliance"));
            String deploy = "/models/" + MODEL + "/versions/2/deploy";
            String rollback = "/models/" + MODEL + "/rollback";

            HttpResponse<String> deployed = operator.exchange("POST", deploy, null, Map.of("Idempotency-Key", "deploy-2"));
            HttpResponse<String> redeployed = operator.exchange("POST", deploy, null, Map.of("Idempotency-Key", "deploy-2"));
            HttpResponse<String> rolledBack = operator.exchange("POST", rollback, null, Map.of("Idempotency-Key", "back-1"));
            int records = deployRecords(compliance);
            HttpResponse<String> retried = operator.exchange("POST", rollback, null, Map.of("Idempotency-Key", "back-1"));

            assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);
            assertThat(deployed.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(redeployed.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(ControlClient.parse(redeployed.body())).isEqualTo(ControlClient.parse(deployed.body()));
            assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
            assertThat(ControlClient.parse(rolledBack.body()).at("/slots/0/version").asInt()).isEqualTo(1);
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
            assertThat(retried.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(ControlClient.parse(retried.body())).isEqualTo(ControlClient.parse(rolledBack.body()));
            assertThat(records).as("the first deploy, the deploy of version 2 and the rollback").isEqualTo(3);
            assertThat(deployRecords(compliance)).as("the retry records nothing").isEqualTo(records);
            assertThat(operator.send("GET", "/models/" + MODEL + "/versions/1", null, 200).path("stage").asText())
                    .isEqualTo("PRODUCTION");

            HttpResponse<String> malformed = operator.exchange("POST", rollback, null,
                    Map.of("Idempotency-Key", "back 1"));
            assertThat(malformed.statusCode()).isEqualTo(400);
            assertThat(ControlClient.parse(malformed.body()).at("/error/message").asText()).contains("Idempotency-Key");
            HttpResponse<String> next = operator.exchange("POST", rollback, null, Map.of("Idempotency-Key", "back-2"));
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(ControlClient.parse(next.body()).at("/slots/0/version").asInt()).isEqualTo(2);

            // The first rollback's answer arrives never; its client sends it once more, after the second rollback.
            HttpResponse<String> late = operator.exchange("POST", rollback, null, Map.of("Idempotency-Key", "back-1"));
            assertThat(late.statusCode()).as(late.body()).isEqualTo(200);
            assertThat(late.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            JsonNode first = ControlClient.parse(late.body());
            assertThat(first.at("/slots/0/version").asInt()).isEqualTo(1);
            assertThat(first.path("revision").asLong())
                    .isEqualTo(ControlClient.parse(rolledBack.body()).path("revision").asLong());
            assertThat(first.path("previousVersion").asInt()).isEqualTo(2);
            assertThat(first.has("requests")).as(late.body()).isFalse();
            JsonNode summary = operator.send("GET", "/models/" + MODEL, null, 200).path("summary");
            assertThat(summary.at("/deployment/slots/0/version").asInt()).isEqualTo(2);
            // Other callers' keys and requests are theirs: neither the model nor the list of models shows them.
            assertThat(summary.path("deployment").has("requests")).as(summary.toString()).isFalse();
            assertThat(operator.send("GET", "/models", null, 200).at("/models/0/deployment").has("requests")).isFalse();
        } finally {
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    private static int deployRecords(ControlClient compliance) throws Exception {
        JsonNode page = compliance.send("GET", "/audit/records", null, 200);
        return (int) StreamSupport.stream(page.path("records").spliterator(), false)
                .filter(r -> r.path("action").asText().equals("deployment.deploy")).count();
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Separation of duties on the local platform over HTTP, for a person who holds both {@code Models.Upload} and
 * {@code Datasets.Register} (one Entra account may hold both app roles): whoever uploaded a version may have neither
 * set the gate policy it is judged by nor registered the evaluation data it is judged on, whichever came first.
 */
class SeparationOfDutiesIT {
    private static final String MODEL = GovernedPath.READMISSION;
    private static final String DANA_KEY = "vk_dana0123456789abcdef0123456789abcdef";

    @TempDir
    Path home;
    private ControlClient dana;
    private ControlClient operator;
    private LocalPlatform platform;

    @BeforeEach
    void aPlatformWithAPersonWhoMayUploadAndRegisterData() throws Exception {
        platform = LocalPlatform.start(home, 0);
        Path keys = LocalAdapters.keysFile(home);
        ObjectNode file = (ObjectNode) Json.mapper().readTree(Files.readAllBytes(keys));
        file.withArray("keys").addPOJO(Map.of("id", "dana", "name", "Dana Both", "key", DANA_KEY,
                "roles", List.of("Models.Upload", "Datasets.Register")));
        Files.write(keys, Json.mapper().writeValueAsBytes(file));
        operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
        dana = operator.as(DANA_KEY);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10)); // the key file is read again within a second
        while (dana.exchange("GET", "/models", null).statusCode() == 401 && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
    }

    @AfterEach
    void stop() throws Exception {
        platform.close();
    }

    @Test
    void aVersionJudgedByThePolicyItsUploaderSetOrTheDataItsUploaderRegisteredFailsItsGates() throws Exception {
        String steward = LocalAdapters.apiKey(home, DatasetsCommand.STEWARD);
        DatasetsCommand.register(platform.baseUri(), steward, MODEL, "evaluation.csv",
                GovernedPath.readmissionCsv(SampleModels.readmissionCohort(2000, 4242)), "readmitted", "age", null,
                List.of("admission_type"));
        // Before any version exists, the policy route has no uploader to refuse.
        ObjectNode policy = (ObjectNode) operator.send("GET", "/models/" + MODEL + "/gate-policy", null, 200)
                .get("current");
        policy.remove(List.of("version", "changedBy", "changedAt", "reason"));
        policy.put("aurocFloor", 0.5);
        dana.send("PUT", "/models/" + MODEL + "/gate-policy", Map.of("policy", policy, "reason", "a lower floor"), 200);

        JsonNode first = judged(upload(SampleModels.readmissionLogistic().zip(), "logistic.zip"));

        assertThat(first.path("passed").asBoolean()).isFalse();
        assertThat(check(first, "policy_set_by_another").path("outcome").asText()).isEqualTo("FAILED");
        assertThat(check(first, "policy_set_by_another").path("note").asText()).contains("set policy version 1");

        // Now an uploader, she registers the data the next version is judged on.
        DatasetsCommand.register(platform.baseUri(), DANA_KEY, MODEL, "dana.csv",
                GovernedPath.readmissionCsv(SampleModels.readmissionCohort(2000, 7)), "readmitted", "age", null,
                List.of("admission_type"));

        JsonNode second = judged(upload(SampleModels.readmissionTrees().zip(), "trees.zip"));

        assertThat(check(second, "dataset_registered_by_another").path("outcome").asText()).isEqualTo("FAILED");
        assertThat(operator.send("GET", "/models/" + MODEL + "/versions/2", null, 200).path("stage").asText())
                .isEqualTo("GATES_FAILED");
    }

    private int upload(byte[] zip, String fileName) throws Exception {
        Path file = Files.createTempFile(home, "package", ".zip");
        Files.write(file, zip);
        var uploaded = ModelsCommand.upload(dana, MODEL, file, fileName);
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        return ControlClient.parse(uploaded.body()).at("/version/version").asInt();
    }

    /** The version's gate report once its gates have run. */
    private JsonNode judged(int version) throws Exception {
        String path = "/models/" + MODEL + "/versions/" + version;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)
                && operator.send("GET", path, null, 200).path("stage").asText().matches("REGISTERED|GATES_RUNNING")) {
            Thread.sleep(100);
        }
        return operator.send("GET", path + "/gates", null, 200);
    }

    private static JsonNode check(JsonNode report, String name) {
        for (JsonNode check : report.path("checks")) {
            if (check.path("check").asText().equals(name)) {
                return check;
            }
        }
        throw new AssertionError("the report has no check " + name + ": " + report);
    }
}

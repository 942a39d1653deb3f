package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the models commands print from the API's answers, for the operator reading a terminal. */
class ModelsOutputTest {
    private static JsonNode json(String text) {
        return Json.readTree("an answer", text.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void oneVersionAndOneMissingApproverAreCountedInTheSingular() {
        assertThat(ModelsCommand.modelLine(json("{'name': 'readmission', 'versionCount': 1, 'latest': {'version': 1,"
                + " 'stage': 'REGISTERED'}}"))).isEqualTo("readmission      1 version; latest 1 (REGISTERED)");
        assertThat(ModelsCommand.modelLine(json("{'name': 'readmission', 'versionCount': 2, 'latest': {'version': 2,"
                + " 'stage': 'REGISTERED'}}"))).contains(" 2 versions; ");
        assertThat(ModelsCommand.decisionLine(json("{'version': {'modelName': 'readmission', 'version': 2, 'stage':"
                + " 'GATES_PASSED'}, 'signature': {'meaning': 'APPROVED_FOR_CANARY', 'printedName': 'Approver',"
                + " 'signedAt': '2026-12-01T10:00:00Z', 'packageSha256': '0123456789abcdef0123'},"
                + " 'approvalsStillNeeded': 1}"))).endsWith("; 1 more approver needed");
    }
}

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
                + " 'stage': 'REGISTERED'}}"))).isEqualTo("readmission      1 version; latest 1 (registered)");
        assertThat(ModelsCommand.modelLine(json("{'name': 'readmission', 'versionCount': 2, 'latest': {'version': 2,"
                + " 'stage': 'REGISTERED'}}"))).contains(" 2 versions; ");
        assertThat(ModelsCommand.decisionLine(json("{'version': {'modelName': 'readmission', 'version': 2, 'stage':"
                + " 'GATES_PASSED'}, 'signature': {'meaning': 'APPROVED_FOR_CANARY', 'printedName': 'Approver',"
                + " 'signedAt': '2026-12-01T10:00:00Z', 'packageSha256': '0123456789abcdef0123'},"
                + " 'approvalsStillNeeded': 1}"))).endsWith("; 1 more approver needed");
    }

    @Test
    void aJustificationCannotRewriteTheTerminalOrForgeALineOfTheHistory() {
        // ESC [2J clears the screen; a line break would let the text print a stage change that never happened.
        JsonNode history = json("{'model': 'readmission', 'version': 2, 'stage': 'APPROVED_FOR_CANARY', 'history': ["
                + "{'at': '2026-12-01T10:00:00Z', 'from': 'GATES_PASSED', 'to': 'APPROVED_FOR_CANARY', 'actor':"
                + " 'approver\\u202e', 'reason': 'looks fine\\u001b[2J\\n  2026-12-01T10:01:00Z  canary -> production'}]}");

        String lines = ModelsCommand.historyLines(history);

        assertThat(lines).doesNotContain("\u001b", "\u202e").hasLineCount(2)
                .endsWith("by approver[U+202E]: looks fine[U+001B][2J[U+000A]  2026-12-01T10:01:00Z  canary -> production");
        assertThat(ModelsCommand.versionLine(json("{'modelName': 'readmission', 'version': 2, 'stage': 'REGISTERED',"
                + " 'registeredBy': 'ds\\u0007\\u009b', 'packageSha256': '0123456789abcdef0123'}")))
                .contains("uploaded by ds[U+0007][U+009B],");
        assertThat(ModelsCommand.decisionLine(json("{'version': {'modelName': 'readmission', 'version': 2, 'stage':"
                + " 'APPROVED_FOR_CANARY'}, 'signature': {'meaning': 'APPROVED_FOR_CANARY', 'printedName': 'A\\rB',"
                + " 'signedAt': '2026-12-01T10:00:00Z', 'packageSha256': '0123456789abcdef0123'}}")))
                .contains("by A[U+000D]B at");
    }

    @Test
    void everyCommandShowsStoredTextTheSameWay() {
        assertThat(TerminalText.shown("a\tb\u200Bc\u001b]0;title\u0007")).isEqualTo("a[U+0009]b[U+200B]c[U+001B]]0;title[U+0007]");
        assertThat(TerminalText.shown("caf\u00e9 \u2265 2")).isEqualTo("caf\u00e9 \u2265 2");
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
        // The approver's justification is what they signed for: it is shown back, control characters named.
        assertThat(ModelsCommand.decisionLine(json("{'version': {'modelName': 'readmission', 'version': 2, 'stage':"
                + " 'APPROVED_FOR_CANARY'}, 'signature': {'meaning': 'APPROVED_FOR_CANARY', 'printedName': 'Approver',"
                + " 'signedAt': '2026-12-01T10:00:00Z', 'packageSha256': '0123456789abcdef0123', 'justification':"
                + " 'calibration within limits\\u001b'}}"))).endsWith("for package 0123456789ab…, because"
                + " \"calibration within limits[U+001B]\"");
    }

    @Test
    void aModelsDeploymentIsShownWithItsRevisionAndWriterOrAsNotDeployed() {
        assertThat(ModelsCommand.summaryDeploymentLine(json("{'name': 'readmission', 'versionCount': 1}")))
                .isEqualTo("readmission is not deployed");
        assertThat(ModelsCommand.summaryDeploymentLine(json("{'name': 'readmission', 'versionCount': 3, 'deployment':"
                + " {'modelName': 'readmission', 'revision': 7, 'updatedBy': 'ops\\u001b[2J', 'updatedAt':"
                + " '2026-11-06T10:00:00Z', 'slots': [{'slot': 'stable', 'version': 2, 'weightBasisPoints': 9500},"
                + " {'slot': 'canary', 'version': 3, 'weightBasisPoints': 500}]}}")))
                .isEqualTo("readmission deployment revision 7, written by ops[U+001B][2J at 2026-11-06 10:00:00 UTC:"
                        + " stable v2 95 % canary v3 5 %");
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
    void aGateReportListsEveryCheckWithItsValueThresholdAndOutcome() {
        JsonNode report = json("{'model': 'readmission', 'version': 3, 'passed': false, 'evaluatedAt':"
                + " '2026-12-05T21:36:37.011830600Z', 'productionVersion': 2, 'datasetSha256':"
                + " '766de93f5fdb5b9f253e5820501a13c803587cf1fc3e279f0048edfde4ac28a4', 'datasetRows': 5000,"
                + " 'policyVersion': 1, 'checks': ["
                + "{'gate': 'provenance', 'check': 'code_commit', 'value': 0.0, 'threshold': 'present', 'outcome':"
                + " 'FLAGGED', 'note': 'trained outside a git work tree'},"
                + "{'gate': 'discrimination', 'check': 'auroc', 'value': 0.6728096701288402, 'threshold': '>= 0.65',"
                + " 'ciLower': 0.6514966502644128, 'ciUpper': 0.6941226899932675, 'outcome': 'PASSED', 'note':"
                + " 'absolute floor; 95% DeLong interval'},"
                + "{'gate': 'calibration', 'check': 'slope', 'value': 0.61, 'threshold': 'within [0.8, 1.25]',"
                + " 'outcome': 'FAILED'},"
                + "{'gate': 'explanation', 'check': 'shap_additivity', 'value': 1.873617425207641E-6, 'threshold':"
                + " '<= 1.0E-4', 'outcome': 'PASSED'},"
                + "{'gate': 'compatibility', 'check': 'schema', 'outcome': 'PASSED', 'note': 'same\\u001b[2J schema'}],"
                + " 'notes': ['judged against production version 2']}");

        List<String> lines = ModelsCommand.gatesText(report).lines().toList();

        assertThat(lines.get(0)).isEqualTo("readmission version 3: gates failed calibration; evaluated 2026-12-05"
                + " 21:36:37 UTC against production version 2 on dataset 766de93f5fdb\u2026 (5000 rows), gate policy"
                + " version 1");
        assertThat(lines.get(1)).isEqualTo("  judged against production version 2");
        assertThat(lines.get(2)).isEqualTo("  flagged for review: provenance/code_commit");
        assertThat(lines.get(3)).startsWith("GATE ").contains("CHECK", "VALUE", "THRESHOLD", "OUTCOME", "NOTE");
        assertThat(lines.subList(4, lines.size())).satisfiesExactly(
                l -> assertThat(l.split(" +")).startsWith("provenance", "code_commit", "0", "present", "flagged"),
                l -> assertThat(l).matches("discrimination +auroc +0\\.6728 +>= 0\\.65 +passed +absolute floor; 95% DeLong"
                        + " interval 0\\.6515 to 0\\.6941"),
                l -> assertThat(l.split(" +")).containsExactly("calibration", "slope", "0.61", "within", "[0.8,",
                        "1.25]", "failed"),
                l -> assertThat(l.split(" +")).startsWith("explanation", "shap_additivity", "1.874e-06"),
                l -> assertThat(l).matches("compatibility +schema +- +- +passed +same\\[U\\+001B\\]\\[2J schema"));
    }

    @Test
    void anIntervalWhoseBoundsAreNotFiniteReadsNotComputed() {
        // DeLong with no variance, or a check on too few rows: the bounds reach JSON as the text "NaN".
        JsonNode report = json("{'model': 'readmission', 'version': 3, 'evaluatedAt': '2026-12-05T21:36:37Z',"
                + " 'policyVersion': 1, 'checks': [{'gate': 'discrimination', 'check': 'auroc', 'value': 'NaN',"
                + " 'threshold': '>= 0.65', 'ciLower': 'NaN', 'ciUpper': 'Infinity', 'outcome': 'FAILED', 'note':"
                + " '95% DeLong interval'}]}");

        assertThat(ModelsCommand.gatesText(report).lines().toList().get(2))
                .matches("discrimination +auroc +- +>= 0\\.65 +failed +95% DeLong interval not computed");
    }

    @Test
    void timesReadToTheSecondInUtc() {
        assertThat(ModelsCommand.decisionLine(json("{'version': {'modelName': 'readmission', 'version': 2, 'stage':"
                + " 'APPROVED_FOR_CANARY'}, 'signature': {'meaning': 'APPROVED_FOR_CANARY', 'printedName': 'A',"
                + " 'signedAt': '2026-12-01T10:00:00.123456789Z', 'packageSha256': '0123456789abcdef0123'}}")))
                .contains("by A at 2026-12-01 10:00:00 UTC for package");
        assertThat(ModelsCommand.historyLines(json("{'model': 'readmission', 'version': 2, 'stage': 'REGISTERED',"
                + " 'history': [{'at': '2026-12-01T10:00:00.5Z', 'from': null, 'to': 'REGISTERED', 'actor': 'ds',"
                + " 'reason': 'uploaded'}]}"))).contains("  2026-12-01 10:00:00 UTC  -  ");
        // The longest stage, gates_running, keeps the columns aligned.
        assertThat(ModelsCommand.historyLines(json("{'model': 'readmission', 'version': 2, 'stage': 'GATES_PASSED',"
                + " 'history': [{'at': '2026-12-01T09:59:59Z', 'from': null, 'to': 'REGISTERED', 'actor': 's', 'reason':"
                + " 'r'}, {'at': '2026-12-01T10:00:00Z', 'from': 'REGISTERED', 'to': 'GATES_RUNNING', 'actor': 's',"
                + " 'reason': 'r'}, {'at': '2026-12-01T10:00:01Z', 'from': 'GATES_RUNNING', 'to': 'GATES_PASSED',"
                + " 'actor': 's', 'reason': 'r'}]}")).lines().skip(1).map(l -> l.indexOf(" by ")).distinct())
                .hasSize(1);
    }

    @Test
    void everyCommandShowsStoredTextTheSameWay() {
        assertThat(TerminalText.shown("a\tb\u200Bc\u001b]0;title\u0007")).isEqualTo("a[U+0009]b[U+200B]c[U+001B]]0;title[U+0007]");
        assertThat(TerminalText.shown("caf\u00e9 \u2265 2")).isEqualTo("caf\u00e9 \u2265 2");
    }
}

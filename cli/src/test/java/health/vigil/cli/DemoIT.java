package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil demo} runs the whole loop to the end on a fresh home, and again on the same home. */
class DemoIT {
    @Test
    void theDemoWalksTheGovernedPathForTheThreeModels(@TempDir Path home) {
        String first = runDemo(home);
        assertThat(first).contains("uploaded readmission.zip", "uploaded adherence.zip", "uploaded complications.zip")
                .contains("readmission version 1: stage REGISTERED, uploaded by data-scientist")
                .contains("403 SEPARATION_OF_DUTIES: 'data-scientist' uploaded readmission:1")
                .contains("409 INVALID_STATE: readmission:1 cannot move to production")
                .contains("chain valid: true");
        // The data steward's datasets judge each version; every gate passes on the trained models, so each is
        // approved by someone other than its uploader, deployed and scored.
        assertThat(first).contains("registered by data-steward")
                .containsPattern("readmission version 1: gates_passed \\(\\d+ of \\d+ checks passed")
                .contains("signed 'approved for canary' by Avery Approver")
                .contains("readmission: deployed, revision 1", "adherence: deployed, revision 1",
                        "complications: deployed, revision 1")
                .contains("INVALID_FEATURE");
        // A rebuilt readmission package passes its gates, is approved and starts as a canary on 1 %.
        assertThat(first).containsPattern("uploaded readmission-rebuilt.zip: readmission version \\d+")
                .containsPattern("stable v1 99 %  canary v\\d+ 1 %")
                .containsPattern("canary of version \\d+ against 1: running, step 1 of 5 \\(1 %\\)");

        String again = runDemo(home);
        assertThat(again).contains("readmission.zip is already uploaded").contains("chain valid: true")
                .contains("readmission version 1: stage PRODUCTION")
                .containsPattern("readmission-rebuilt.zip is already uploaded: version \\d+")
                .containsPattern("canary of version \\d+ against 1: running");
    }

    private static String runDemo(Path home) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute("demo", "--home", home.toString(), "--patients", "2");
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(output).isZero();
        return output;
    }
}

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
    void theDemoTrainsRegistersDeploysScoresAndAuditsTheThreeModels(@TempDir Path home) {
        String first = runDemo(home);
        assertThat(first).contains("uploaded readmission.zip", "uploaded adherence.zip", "uploaded complications.zip")
                .contains("readmission version 1: stage REGISTERED")
                .contains("INVALID_FEATURE")
                // The loop closes: drift in the shifted population, degraded performance against its outcomes, a
                // retraining request, and the retrained candidate registered (not deployed) with its lineage.
                .containsPattern("report readmission/v1/stable/\\S+: ALERT")
                .contains("drift in ")
                .containsPattern("AUROC from 600 outcomes 0\\.[0-4]")
                .containsPattern("monitoring.check alert")
                .containsPattern("retrain.request requested")
                .contains("readmission version 2: stage REGISTERED, retrained from version 1 on ")
                .contains("(600 labelled rows)")
                .containsPattern("chain valid: true \\(\\d+ records\\)");

        String again = runDemo(home);
        assertThat(again).contains("readmission.zip is already uploaded")
                .contains("readmission version 1: stage PRODUCTION")
                // A candidate is pending: the new window's alert asks for no second retraining.
                .contains("readmission version 2: stage REGISTERED, retrained from version 1")
                .contains("chain valid: true");
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

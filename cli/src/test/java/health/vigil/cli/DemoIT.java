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
                // three registrations, three deployments, compliance's own read of the trail, and the signing key's
                // publication when the hourly anchor timer fires during the demo
                .containsPattern("chain valid: true \\((7|8) records\\)");

        String again = runDemo(home);
        assertThat(again).contains("readmission.zip is already uploaded")
                .contains("readmission version 1: stage PRODUCTION")
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

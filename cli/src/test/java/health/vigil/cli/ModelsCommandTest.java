package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The models commands' command lines: what they require before anything is sent. */
class ModelsCommandTest {
    private static String errorsOf(String... args) {
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err));
        int exit = line.execute(args);
        assertThat(exit).isEqualTo(2);
        return err.toString();
    }

    @Test
    void approvingAndRejectingNeedAJustification() {
        assertThat(errorsOf("models", "approve", "readmission", "1")).contains("--justification");
        assertThat(errorsOf("models", "reject", "readmission", "1")).contains("--justification");
    }

    @Test
    void uploadingNeedsTheModelItIsFor() {
        assertThat(errorsOf("models", "upload", "package.zip")).contains("--model");
    }

    @Test
    void aCardIsAskedForInOneOfItsThreeFormats() {
        assertThat(errorsOf("models", "card", "readmission", "1", "--format", "pdf"))
                .contains("--format", "html", "markdown", "json");
        assertThat(errorsOf("models", "card", "readmission")).contains("Missing required parameter: '<version>'");
    }
}

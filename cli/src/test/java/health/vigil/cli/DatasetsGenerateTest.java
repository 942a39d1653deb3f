package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.training.HeldOutEvaluationData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vigil datasets generate --out FILE}: a file already there is kept unless {@code --force} is given. */
class DatasetsGenerateTest {
    private static final String KEPT = "age,label\n70,1\n";

    @TempDir
    Path folder;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int generate(String... options) {
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"datasets", "generate", "readmission", "--rows", "20"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        return line.execute(args);
    }

    @Test
    void aFileAlreadyAtOutIsKeptAndTheRunRefusedWithoutForce() throws Exception {
        Path existing = Files.writeString(folder.resolve("eval.csv"), KEPT);

        int exit = generate("--out", existing.toString());

        assertThat(exit).as(err.toString()).isEqualTo(2);
        assertThat(existing).hasContent(KEPT);
        assertThat(err.toString()).isEqualTo("vigil: " + existing + " already exists; give --force to replace it, or"
                + " another --out (INVALID_REQUEST)" + System.lineSeparator());
        try (var files = Files.list(folder)) {
            assertThat(files).containsExactly(existing);
        }
    }

    @Test
    void withForceTheFileIsReplacedByTheGeneratedRows() throws Exception {
        Path existing = Files.writeString(folder.resolve("eval.csv"), KEPT);

        int exit = generate("--out", existing.toString(), "--force");

        assertThat(exit).as(err.toString()).isZero();
        assertThat(Files.readString(existing)).isNotEqualTo(KEPT).contains(HeldOutEvaluationData.LABEL);
        try (var files = Files.list(folder)) {
            assertThat(files).containsExactly(existing);
        }
    }

    @Test
    void theHelpSaysAFileThereIsKeptUnlessForce() {
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));

        line.execute("datasets", "generate", "--help");

        assertThat(out.toString().replaceAll("\\s+", " ")).contains("--force")
                .contains("an existing file is kept unless --force");
    }
}

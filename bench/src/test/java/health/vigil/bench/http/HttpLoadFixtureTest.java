package health.vigil.bench.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code HttpLoadFixture} refuses arguments it cannot run with before it writes or sends anything. */
class HttpLoadFixtureTest {
    private static final String URL = "the http URL the running vigil up listens on, such as http://127.0.0.1:18071";

    @TempDir
    Path dir;

    /**
     * The mode and each of its arguments are checked before any work, with its name and what it must be. Before, a
     * missing argument ended in an index out of bounds, an unknown model only after its folder was created, a
     * malformed URL in a bare URI error, and a home or folder that is not there in a missing file.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|the mode is missing and must be one of prepare, deploy",
        "score|the mode is \"score\" and must be one of prepare, deploy",
        "prepare|DIR is missing and must be the folder to write the model and the request bodies to",
        "prepare {dir}/out sepsis|MODEL is \"sepsis\" and must be one of benchmark, readmission, adherence,"
                + " complications",
        "deploy|HOME is missing and must be the home folder of the running vigil up",
        "deploy {dir}/home|BASE_URL is missing and must be " + URL,
        "deploy {dir}/home http://127.0.0.1:18071|DIR is missing and must be the folder prepare wrote (it holds"
                + " model.name)",
        "deploy {dir}/home 127.0.0.1:18071 {dir}/prepared|BASE_URL is \"127.0.0.1:18071\" and must be " + URL,
        "deploy {dir}/home http://127.0.0.1:18071/a%b {dir}/prepared|BASE_URL is \"http://127.0.0.1:18071/a%b\" and"
                + " must be " + URL,
        "deploy {dir}/absent http://127.0.0.1:1 {dir}/prepared|HOME is \"{dir}/absent\" and must be the home"
                + " folder of the running vigil up",
        "deploy {dir}/home http://127.0.0.1:18071 {dir}/home|DIR is \"{dir}/home\" and must be the folder prepare"
                + " wrote (it holds model.name)"})
    void anArgumentMissingOrOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message)
            throws Exception {
        Files.createDirectories(dir.resolve("home"));
        Files.createDirectories(dir.resolve("prepared"));
        Files.writeString(dir.resolve("prepared/model.name"), "benchmark");
        String[] args = arguments.isEmpty() ? new String[0] : arguments.replace("{dir}", dir.toString()).split(" ");
        assertThatThrownBy(() -> HttpLoadFixture.main(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: HttpLoadFixture prepare DIR [MODEL] | deploy HOME BASE_URL DIR; "
                        + message.replace("{dir}", dir.toString()));
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void theArgumentsRunScriptsPassAreRead() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.writeString(dir.resolve("model.name"), "benchmark");
        assertThat(HttpLoadFixture.parse(new String[] {"prepare", dir.toString()}))
                .isEqualTo(new HttpLoadFixture.Prepare(dir, "benchmark"));
        assertThat(HttpLoadFixture.parse(new String[] {"prepare", dir.toString(), "readmission"}))
                .isEqualTo(new HttpLoadFixture.Prepare(dir, "readmission"));
        assertThat(HttpLoadFixture.parse(new String[] {"deploy", home.toString(), "http://127.0.0.1:18071",
                dir.toString()}))
                .isEqualTo(new HttpLoadFixture.Deploy(home, URI.create("http://127.0.0.1:18071"), dir));
    }
}

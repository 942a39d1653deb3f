package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PlatformAddressTest {
    private static final URI RECORDED = URI.create("http://127.0.0.1:41234/");

    @TempDir
    Path home;

    @Test
    void aCommandWithoutUrlFindsThePlatformThatRunsFromItsHome() throws Exception {
        assertThat(PlatformAddress.resolve(null, home, noVariables())).isEqualTo(PlatformAddress.DEFAULT);

        PlatformAddress.record(home, RECORDED);

        assertThat(PlatformAddress.resolve(null, home, noVariables())).isEqualTo(RECORDED);
        assertThat(Files.getPosixFilePermissions(home.resolve(PlatformAddress.FILE)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // --url wins, then VIGIL_URL.
        URI given = URI.create("http://127.0.0.1:9000");
        assertThat(PlatformAddress.resolve(given, home, noVariables())).isEqualTo(given);
        assertThat(PlatformAddress.resolve(null, home, Map.of("VIGIL_URL", " https://control.example ")::get))
                .isEqualTo(URI.create("https://control.example"));
    }

    @Test
    void aRecordOfAProcessThatNoLongerRunsOrThatCannotBeReadIsIgnored() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(home.resolve(PlatformAddress.FILE), "{\"url\": \"" + RECORDED + "\", \"pid\": " + gone.pid() + "}");
        assertThat(PlatformAddress.resolve(null, home, noVariables())).isEqualTo(PlatformAddress.DEFAULT);

        Files.writeString(home.resolve(PlatformAddress.FILE), "{\"url\": \"" + RECORDED);
        assertThat(PlatformAddress.resolve(null, home, noVariables())).isEqualTo(PlatformAddress.DEFAULT);

        assertThat(PlatformAddress.resolve(null, home.resolve("no-such-home"), noVariables()))
                .isEqualTo(PlatformAddress.DEFAULT);
    }

    @Test
    void theRecordIsRemovedByTheProcessThatWroteItOnly() throws Exception {
        PlatformAddress.record(home, RECORDED);
        PlatformAddress.forget(home);
        assertThat(home.resolve(PlatformAddress.FILE)).doesNotExist();

        String another = "{\"url\": \"" + RECORDED + "\", \"pid\": " + ProcessHandle.current().parent().orElseThrow().pid()
                + "}";
        Files.writeString(home.resolve(PlatformAddress.FILE), another);
        PlatformAddress.forget(home);
        assertThat(home.resolve(PlatformAddress.FILE)).hasContent(another);
    }

    @Test
    void aVigilUrlThatIsNotAnAddressIsNamed() {
        assertThatThrownBy(() -> PlatformAddress.resolve(null, home, Map.of("VIGIL_URL", "http://a b")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("VIGIL_URL is not an address")
                .hasMessageContaining("http://127.0.0.1:7071");
    }

    @Test
    void theOptionsSayWhereTheyLookAndTakeNoFixedAddress() {
        for (String command : new String[] {"models", "batch", "canary", "datasets", "monitor", "lineage"}) {
            CommandLine line = Main.commandLine().getSubcommands().get(command);
            CommandLine leaf = line.getSubcommands().isEmpty() ? line : line.getSubcommands().values().iterator().next();
            CommandLine.Model.OptionSpec url = leaf.getCommandSpec().findOption("--url");
            assertThat(url).as(command).isNotNull();
            assertThat(url.defaultValue()).as(command).isNull();
            assertThat(url.description()[0]).as(command).contains("VIGIL_URL", "vigil up runs from --home",
                    "http://127.0.0.1:7071");
            assertThat(leaf.getCommandSpec().findOption("--home").description()[0]).as(command).contains("VIGIL_HOME");
        }
    }

    private static java.util.function.UnaryOperator<String> noVariables() {
        return name -> null;
    }
}

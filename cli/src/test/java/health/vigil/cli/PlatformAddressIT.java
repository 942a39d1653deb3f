package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A platform on a port of its own, recorded in its home as {@code vigil up} records it: a command given only that
 * home reaches it, without {@code --url}.
 */
class PlatformAddressIT {

    @Test
    void aCommandGivenOnlyTheHomeReachesThePlatformRunningFromIt() throws Exception {
        Path home = Files.createTempDirectory("vigil-platform-address-it-");
        LocalPlatform platform = null;
        try {
            platform = LocalPlatform.start(home, 0);
            PlatformAddress.record(platform.home(), platform.baseUri());

            CommandLine line = Main.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            line.setOut(new PrintWriter(out, true));
            line.setErr(new PrintWriter(err, true));
            int code = line.execute("datasets", "list", "--home", home.toString(), "--json");

            assertThat(code).as(err.toString()).isZero();
            assertThat(err.toString()).isEmpty();
            assertThat(out.toString()).contains("\"datasets\"");
        } finally {
            if (platform != null) {
                PlatformAddress.forget(platform.home());
            }
            GovernedPath.stopAndDelete(platform, home);
        }
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every call to a platform carries an API key: http:// is taken only for a platform on this machine (loopback), and a
 * platform elsewhere is reached over https://, so that the key never crosses a network in clear text.
 */
class RunningPlatformTest {
    @TempDir
    Path home;

    @Test
    void httpToAnotherMachineIsRefusedBeforeAnythingIsSent() {
        for (String url : new String[] {"http://platform.example:7071", "HTTP://control.example.org",
                "http://10.0.0.5:7071", "http://192.168.1.20", "http://128.0.0.1:7071", "http://[2001:db8::1]:7071",
                "http://localhost.example.org", "http://127.0.0.1.example.org:7071", "http://0.0.0.0:7071"}) {
            assertThatThrownBy(() -> new RunningPlatform(URI.create(url), home)).as(url)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("would send the API key in clear text to another machine: use https://");
        }
    }

    /** A password written into --url would be printed by every message naming the platform; it is refused unsaid. */
    @Test
    void anAddressCarryingAUserOrPasswordIsRefusedWithoutRepeatingThem() {
        for (String url : new String[] {"https://ops:s3cret@platform.example:8443", "http://s3cret@127.0.0.1:7071"}) {
            assertThatThrownBy(() -> new RunningPlatform(URI.create(url), home)).as(url)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("--url carries a user name or password before its host")
                    .hasMessageNotContaining("s3cret");
        }
    }

    @Test
    void httpOnLoopbackAndHttpsAnywhereAreTaken() {
        for (String url : new String[] {"http://127.0.0.1:7071", "http://127.10.20.30:1", "http://localhost:7071",
                "http://LocalHost", "http://[::1]:7071", "http://[0:0:0:0:0:0:0:1]:7071", "https://platform.example",
                "https://10.0.0.5:8443", "HTTPS://control.example.org/"}) {
            assertThat(new RunningPlatform(URI.create(url), home).url()).as(url).isEqualTo(URI.create(url));
        }
    }

    @Test
    void aCommandGivenHttpToAnotherMachineSaysToUseHttpsAndExitsAsForACommandLineMistake() {
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err, true));

        int exit = line.execute("models", "list", "--home", home.toString(), "--url", "http://platform.example:7071");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("vigil: --url http://platform.example would send the API key in clear"
                + " text to another machine: use https://").doesNotContain("did not answer");
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil canary status MODEL} after a rollback replaced the deployment that held the canary, against a server on
 * loopback that answers as the platform's {@code GET /models/{name}/canary} then does: 404 naming the kept canary's
 * route, which the command line reads with {@code --version}.
 */
class CanaryStatusCommandTest {
    private final Server server = new Server();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void start() throws Exception {
        base = LoopbackServer.answeringTheOperator(server, home, 404, "{\"error\": {\"code\": \"NOT_FOUND\","
                + " \"message\": \"no canary of `readmission` has been started since its last deployment; the last"
                + " canary, of version 2 (aborted), and its analysis are kept: GET /models/readmission/versions/2/canary;"
                + " start one with POST /models/readmission/canary\"}}", body -> { });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aStatusAfterTheCanaryWasReplacedSaysHowTheCommandLineReadsTheKeptOne() {
        CommandRun run = CommandRun.at(base, home, "canary", "status", "readmission");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).startsWith("404 NOT_FOUND: no canary of `readmission`")
                .contains("\na canary kept after a rollback, deploy or later canary (its version is named above when"
                        + " there is one) is read with: vigil canary status readmission --version N");
    }
}

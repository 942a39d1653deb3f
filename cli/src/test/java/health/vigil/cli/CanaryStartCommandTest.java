package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil canary start --bake}, against a server on loopback that answers a bake time it cannot read as the
 * platform's {@code POST /models/{name}/canary} does, naming the API's field: the command line names its own option.
 */
class CanaryStartCommandTest {
    private final Server server = new Server();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void start() throws Exception {
        base = LoopbackServer.answeringTheOperator(server, home, 400, "{\"error\": {\"code\": \"VALIDATION_FAILED\","
                + " \"message\": \"\\\"bakeTime\\\" must be an ISO-8601 duration such as \\\"PT10M\\\"\"}}", bodies::add);
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aBakeTimeThatIsNotADurationIsRefusedByNamingTheOptionAndTheFormItTakes() {
        CommandRun run = CommandRun.at(base, home, "canary", "start", "readmission", "2", "--bake", "10m");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--bake", "'10m'", "ISO-8601", "PT10M", "PT20S").doesNotContain("bakeTime");
        assertThat(bodies).as("nothing sent to the platform").isEmpty();
    }

    @Test
    void aBakeTimeThatIsADurationIsSentAsTheApisBakeTime() {
        CommandRun.at(base, home, "canary", "start", "readmission", "2", "--bake", "PT20S");

        assertThat(bodies).singleElement().asString().contains("\"bakeTime\":\"PT20S\"");
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
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
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"k-operator\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                bodies.add(Content.Source.asString(request, StandardCharsets.UTF_8));
                LoopbackServer.answer(response, callback, 400, "{\"error\": {\"code\": \"VALIDATION_FAILED\","
                        + " \"message\": \"\\\"bakeTime\\\" must be an ISO-8601 duration such as \\\"PT10M\\\"\"}}");
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aBakeTimeThatIsNotADurationIsRefusedByNamingTheOptionAndTheFormItTakes() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = run(err, "--bake", "10m");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--bake", "'10m'", "ISO-8601", "PT10M", "PT20S")
                .doesNotContain("bakeTime");
        assertThat(bodies).as("nothing sent to the platform").isEmpty();
    }

    @Test
    void aBakeTimeThatIsADurationIsSentAsTheApisBakeTime() {
        run(new ByteArrayOutputStream(), "--bake", "PT20S");

        assertThat(bodies).singleElement().asString().contains("\"bakeTime\":\"PT20S\"");
    }

    private int run(ByteArrayOutputStream err, String... options) {
        PrintStream originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            List<String> args = new java.util.ArrayList<>(List.of("canary", "start", "readmission", "2", "--home",
                    home.toString(), "--url", base.toString()));
            args.addAll(List.of(options));
            return Main.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setErr(originalErr);
        }
    }
}

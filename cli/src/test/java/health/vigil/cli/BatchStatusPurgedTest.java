package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
 * {@code vigil batch status --wait} on a job retention has purged, against a platform on loopback that answers its
 * route 410 as the platform does: the command stops at the first answer, exits 1 and says the platform's code and
 * message (with {@code --json}, the platform's answer as the one JSON document), rather than polling.
 */
class BatchStatusPurgedTest {
    private static final String ID = "3f1c2a4e-9b7d-4c21-8e5f-0a6b7c8d9e10";
    private static final String GONE = "batch " + ID + " (model readmission version 2) finished on 2026-01-02 and its"
            + " files (input, results, summary) were removed by retention on 2026-02-03: batch files are kept 30 days"
            + " after the job finishes (VIGIL_PREDICTION_RETENTION_DAYS); its audit records remain (vigil audit"
            + " export), and the file can be submitted again";

    private final Server server = new Server();
    private final AtomicInteger asked = new AtomicInteger();

    @TempDir
    Path home;

    private URI base;

    @BeforeEach
    void aPlatformWithAPurgedJob() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (request.getHttpURI().getPathQuery().equals("/batches/" + ID)) {
                    asked.incrementAndGet();
                    LoopbackServer.answer(response, callback, 410, Json.write(Map.of("error",
                            Map.of("code", "PURGED_BY_RETENTION", "message", GONE))));
                } else {
                    LoopbackServer.noRoute(response, callback);
                }
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void waitingOnAPurgedJobStopsAtTheFirstAnswerWithItsCodeAndMessage() {
        CommandRun run = CommandRun.at(base, home, "batch", "status", ID, "--wait");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(asked).hasValue(1);
        assertThat(run.err()).contains("410 PURGED_BY_RETENTION: " + GONE);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void withJsonTheOneDocumentIsThePlatformsAnswer() {
        CommandRun run = CommandRun.at(base, home, "batch", "status", ID, "--wait", "--json");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(asked).hasValue(1);
        JsonNode answer = Json.readTree("standard output", run.out().getBytes(StandardCharsets.UTF_8));
        assertThat(answer.at("/error/code").asText()).isEqualTo("PURGED_BY_RETENTION");
        assertThat(answer.at("/error/message").asText()).isEqualTo(GONE);
    }
}

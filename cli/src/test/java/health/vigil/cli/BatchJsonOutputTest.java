package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code vigil batch ... --json} against a platform on loopback: standard output is exactly one JSON document, which a
 * script can parse, and the lines meant for a person (the job submitted, the progress bar) are on standard error.
 */
class BatchJsonOutputTest {
    private static final String RESULTS = "{\"row\":1,\"risk\":0.25}\n{\"row\":2,\"risk\":0.75}\n";

    private final Server server = new Server();

    @TempDir
    Path home;

    private URI base;

    @BeforeEach
    void aPlatformWithACompletedJob() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String target = request.getHttpURI().getPathQuery();
                if (request.getMethod().equals("POST") && target.equals("/batches")) {
                    LoopbackServer.answer(response, callback, 202, "{\"id\": \"b-1\", \"state\": \"RUNNING\"}");
                } else if (target.equals("/batches/b-1")) {
                    LoopbackServer.answer(response, callback, 200, "{\"id\": \"b-1\", \"state\": \"COMPLETED\","
                            + " \"model\": \"readmission\", \"version\": 2, \"rows\": 2,"
                            + " \"rowsDone\": 2, \"scored\": 2,"
                            + " \"refused\": 0, \"results\": \"results/b-1.jsonl\"}");
                } else if (target.equals("/batches/b-1/results?offset=0")) {
                    byte[] page = RESULTS.getBytes(StandardCharsets.UTF_8);
                    response.getHeaders().put("x-vigil-next-offset", page.length);
                    response.getHeaders().put("x-vigil-total-bytes", page.length);
                    LoopbackServer.answer(response, callback, 200, RESULTS);
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
    void submitPrintsTheFinalStatusAloneOnStandardOutput() {
        CommandRun run = CommandRun.at(base, home, "batch", "submit", "--input", "requests/x/discharges.csv",
                "--model", "readmission", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode status = oneJsonDocument(run.out());
        assertThat(status.path("id").asText()).isEqualTo("b-1");
        assertThat(status.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(run.err()).contains("batch b-1 submitted");
    }

    @Test
    void downloadPrintsWhatItWroteAsOneJsonObject() throws Exception {
        Path out = home.resolve("results.jsonl");

        CommandRun run = CommandRun.at(base, home, "batch", "download", "b-1", "--out", out.toString(), "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode wrote = oneJsonDocument(run.out());
        assertThat(wrote.path("id").asText()).isEqualTo("b-1");
        assertThat(wrote.path("out").asText()).isEqualTo(out.toString());
        assertThat(wrote.path("bytes").asLong()).isEqualTo(RESULTS.getBytes(StandardCharsets.UTF_8).length);
        assertThat(Files.readString(out)).isEqualTo(RESULTS);
    }

    @Test
    void withoutJsonTheLinesAreForAPerson() {
        CommandRun submitted = CommandRun.at(base, home, "batch", "submit", "--input", "requests/x/discharges.csv",
                "--model", "readmission");
        assertThat(submitted.out()).startsWith("batch b-1 submitted\nbatch b-1 completed: readmission version 2");

        CommandRun downloaded = CommandRun.at(base, home, "batch", "download", "b-1", "--out",
                home.resolve("plain.jsonl").toString());
        assertThat(downloaded.out()).startsWith("wrote " + RESULTS.getBytes(StandardCharsets.UTF_8).length
                + " bytes of results to ");
    }

    /** The whole of {@code out} read as one JSON document: anything before or after it fails the test. */
    private static JsonNode oneJsonDocument(String out) {
        return Json.readTree("standard output", out.getBytes(StandardCharsets.UTF_8));
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
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
 * Commands whose {@code --url} names another server, one that answers every request with success and JSON of its own
 * ({@code {"status": "ok"}}, as a health endpoint would): an answer the command cannot read ends it with exit 1 and a
 * line saying what was expected, from which address, and that --url may name another server; never a raw exception,
 * and never a success.
 */
class UnreadableAnswerTest {
    private static final String ID = "3f1c2a4e-9b7d-4c21-8e5f-0a6b7c8d9e10";
    private static final String ANOTHER_SERVERS_HINT = "is --url the platform's address, and is no other server or"
            + " proxy answering in its place?";
    private final Server server = new Server();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void anotherServer() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}, {\"id\": \"operator\", \"key\":"
                + " \"k-operator\", \"roles\": [\"Deployments.Operate\"]}, {\"id\": \"clinical-app\", \"key\":"
                + " \"k-clinical-app\", \"roles\": [\"Scoring.Invoke\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Content.Source.asString(request, StandardCharsets.UTF_8);
                LoopbackServer.answer(response, callback, request.getMethod().equals("POST") ? 202 : 200,
                        "{\"status\": \"ok\"}");
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aDownloadAnsweredWithoutItsPagingHeadersSaysWhatWasMissingAndWritesNothing() throws Exception {
        Path out = home.resolve("results.jsonl");

        CommandRun run = CommandRun.at(base, home, "batch", "download", ID, "--out", out.toString());

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("vigil: the platform answered 200 without the header x-vigil-next-offset (a"
                + " whole number of bytes), which Vigil sends with each page of a job's results (GET " + base
                + "/batches/" + ID + "/results): " + ANOTHER_SERVERS_HINT + "\n");
        try (Stream<Path> left = Files.list(home)) {
            assertThat(left).containsExactly(home.resolve("keys.json"));
        }
    }

    @Test
    void aStatusAnsweredWithJsonThatIsNoJobIsAFailureSayingSoNotASuccess() {
        for (String[] status : new String[][] {{"batch", "status", ID}, {"batch", "status", ID, "--wait"}}) {
            CommandRun run = CommandRun.at(base, home, status);

            assertThat(run.exit()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).as(String.join(" ", status)).endsWith("vigil: the platform answered 200 without"
                    + " a batch job's id and state, which Vigil answers with (GET " + base + "/batches/" + ID + "): "
                    + ANOTHER_SERVERS_HINT + "\n");
            assertThat(run.out()).isEmpty();
        }
    }

    @Test
    void aSubmissionAnsweredWithJsonThatIsNoJobIsAFailureSayingSo() {
        CommandRun run = CommandRun.at(base, home, "batch", "submit", "--input", "requests/discharges.csv", "--model",
                "readmission");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("vigil: the platform answered 202 without a batch job's id and state, which"
                + " Vigil answers with (POST " + base + "/batches): " + ANOTHER_SERVERS_HINT + "\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void syntheticTrafficAnsweredWithoutVigilsScoresOrRefusalSaysSoWithTheAddress() {
        CommandRun run = CommandRun.at(base, home, "monitor", "traffic", "readmission", "--count", "1");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("vigil: the platform answered 202 without the error object Vigil refuses a"
                + " request with (POST " + base + "/score/readmission): " + ANOTHER_SERVERS_HINT + "\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aVersionAnsweredWithoutItsPackagesDigestSaysSoNotAsAnException() {
        CommandRun run = CommandRun.at(base, home, "models", "show", "readmission", "2");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("vigil: the platform answered 200 without a version's package sha256, which"
                + " Vigil answers with (GET " + base + "/models/readmission/versions/2): " + ANOTHER_SERVERS_HINT
                + "\n");
        assertThat(run.out()).isEmpty();
    }
}

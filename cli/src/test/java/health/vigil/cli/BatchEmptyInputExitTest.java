package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
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
 * A job whose file held no rows (a nightly export that wrote only its header) completes on the platform; a script
 * running {@code vigil batch submit} or {@code status --wait} is told so by an exit code of its own, unless it said a
 * file without rows is expected ({@code --allow-empty}).
 */
class BatchEmptyInputExitTest {
    private static final String EMPTY = "{\"id\": \"b-0\", \"state\": \"COMPLETED\", \"model\": \"readmission\","
            + " \"version\": 2, \"rows\": 0, \"rowsDone\": 0, \"scored\": 0, \"refused\": 0,"
            + " \"results\": \"batch-output/b-0/results.jsonl\"}";
    private static final String SCORED = "{\"id\": \"b-1\", \"state\": \"COMPLETED\", \"model\": \"readmission\","
            + " \"version\": 2, \"rows\": 2, \"rowsDone\": 2, \"scored\": 2, \"refused\": 0,"
            + " \"results\": \"batch-output/b-1/results.jsonl\"}";
    /** As the platform answers it now: the summary's warnings, in its words. */
    private static final String WARNED_EMPTY = "{\"id\": \"b-2\", \"state\": \"COMPLETED\", \"model\":"
            + " \"readmission\", \"version\": 2, \"rows\": 0, \"rowsDone\": 0, \"scored\": 0, \"refused\": 0,"
            + " \"results\": \"batch-output/b-2/results.jsonl\", \"warnings\": [\"EMPTY_INPUT: the file held no rows"
            + " (a CSV file with only its header, or an empty JSON Lines file), so nothing was scored; check the export"
            + " that wrote it, unless there were no patients to score\"]}";
    private static final String WARNED_OTHERWISE = "{\"id\": \"b-3\", \"state\": \"COMPLETED\", \"model\":"
            + " \"readmission\", \"version\": 2, \"rows\": 2, \"rowsDone\": 2, \"scored\": 2, \"refused\": 0,"
            + " \"results\": \"batch-output/b-3/results.jsonl\", \"warnings\": [\"LATE_ROWS: two rows came after the"
            + " cut-off; check the export's window\"]}";

    private final Server server = new Server();

    @TempDir
    Path home;

    private URI base;

    @BeforeEach
    void aPlatformWithAJobOfNoRowsAndOneOfTwo() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String target = request.getHttpURI().getPathQuery();
                if (request.getMethod().equals("POST") && target.equals("/batches")) {
                    LoopbackServer.answer(response, callback, 202, "{\"id\": \"b-0\", \"state\": \"RUNNING\"}");
                } else if (target.equals("/batches/b-0")) {
                    LoopbackServer.answer(response, callback, 200, EMPTY);
                } else if (target.equals("/batches/b-1")) {
                    LoopbackServer.answer(response, callback, 200, SCORED);
                } else if (target.equals("/batches/b-2")) {
                    LoopbackServer.answer(response, callback, 200, WARNED_EMPTY);
                } else if (target.equals("/batches/b-3")) {
                    LoopbackServer.answer(response, callback, 200, WARNED_OTHERWISE);
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
    void aJobOfNoRowsExitsWithItsOwnCodeAndSaysWhy() {
        CommandRun submitted = CommandRun.at(base, home, "batch", "submit", "--input", "requests/x/nightly.csv",
                "--model", "readmission");
        CommandRun waited = CommandRun.at(base, home, "batch", "status", "b-0", "--wait");
        CommandRun asked = CommandRun.at(base, home, "batch", "status", "b-0");

        for (CommandRun run : new CommandRun[] {submitted, waited, asked}) {
            // The number itself, as documented: scripts test for it.
            assertThat(run.exit()).as(run.err()).isEqualTo(3);
            assertThat(run.out()).contains("batch b-0 completed").contains("0 of 0 rows");
            assertThat(run.err()).contains("the file held no rows").contains("--allow-empty");
        }
    }

    /**
     * The status carries the summary's warnings: the command decides by them and says each in the platform's words,
     * so a script's log tells what to check; a warning other than a file without rows is said, and changes no exit.
     */
    @Test
    void theStatusWarningsDecideTheExitAndAreSaidInThePlatformsWords() {
        CommandRun waited = CommandRun.at(base, home, "batch", "status", "b-2", "--wait");
        CommandRun asked = CommandRun.at(base, home, "batch", "status", "b-2", "--json");
        for (CommandRun run : new CommandRun[] {waited, asked}) {
            assertThat(run.exit()).as(run.err()).isEqualTo(3);
            assertThat(run.err()).contains("batch b-2 completed with a warning: EMPTY_INPUT: the file held no rows")
                    .contains("unless there were no patients to score").contains("--allow-empty");
        }
        assertThat(CommandRun.at(base, home, "batch", "status", "b-2", "--allow-empty").exit()).isZero();

        CommandRun otherwise = CommandRun.at(base, home, "batch", "status", "b-3", "--wait");
        assertThat(otherwise.exit()).as(otherwise.err()).isZero();
        assertThat(otherwise.err()).contains("batch b-3 completed with a warning: LATE_ROWS: two rows came after the"
                + " cut-off; check the export's window");
    }

    @Test
    void withAllowEmptyAJobOfNoRowsIsASuccessAndAJobWithRowsIsOneEitherWay() {
        assertThat(CommandRun.at(base, home, "batch", "submit", "--input", "requests/x/nightly.csv", "--model",
                "readmission", "--allow-empty").exit()).isZero();
        assertThat(CommandRun.at(base, home, "batch", "status", "b-0", "--wait", "--allow-empty").exit()).isZero();
        assertThat(CommandRun.at(base, home, "batch", "status", "b-0", "--allow-empty", "--json").exit()).isZero();
        assertThat(CommandRun.at(base, home, "batch", "status", "b-1", "--wait").exit()).isZero();
    }
}

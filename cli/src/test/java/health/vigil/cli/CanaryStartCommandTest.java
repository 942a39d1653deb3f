package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * {@code --if-revision}, against one that answers as the platform answers a start on a revision replaced since.
 */
class CanaryStartCommandTest {
    private final Server server = new Server();
    private final Server guarded = new Server();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    /** The If-Match of each request the guarded server received ("null" for none). */
    private final List<String> preconditions = new CopyOnWriteArrayList<>();
    /** The Idempotency-Key of each request the guarded server received ("null" for none). */
    private final List<String> keys = new CopyOnWriteArrayList<>();
    /** Whether the guarded server has yet to hang up a request with If-Match "7" without answering it. */
    private final AtomicBoolean loseAnAnswer = new AtomicBoolean(true);
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
        guarded.stop();
    }

    /** A server that starts the canary unless If-Match names revision 4, which a deploy has replaced by 5. */
    private URI guarded() throws Exception {
        return LoopbackServer.start(guarded, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String sent = request.getHeaders().get("If-Match");
                preconditions.add(String.valueOf(sent));
                keys.add(String.valueOf(request.getHeaders().get("Idempotency-Key")));
                if ("\"7\"".equals(sent) && loseAnAnswer.getAndSet(false)) {
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.succeeded();
                } else if ("\"4\"".equals(sent)) {
                    LoopbackServer.answer(response, callback, 409, "{\"error\": {\"code\": \"CONFLICT\","
                            + " \"message\": \"the deployment of `readmission` is at revision 5 (stable version 3,"
                            + " written by ops-lead at 2026-11-06T10:00:00Z), not at revision 4 as If-Match says\"}}");
                } else {
                    LoopbackServer.answer(response, callback, 201, "{\"model\": \"readmission\", \"revision\": 6,"
                            + " \"slots\": [{\"slot\": \"stable\", \"version\": 3, \"weightBasisPoints\": 9900},"
                            + " {\"slot\": \"canary\", \"version\": 2, \"weightBasisPoints\": 100}]}");
                }
                return true;
            }
        });
    }

    @Test
    void withIfRevisionTheStartSendsTheRevisionAsIfMatchAndWithoutItNone() throws Exception {
        URI at = guarded();

        assertThat(CommandRun.at(at, home, "canary", "start", "readmission", "2", "--if-revision", "5").exit())
                .isZero();
        assertThat(CommandRun.at(at, home, "canary", "start", "readmission", "2").exit()).isZero();

        assertThat(preconditions).containsExactly("\"5\"", "null");
    }

    @Test
    void eachStartRunSendsItsOwnIdempotencyKey() throws Exception {
        URI at = guarded();

        assertThat(CommandRun.at(at, home, "canary", "start", "readmission", "2").exit()).isZero();
        assertThat(CommandRun.at(at, home, "canary", "start", "readmission", "2", "--if-revision", "5").exit())
                .isZero();

        assertThat(keys).hasSize(2).doesNotContain("null").doesNotHaveDuplicates()
                .allSatisfy(key -> assertThat(key).matches("[A-Za-z0-9._:-]{1,128}"));
    }

    /**
     * A start whose answer was lost is sent again under the same key and with the same If-Match, which the platform
     * answers as the first one rather than refusing it for the revision its own write moved.
     */
    @Test
    void aStartWhoseAnswerWasLostIsSentAgainUnderTheSameKeyAndRevision() throws Exception {
        CommandRun run = CommandRun.at(guarded(), home, "canary", "start", "readmission", "2", "--if-revision", "7");

        assertThat(run.exit()).isZero();
        assertThat(preconditions).containsExactly("\"7\"", "\"7\"");
        assertThat(keys).hasSize(2).doesNotContain("null").containsOnly(keys.get(0));
    }

    /** A start on a revision a deploy replaced since is the platform's refusal (exit 1), with how to read it again. */
    @Test
    void aStartOnARevisionReplacedSinceIsThePlatformsRefusalAndSaysHowToReadTheRevisionAgain() throws Exception {
        CommandRun run = CommandRun.at(guarded(), home, "canary", "start", "readmission", "2", "--if-revision", "4");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("409 CONFLICT: the deployment of `readmission` is at revision 5 (stable"
                + " version 3, written by ops-lead").contains("read it again with vigil models show readmission");
    }

    @Test
    void anIfRevisionThatNamesNoRevisionIsRefusedBeforeAnythingIsSent() throws Exception {
        CommandRun run = CommandRun.at(guarded(), home, "canary", "start", "readmission", "2", "--if-revision", "0");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--if-revision must be a revision of the deployment, 1 or more");
        assertThat(preconditions).isEmpty();
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

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
import picocli.CommandLine;

/**
 * {@code vigil models deploy NAME VERSION} against a server on loopback that answers as the platform's
 * {@code POST /models/{name}/versions/{version}/deploy}: the operator's key, the route, the deployment in one line,
 * and the platform's refusal as its code and message; {@code vigil rollback}, answered alike, with the version it
 * left; and {@code vigil models list} on a platform with no model.
 */
class ModelsDeployCommandTest {
    private static final String OPERATOR_KEY = "k-operator-0123456789abcdef0123456789";
    private final Server server = new Server();
    /** Method, path and key of each request the server received. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** The Idempotency-Key of each request the server received. */
    private final List<String> keys = new CopyOnWriteArrayList<>();
    /** The If-Match of each request the server received ("null" for none). */
    private final List<String> preconditions = new CopyOnWriteArrayList<>();
    /** Whether a deploy or rollback is refused as the platform refuses one sent on a revision replaced since. */
    private final java.util.concurrent.atomic.AtomicBoolean movedOn = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicInteger status = new AtomicInteger(200);
    /** Whether GET /models answers that nothing is registered. */
    private final java.util.concurrent.atomic.AtomicBoolean empty = new java.util.concurrent.atomic.AtomicBoolean();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"name\": \"Operator\","
                + " \"key\": \"" + OPERATOR_KEY + "\", \"roles\": [\"Deployments.Operate\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                asked.add(request.getMethod() + " " + request.getHttpURI().getPath() + " "
                        + request.getHeaders().get("x-api-key"));
                keys.add(String.valueOf(request.getHeaders().get("Idempotency-Key")));
                preconditions.add(String.valueOf(request.getHeaders().get("If-Match")));
                if (request.getMethod().equals("GET") && request.getHttpURI().getPath().equals("/models/readmission")) {
                    LoopbackServer.answer(response, callback, 200, "{\"summary\": {\"name\": \"readmission\","
                            + " \"versionCount\": 3, \"deployment\": {\"modelName\": \"readmission\","
                            + " \"slots\": [{\"slot\": \"stable\", \"version\": 2, \"weightBasisPoints\": 10000}],"
                            + " \"revision\": 5, \"updatedBy\": \"ops-lead\", \"updatedAt\":"
                            + " \"2026-11-06T10:00:00Z\"}}, \"versions\": []}");
                    return true;
                }
                if (movedOn.get()) {
                    LoopbackServer.answer(response, callback, 409, "{\"error\": {\"code\": \"CONFLICT\","
                            + " \"message\": \"the deployment of `readmission` is at revision 5 (stable version 2,"
                            + " written by ops-lead at 2026-11-06T10:00:00Z), not at revision 4 as If-Match says: it"
                            + " changed after it was read, and nothing was changed now\"}}");
                    return true;
                }
                if (empty.get()) {
                    LoopbackServer.answer(response, callback, 200, "{\"models\": []}");
                    return true;
                }
                LoopbackServer.answer(response, callback, status.get(), status.get() == 200
                        ? "{\"model\": \"readmission\", \"revision\": 4, \"slots\": [{\"slot\": \"stable\","
                                + " \"version\": 3, \"weightBasisPoints\": 10000}], \"previousVersion\": 2}"
                        : "{\"error\": {\"code\": \"INVALID_STATE\", \"message\": \"readmission:3 is registered; only an"
                                + " approved version is deployed\"}}");
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void theOperatorDeploysAVersionAndSeesTheDeploymentInOneLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = run(out, new StringWriter());

        assertThat(exit).isZero();
        assertThat(asked).containsExactly("POST /models/readmission/versions/3/deploy " + OPERATOR_KEY);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("readmission revision 4: stable v3 100 %\n");
    }

    @Test
    void aRollbackSaysWhichVersionItPutBackAndWhichItLeft() {
        CommandRun run = CommandRun.at(base, home, "rollback", "readmission");

        assertThat(run.exit()).isZero();
        assertThat(asked).containsExactly("POST /models/readmission/rollback " + OPERATOR_KEY);
        assertThat(run.out()).isEqualTo("rolled back: readmission revision 4: stable v3 100 %  \nleft: version 2, which"
                + " served before this rollback, takes no live traffic\n");
    }

    @Test
    void eachRollbackAndDeployRunSendsItsOwnIdempotencyKey() {
        assertThat(CommandRun.at(base, home, "rollback", "readmission").exit()).isZero();
        assertThat(CommandRun.at(base, home, "rollback", "readmission").exit()).isZero();
        assertThat(run(new ByteArrayOutputStream(), new StringWriter())).isZero();

        assertThat(keys).hasSize(3).doesNotContain("null").doesNotHaveDuplicates()
                .allSatisfy(key -> assertThat(key).matches("[A-Za-z0-9._:-]{1,128}"));
    }

    @Test
    void withIfRevisionEachRollbackAndDeploySendsTheRevisionAsIfMatchAndWithoutItNone() {
        assertThat(CommandRun.at(base, home, "rollback", "readmission", "--if-revision", "4").exit()).isZero();
        assertThat(CommandRun.at(base, home, "models", "deploy", "readmission", "3", "--if-revision", "12").exit())
                .isZero();
        assertThat(CommandRun.at(base, home, "rollback", "readmission").exit()).isZero();

        assertThat(preconditions).containsExactly("\"4\"", "\"12\"", "null");
        assertThat(asked).containsExactly("POST /models/readmission/rollback " + OPERATOR_KEY,
                "POST /models/readmission/versions/3/deploy " + OPERATOR_KEY,
                "POST /models/readmission/rollback " + OPERATOR_KEY);
    }

    /** A second operator's rollback, sent on the revision the first one's rollback replaced, is a refusal (exit 1). */
    @Test
    void aRollbackOnARevisionReplacedSinceIsThePlatformsRefusalAndSaysHowToReadTheRevisionAgain() {
        movedOn.set(true);
        CommandRun rollback = CommandRun.at(base, home, "rollback", "readmission", "--if-revision", "4");
        CommandRun deploy = CommandRun.at(base, home, "models", "deploy", "readmission", "3", "--if-revision", "4");

        for (CommandRun run : List.of(rollback, deploy)) {
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).startsWith("409 CONFLICT: the deployment of `readmission` is at revision 5 (stable"
                    + " version 2, written by ops-lead").contains("not at revision 4 as If-Match says")
                    .contains("read it again with vigil models show readmission");
        }
        assertThat(preconditions).containsExactly("\"4\"", "\"4\"");
    }

    @Test
    void anIfRevisionThatNamesNoRevisionIsRefusedBeforeAnythingIsSent() {
        CommandRun zero = CommandRun.at(base, home, "rollback", "readmission", "--if-revision", "0");
        CommandRun word = CommandRun.at(base, home, "models", "deploy", "readmission", "3", "--if-revision", "four");

        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--if-revision must be a revision of the deployment, 1 or more, as vigil models"
                + " show MODEL prints it");
        assertThat(word.exit()).isEqualTo(2);
        assertThat(word.err()).contains("--if-revision");
        assertThat(asked).isEmpty();
    }

    /** What an operator reads before a rollback: the deployment's revision, and who wrote it when. */
    @Test
    void modelsShowPrintsTheDeploymentWithItsRevisionFirst() {
        CommandRun run = CommandRun.at(base, home, "models", "show", "readmission");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo("readmission deployment revision 5, written by ops-lead at 2026-11-06 10:00:00"
                + " UTC: stable v2 100 %\n");
    }

    @Test
    void anEmptyPlatformsModelListSaysSoOnStderr() {
        empty.set(true);
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute("models", "list", "--home", home.toString(), "--url", base.toString());
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }

        assertThat(exit).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("vigil: no models are registered yet; upload a"
                + " package with vigil models upload FILE --model NAME");
        assertThat(out.toString(StandardCharsets.UTF_8).strip()).isEmpty();
    }

    @Test
    void aRefusalIsTheCodeAndMessageAndANonZeroExit() {
        status.set(409);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = run(out, new StringWriter());
        } finally {
            System.setErr(originalErr);
        }

        assertThat(exit).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("409 INVALID_STATE: readmission:3 is registered");
        assertThat(out.size()).isZero();
    }

    private int run(ByteArrayOutputStream out, StringWriter err) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            CommandLine line = Main.commandLine();
            line.setErr(new PrintWriter(err, true));
            return line.execute("models", "deploy", "readmission", "3", "--home", home.toString(), "--url",
                    base.toString());
        } finally {
            System.setOut(original);
        }
    }
}

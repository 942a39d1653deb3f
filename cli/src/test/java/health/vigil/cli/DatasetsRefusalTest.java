package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vigil datasets register} refused by the platform: its status's own code, not INVALID_REQUEST for all. */
class DatasetsRefusalTest {
    private final Server server = new Server();
    /** What the server answers, set by {@link #register}. */
    private volatile int answerStatus;
    private volatile String answerJson;
    private URI base;

    @TempDir
    Path home;

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aRefusalCarriesThePlatformsCode() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"data-steward\", \"name\": \"Steward\","
                + " \"key\": \"k-steward-0123456789abcdef0123456789\", \"roles\": [\"Models.Upload\"]}]}");
        Path csv = Files.writeString(home.resolve("eval.csv"), "age,outcome\n40,0\n");
        URI base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                LoopbackServer.answer(response, callback, 403, "{\"error\": {\"code\": \"FORBIDDEN\", \"message\":"
                        + " \"this call needs the role Datasets.Register\"}}");
                return true;
            }
        });
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err, true));

        int exit = line.execute("datasets", "register", csv.toString(), "--model", "readmission", "--label", "outcome",
                "--home", home.toString(), "--url", base.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("vigil: POST /datasets answered 403: this call needs the role"
                + " Datasets.Register (FORBIDDEN)");
    }

    /**
     * The platform's message is shown as every command shows server text: a control character by name, so an answer
     * cannot move the cursor, recolour the terminal or forge a line; and an answer without one is not echoed.
     */
    @Test
    void theMessageReachesTheTerminalWithItsControlCharactersNamedAndAnAnswerWithoutOneIsNotEchoed() throws Exception {
        String refusal = register(409, "{\"error\": {\"code\": \"CONFLICT\", \"message\": \"label \\u001b[31mred"
                + "\\u001b[0m\\nvigil: registered\"}}");
        assertThat(refusal).startsWith("vigil: POST /datasets answered 409: label [U+001B][31mred[U+001B][0m"
                + "[U+000A]vigil: registered (CONFLICT)").doesNotContain("\u001b").hasLineCount(1);

        String unexplained = register(502, "{\"detail\": \"\\u001b]0;title\\u0007 upstream said something\"}");
        assertThat(unexplained).startsWith("vigil: POST /datasets answered 502: no error message (INTERNAL)")
                .doesNotContain("\u001b", "\u0007", "upstream").hasLineCount(1);
    }

    /** What {@code vigil datasets register} prints on standard error when the platform answers {@code json}. */
    private String register(int status, String json) throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"data-steward\", \"name\": \"Steward\","
                + " \"key\": \"k-steward-0123456789abcdef0123456789\", \"roles\": [\"Models.Upload\"]}]}");
        Path csv = Files.writeString(home.resolve("eval.csv"), "age,outcome\n40,0\n");
        if (!server.isStarted()) {
            base = LoopbackServer.start(server, new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    LoopbackServer.answer(response, callback, answerStatus, answerJson);
                    return true;
                }
            });
        }
        answerStatus = status;
        answerJson = json;
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err, true));
        line.execute("datasets", "register", csv.toString(), "--model", "readmission", "--label", "outcome",
                "--home", home.toString(), "--url", base.toString());
        return err.toString();
    }
}

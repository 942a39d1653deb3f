package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

/** {@code vigil datasets list} against a server on loopback that answers as the platform's {@code GET /datasets}. */
class DatasetsCommandTest {
    private final Server server = new Server();
    private static final String STEWARD_KEY = "k-steward-0123456789abcdef0123456789";
    private static final String DEPUTY_KEY = "k-deputy-0123456789abcdef01234567890";
    /** The path and query of each request the server received. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** The API key each request was sent with. */
    private final List<String> keys = new CopyOnWriteArrayList<>();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private URI base;

    @TempDir
    Path home;

    /** Answers every request with no datasets, as the platform does for a model it has none of (or no such model). */
    @BeforeEach
    void start() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"data-steward\", \"name\": \"Steward\","
                + " \"key\": \"" + STEWARD_KEY + "\", \"roles\": [\"Datasets.Register\"]},"
                + " {\"id\": \"deputy-steward\", \"name\": \"Deputy\", \"key\": \"" + DEPUTY_KEY + "\","
                + " \"roles\": [\"Datasets.Register\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                asked.add(request.getHttpURI().getPathQuery());
                keys.add(request.getHeaders().get("x-api-key"));
                LoopbackServer.answer(response, callback, 200, "{\"datasets\": []}");
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    private int list(String... options) {
        CommandLine line = Main.commandLine();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        List<String> args = new java.util.ArrayList<>(List.of("datasets", "list", "--home", home.toString(), "--url",
                base.toString()));
        args.addAll(List.of(options));
        return line.execute(args.toArray(String[]::new));
    }

    @Test
    void aModelWithNoDatasetsSaysSoOnOneLineAndTheListingStaysEmpty() {
        int exit = list("--model", "sepsis");

        assertThat(asked).containsExactly("/datasets?model=sepsis");
        assertThat(exit).isZero();
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("vigil: no evaluation datasets are registered for model 'sepsis';")
                .contains("vigil datasets register FILE --model sepsis").hasLineCount(1);
    }

    @Test
    void asJsonTheEmptyListIsPrintedAsTheApiAnsweredIt() {
        assertThat(list("--model", "sepsis", "--json")).isZero();
        assertThat(out.toString()).contains("\"datasets\" : [ ]");
        assertThat(err.toString()).isEmpty();
    }

    /** The datasets commands call as the data steward unless --as names another persona of keys.json. */
    @Test
    void theDataStewardIsTheUsualPersonaAndAsNamesAnother() {
        assertThat(list("--model", "sepsis")).isZero();
        assertThat(list("--model", "sepsis", "--as", "deputy-steward")).isZero();

        assertThat(keys).containsExactly(STEWARD_KEY, DEPUTY_KEY);
    }

    /** --as is the one the other platform commands share; the help says the data steward is the usual persona. */
    @Test
    void theHelpSaysTheCommandsCallAsTheDataStewardAndAsIsTheSharedOption() {
        for (String command : new String[] {"register", "list"}) {
            CommandLine line = Main.commandLine();
            StringWriter help = new StringWriter();
            line.setOut(new PrintWriter(help, true));
            assertThat(line.execute("datasets", command, "--help")).isZero();
            String text = help.toString().replaceAll("\\s+", " ");
            assertThat(text).as(command).contains("as the data steward (data-steward in keys.json) unless --as names"
                    + " another persona").contains("--as=<persona> Call with this persona's key from keys.json instead");
        }
        assertThat(asked).isEmpty();
    }

    /**
     * {@code vigil datasets} refuses the addresses the models, monitor and lineage commands refuse (a path, a query,
     * another scheme), with the same message, before anything is sent: a path was dropped by every call.
     */
    @Test
    void aUrlThatIsNotThePlatformsAddressIsRefusedAsTheOtherPlatformCommandsDo() throws Exception {
        Path csv = Files.writeString(home.resolve("evaluation.csv"), "age,label\n70,1\n");
        for (String url : new String[] {base + "/v2", "ftp://" + base.getAuthority(), base + "/?x=1"}) {
            for (List<String> command : List.of(List.of("datasets", "list"),
                    List.of("datasets", "register", csv.toString(), "--model", "readmission", "--label", "label"))) {
                CommandLine line = Main.commandLine();
                StringWriter refused = new StringWriter();
                line.setErr(new PrintWriter(refused, true));
                List<String> args = new java.util.ArrayList<>(command);
                args.addAll(List.of("--home", home.toString(), "--url", url));

                assertThat(line.execute(args.toArray(String[]::new))).as(args.toString()).isEqualTo(2);
                assertThat(refused.toString()).as(args.toString()).startsWith("vigil: --url is the platform's address:"
                        + " http:// or https://, a host and a port, no path or query");
            }
        }
        assertThat(asked).isEmpty();
    }

    @Test
    void aNameThatCannotBeAModelIsRefusedBeforeAnythingIsSent() {
        assertThat(list("--model", "a&b=c")).isEqualTo(2);
        assertThat(err.toString()).startsWith("vigil: model name").contains("lower-case letters");
        assertThat(asked).isEmpty();
    }
}

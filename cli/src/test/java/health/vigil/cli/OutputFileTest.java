package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

/**
 * {@code vigil batch download --out} and {@code vigil models card --out} against a platform on loopback: a file
 * already under the name is kept and the run refused (exit 2) unless {@code --force}, before the platform is asked.
 */
class OutputFileTest {
    private static final String RESULTS = "{\"row\":1,\"risk\":0.25}\n{\"row\":2,\"risk\":0.75}\n";
    private static final String CARD = "# Model card: readmission version 1\n";
    private static final String EARLIER = "results of an earlier job\n";

    private final Server server = new Server();
    /** The method and path of each request the server received. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** A file the server writes under this name while it answers the results page; none when null. */
    private volatile Path appearsWhileServed;

    @TempDir
    Path home;

    private URI base;

    @BeforeEach
    void aPlatformWithACompletedJobAndACard() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}, {\"id\": \"approver\", \"key\":"
                + " \"k-approver\", \"roles\": [\"Models.Approve\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String target = request.getHttpURI().getPathQuery();
                asked.add(request.getMethod() + " " + target);
                if (target.equals("/batches/b-1/results?offset=0")) {
                    if (appearsWhileServed != null) {
                        Files.writeString(appearsWhileServed, EARLIER);
                    }
                    byte[] page = RESULTS.getBytes(StandardCharsets.UTF_8);
                    response.getHeaders().put("x-vigil-next-offset", page.length);
                    response.getHeaders().put("x-vigil-total-bytes", page.length);
                    LoopbackServer.answer(response, callback, 200, RESULTS);
                } else if (target.equals("/models/readmission/versions/1/card")) {
                    byte[] card = CARD.getBytes(StandardCharsets.UTF_8);
                    response.setStatus(200);
                    response.getHeaders().put("Content-Type", "text/markdown");
                    response.getHeaders().put("Content-Length", card.length);
                    response.write(true, java.nio.ByteBuffer.wrap(card), callback);
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
    void aDownloadOntoAnExistingFileIsRefusedBeforeThePlatformIsAskedAndTheFileKept() throws Exception {
        Path out = Files.writeString(home.resolve("results.jsonl"), EARLIER);

        CommandRun run = CommandRun.at(base, home, "batch", "download", "b-1", "--out", out.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("vigil: " + out + " already exists; give --force to replace it, or another"
                + " --out").hasLineCount(1);
        assertThat(Files.readString(out)).isEqualTo(EARLIER);
        assertThat(asked).isEmpty();
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void withForceTheDownloadReplacesTheFileWithAnOwnerOnlyOne() throws Exception {
        Path out = Files.writeString(home.resolve("results.jsonl"), EARLIER);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r--r--"));

        CommandRun run = CommandRun.at(base, home, "batch", "download", "b-1", "--out", out.toString(), "--force");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(Files.readString(out)).isEqualTo(RESULTS);
        assertThat(Files.getPosixFilePermissions(out)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(temporaryFiles()).isEmpty();
    }

    /** A link under the name is there too, even one that points nowhere: moving onto it would replace it. */
    @Test
    void aLinkUnderTheNameIsAnExistingFile() throws Exception {
        Path out = Files.createSymbolicLink(home.resolve("results.jsonl"), home.resolve("nowhere.jsonl"));

        CommandRun run = CommandRun.at(base, home, "batch", "download", "b-1", "--out", out.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("already exists; give --force");
        assertThat(Files.isSymbolicLink(out)).isTrue();
        assertThat(home.resolve("nowhere.jsonl")).doesNotExist();
        assertThat(asked).isEmpty();
    }

    /** A file written under the name while the results downloaded (another run, another program) is kept too. */
    @Test
    void aFileThatAppearsWhileTheResultsDownloadIsKeptAndThePartFileRemoved() throws Exception {
        Path out = home.resolve("results.jsonl");
        appearsWhileServed = out;

        CommandRun run = CommandRun.at(base, home, "batch", "download", "b-1", "--out", out.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains(out + " already exists; give --force to replace it");
        assertThat(Files.readString(out)).isEqualTo(EARLIER);
        assertThat(asked).containsExactly("GET /batches/b-1/results?offset=0");
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void aCardOntoAnExistingFileIsRefusedBeforeThePlatformIsAskedAndForceReplacesIt() throws Exception {
        Path out = Files.writeString(home.resolve("card.md"), "a card an approver annotated\n");

        CommandRun refused = CommandRun.at(base, home, "models", "card", "readmission", "1", "--out", out.toString());

        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).startsWith("vigil: " + out + " already exists; give --force to replace it, or"
                + " another --out").hasLineCount(1);
        assertThat(Files.readString(out)).isEqualTo("a card an approver annotated\n");
        assertThat(asked).isEmpty();

        CommandRun forced = CommandRun.at(base, home, "models", "card", "readmission", "1", "--out", out.toString(),
                "--force");

        assertThat(forced.exit()).as(forced.err()).isZero();
        assertThat(Files.readString(out)).isEqualTo(CARD);
        assertThat(Files.getPosixFilePermissions(out)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(temporaryFiles()).isEmpty();
    }

    @Test
    void aCardIntoAFolderIsRefusedEvenWithForce() throws Exception {
        Path folder = Files.createDirectory(home.resolve("cards"));

        CommandRun run = CommandRun.at(base, home, "models", "card", "readmission", "1", "--out", folder.toString(),
                "--force");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("vigil: " + folder + " is a folder; give --out the card file's own name");
        assertThat(Files.isDirectory(folder)).isTrue();
        assertThat(asked).isEmpty();
    }

    /** What a run left in the home besides keys.json and the test's own files: a part or temporary file. */
    private List<String> temporaryFiles() throws Exception {
        try (var files = Files.list(home)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }
}

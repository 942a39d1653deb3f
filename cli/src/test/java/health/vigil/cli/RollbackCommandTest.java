package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
 * {@code vigil rollback NAME} against a server on loopback that answers as the platform's
 * {@code POST /models/{name}/rollback}: the deployment it wrote, and the version it took off live traffic.
 */
class RollbackCommandTest {
    private final Server server = new Server();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"k-operator\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                LoopbackServer.answer(response, callback, 200, "{\"model\": \"readmission\", \"revision\": 5,"
                        + " \"slots\": [{\"slot\": \"stable\", \"version\": 1, \"weightBasisPoints\": 10000}],"
                        + " \"previousVersion\": 2}");
                return true;
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aRollbackSaysWhichVersionItPutBackAndWhichItLeft() {
        PrintStream originalOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute("rollback", "readmission", "--home", home.toString(), "--url",
                    base.toString());
        } finally {
            System.setOut(originalOut);
        }

        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("rolled back: readmission revision 5: stable v1"
                + " 100 %  \nleft: version 2, which served before this rollback, takes no live traffic\n");
    }
}

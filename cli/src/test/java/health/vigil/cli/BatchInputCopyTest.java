package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy {@code vigil batch submit FILE} puts into a local platform's {@code batch-input}: patients' records. */
class BatchInputCopyTest {
    @TempDir
    Path dir;

    /** A wrong --url: no try of the submission reached a platform, so no job will ever read the copy. */
    @Test
    void aSubmitThatReachesNoPlatformLeavesNoCopyOfTheFileBehind() throws Exception {
        Path home = aHomeWithTheAnalystsKey();
        URI wrong = LoopbackServer.aPortNothingListensAt();

        CommandRun run = CommandRun.at(wrong, home, "batch", "submit", discharges().toString(), "--model",
                "readmission");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("vigil: the platform did not answer at " + wrong);
        assertThat(filesIn(home.resolve("blobs").resolve("batch-input"))).isEmpty();
    }

    /** A submission the platform may have taken (its answer lost) may have started a job that reads the copy. */
    @Test
    void aSubmitWhoseAnswerWasLostKeepsTheCopyTheJobMayRead() throws Exception {
        Path home = aHomeWithTheAnalystsKey();
        Server server = new Server();
        try {
            URI hangingUp = LoopbackServer.start(server, new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.succeeded();
                    return true;
                }
            });

            CommandRun run = CommandRun.at(hangingUp, home, "batch", "submit", discharges().toString(), "--model",
                    "readmission");

            assertThat(run.exit()).as(run.err()).isEqualTo(1);
            assertThat(filesIn(home.resolve("blobs").resolve("batch-input"))).hasSize(1);
        } finally {
            server.stop();
        }
    }

    private Path aHomeWithTheAnalystsKey() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}]}");
        return home;
    }

    private Path discharges() throws Exception {
        return Files.writeString(dir.resolve("discharges.csv"), "patientId,age\np-1,71\n");
    }

    /** The regular files under {@code folder}, none when it is not there. */
    private static List<Path> filesIn(Path folder) throws Exception {
        if (!Files.exists(folder)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(folder)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void theCopyOfAPatientFileIsOwnerOnlyWhateverTheSourceFilesModeAndHoldsItsBytes() throws Exception {
        Path source = dir.resolve("discharges.csv");
        byte[] rows = "patientId,age\np-1,71\n".getBytes(StandardCharsets.UTF_8);
        Files.write(source, rows);
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        Path home = dir.resolve("home");

        String name = BatchCommand.copyIntoBatchInput(home, source);

        Path copy = home.resolve("blobs").resolve("batch-input").resolve(name);
        assertThat(Files.readAllBytes(copy)).isEqualTo(rows);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.getParent())))
                .isEqualTo("rwx------");
        try (var left = Files.list(copy.getParent())) {
            assertThat(left).containsExactly(copy);
        }
    }
}

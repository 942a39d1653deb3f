package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UpCommandTest {
    @TempDir
    Path home;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theAzureEmulatorsAreNotStartedOnAHomeWithBlobsOfAnEarlierRunAndNothingIsDeleted() throws Exception {
        // What Azurite left of an earlier run: its metadata and an extent, while the Cosmos DB server kept nothing.
        Path azurite = Files.createDirectories(home.resolve("emulators").resolve("azurite"));
        Path metadata = Files.writeString(azurite.resolve("__azurite_db_blob__.json"), "{}");

        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err, true));
        int code = line.execute("up", "--azure-emulators", "--port", "0", "--home", home.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).doesNotContain("\n")
                .contains("blobs from an earlier run", "Cosmos DB server keeps nothing across restarts",
                        "new --home", "emulators/azurite")
                .doesNotContain(home.toString());
        assertThat(metadata).exists();
        // Refused before anything started: no emulator logs, no keys.
        assertThat(home.resolve("emulators").resolve("logs")).doesNotExist();
        assertThat(home.resolve("keys.json")).doesNotExist();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPortInUseIsRefusedBeforeTheHomeAndItsKeysAreCreated() throws Exception {
        Path fresh = home.resolve("fresh");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CommandLine line = Main.commandLine();
            StringWriter err = new StringWriter();
            line.setErr(new PrintWriter(err, true));
            int code = line.execute("up", "--port", Integer.toString(taken.getLocalPort()), "--home", fresh.toString());

            assertThat(code).isNotZero();
            assertThat(err.toString()).contains("port " + taken.getLocalPort(), "in use", "choose another port");
        }
        assertThat(fresh).doesNotExist();
    }

    @Test
    void anEmptyAzuriteFolderIsNoEarlierRun() throws Exception {
        Files.createDirectories(home.resolve("emulators").resolve("azurite"));

        LocalPlatform.refuseBlobsOfAnEarlierRun(home);
        LocalPlatform.refuseBlobsOfAnEarlierRun(home.resolve("never-started"));
    }

    @Test
    void theHelpSaysWhatARestartNeeds() {
        String help = new CommandLine(new UpCommand()).getUsageMessage();

        assertThat(help.replaceAll("\\s+", " ")).contains("keeps nothing across restarts", "new --home");
    }
}

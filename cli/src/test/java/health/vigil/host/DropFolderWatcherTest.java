package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drop folder's ledger of what it raised, when it cannot be written. */
class DropFolderWatcherTest {
    @TempDir
    Path home;

    @Test
    void aLedgerThatCannotBeWrittenLeavesNoTemporaryFileBehindAndTheFileIsStillRaised() throws Exception {
        Path drop = home.resolve("models");
        Path state = Files.createDirectories(home.resolve("state"));
        Path ledger = state.resolve("drop-folder-raised.json");
        // A folder that is not empty where the ledger goes: moving the written ledger into place fails.
        Files.writeString(Files.createDirectories(ledger).resolve("in-the-way"), "x");
        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher watcher = new DropFolderWatcher(drop, "models", Duration.ofMillis(20),
                (name, file) -> { }, raised::add, Clock.systemUTC(), ledger)) {
            watcher.start();
            Files.writeString(drop.resolve("package.zip"), "a package");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (raised.isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // a few more scans, none of which raises it again
        }

        assertThat(raised).hasSize(1);
        try (Stream<Path> files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("drop-folder-raised.json");
        }
    }
}

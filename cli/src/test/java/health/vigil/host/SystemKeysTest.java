package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's Event Grid key: one per home, never empty, owner-only. */
class SystemKeysTest {
    @TempDir
    Path home;

    private Path keyFile() {
        return home.resolve("host-keys").resolve("eventgrid_extension.key");
    }

    @Test
    void theKeyIsCreatedOnceOwnerOnlyAndReadBackAfterwards() throws Exception {
        String key = SystemKeys.eventGrid(home);

        assertThat(key).matches("[0-9a-f]{64}");
        assertThat(SystemKeys.eventGrid(home)).isEqualTo(key);
        assertThat(Files.readString(keyFile(), StandardCharsets.US_ASCII)).isEqualTo(key);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile()))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile().getParent())))
                    .isEqualTo("rwx------");
        }
        // Nothing but the key and its lock file is left in the folder.
        try (Stream<Path> files = Files.list(keyFile().getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "eventgrid_extension.key", ".eventgrid_extension.lock");
        }
    }

    @Test
    void anEmptyOrShortKeyFileIsReplacedByANewKey() throws Exception {
        for (String left : List.of("", "\n", "0123456789abcdef")) {
            Files.createDirectories(keyFile().getParent());
            Files.writeString(keyFile(), left, StandardCharsets.US_ASCII);

            String key = SystemKeys.eventGrid(home);

            assertThat(key).as("after %s", left.length()).matches("[0-9a-f]{64}");
            assertThat(Files.readString(keyFile(), StandardCharsets.US_ASCII)).isEqualTo(key);
            assertThat(SystemKeys.eventGrid(home)).isEqualTo(key);
        }
    }

    @Test
    void aKeyOfItsOwnIsKeptWhenLongEnough() throws Exception {
        Files.createDirectories(keyFile().getParent());
        String own = "an-operators-own-key-of-forty-characters";
        Files.writeString(keyFile(), own + "\n", StandardCharsets.US_ASCII);

        assertThat(SystemKeys.eventGrid(home)).isEqualTo(own);
    }

    @Test
    void callersAtOnceAllGetTheOneKeyOnDisk() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Callable<String>> calls = IntStream.range(0, 16).<Callable<String>>mapToObj(i -> () ->
                    SystemKeys.eventGrid(home)).toList();
            List<String> keys = threads.invokeAll(calls).stream().map(SystemKeysTest::get).distinct().toList();

            assertThat(keys).containsExactly(Files.readString(keyFile(), StandardCharsets.US_ASCII));
        } finally {
            threads.shutdownNow();
        }
    }

    private static String get(Future<String> future) {
        try {
            return future.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anEmptyKeyMatchesNothing() {
        assertThat(SystemKeys.matches("", "")).isFalse();
        assertThat(SystemKeys.matches("", "anything")).isFalse();
        assertThat(SystemKeys.matches("key", "")).isFalse();
        assertThat(SystemKeys.matches("key", null)).isFalse();
        assertThat(SystemKeys.matches("key", "kex")).isFalse();
        assertThat(SystemKeys.matches("key", "key")).isTrue();
    }
}

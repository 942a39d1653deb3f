package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import health.vigil.contract.Parallel;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.port.SecretProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the key-file provider adds to the port's contract: files, permissions, restarts, racing first use. */
class FileSecretProviderTest {
    private static final String KEY = SecretProvider.PSEUDONYMISATION_KEY;

    @TempDir
    Path home;

    private Path keyFile() {
        return home.resolve("secrets").resolve(KEY + ".key");
    }

    @Test
    void generatesA32ByteKeyFileOnFirstUseAndReadsItAfterARestart() throws IOException {
        byte[] first = FileSecretProvider.open(home).secret(KEY);

        assertThat(first).hasSize(32);
        assertThat(Files.readAllBytes(keyFile())).isEqualTo(first);
        assertThat(FileSecretProvider.open(home).secret(KEY)).isEqualTo(first);
    }

    @Test
    void theKeyFileAndItsFolderAreForTheOwnerOnly() throws IOException {
        assumeTrue(home.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");

        FileSecretProvider.open(home).secret(KEY);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile().getParent())))
                .isEqualTo("rwx------");
    }

    @Test
    void processesRacingToCreateTheKeyAllEndUpWithTheSameOne() throws Exception {
        List<byte[]> keys = Parallel.run(8, t -> FileSecretProvider.open(home).secret(KEY));

        assertThat(keys).allSatisfy(k -> assertThat(k).isEqualTo(keys.get(0)));
        try (Stream<Path> files = Files.list(keyFile().getParent())) {
            assertThat(files).containsExactly(keyFile());
        }
    }

    @Test
    void keysAreRandomPerNameAndPerHome(@TempDir Path otherHome) {
        FileSecretProvider provider = FileSecretProvider.open(home);

        byte[] key = provider.secret(KEY);

        assertThat(provider.secret("api-signing")).isNotEqualTo(key);
        assertThat(FileSecretProvider.open(otherHome).secret(KEY)).isNotEqualTo(key);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../keys", "a/b", "Upper", "-leading", "trailing-", "with.dot"})
    void refusesNamesThatAreNotPlainKeyNames(String bad) {
        FileSecretProvider provider = FileSecretProvider.open(home);

        assertThatThrownBy(() -> provider.secret(bad)).isInstanceOf(ValidationException.class);
        assertThat(home.resolve("secrets")).doesNotExist();
    }

    @Test
    void aTruncatedKeyFileIsRefusedRatherThanUsedOrReplaced() throws IOException {
        Files.createDirectories(keyFile().getParent());
        Files.write(keyFile(), new byte[5]);

        assertThatThrownBy(() -> FileSecretProvider.open(home).secret(KEY))
                .isInstanceOf(StoreException.class).hasMessageContaining("5 bytes");
        assertThat(Files.size(keyFile())).isEqualTo(5);
    }
}

package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyFilesTest {
    @TempDir
    Path dir;

    @Test
    void aReplacedFileIsOwnerOnlyInOwnerOnlyFoldersHoldsTheNewBytesAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("new/folder/data.csv");
        OwnerOnlyFiles.replace(file, "a,b\n".getBytes(StandardCharsets.UTF_8));
        // A file that was readable by others is replaced by an owner-only one.
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThat(OwnerOnlyFiles.replace(file, "c,d\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(file);

        assertThat(Files.readString(file)).isEqualTo("c,d\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("new"))))
                .isEqualTo("rwx------");
        try (var left = Files.list(file.getParent())) {
            assertThat(left).containsExactly(file);
        }
    }
}

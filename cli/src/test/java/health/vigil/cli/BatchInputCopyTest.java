package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy {@code vigil batch submit FILE} puts into a local platform's {@code batch-input}: patients' records. */
class BatchInputCopyTest {
    @TempDir
    Path dir;

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

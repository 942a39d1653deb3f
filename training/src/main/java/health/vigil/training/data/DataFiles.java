package health.vigil.training.data;

import health.vigil.error.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a data file whole (its sha256 is the dataset's), with a message that says which file is missing or is a
 * folder.
 */
public final class DataFiles {
    private DataFiles() {}

    public static byte[] read(Path file, String what) {
        if (Files.isDirectory(file)) {
            throw new ValidationException(what + " is a folder, not a file: " + file.getFileName()
                    + "; give the path of the CSV file itself (docs/models.md names each model's)");
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ValidationException(what + " does not exist: " + file.getFileName());
        } catch (IOException e) {
            throw new UncheckedIOException(what + " could not be read", e);
        }
    }
}

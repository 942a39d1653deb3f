package health.vigil.cli;

import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.error.ValidationException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A file a command writes with {@code --out}: an existing one is kept unless {@code --force} is given, and the file is
 * written into an owner-only temporary file beside it, then moved into place whole, so a run that stops part-way
 * leaves nothing under the name and a reader sees the old file or the new one.
 */
final class OutputFile {
    private OutputFile() {}

    /**
     * Refuses, before anything is fetched, an {@code out} already there (a file, or a link, even one to nothing) unless
     * {@code force}: a second download or card must not replace the first one unasked.
     */
    static void refuseExisting(Path out, boolean force) {
        if (!force && Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            throw alreadyThere(out);
        }
    }

    /**
     * A new owner-only (0600) temporary file in {@code out}'s folder, its name between {@code prefix} and
     * {@code suffix}; removed when the JVM exits if it is still there (Ctrl-C or a kill skips the callers' finally
     * blocks).
     */
    static Path besideIt(Path out, String prefix, String suffix) throws IOException {
        Path temporary = OwnerOnlyFiles.createTempFile(out.toAbsolutePath().getParent(), prefix, suffix);
        temporary.toFile().deleteOnExit();
        return temporary;
    }

    /**
     * Moves {@code written} (made by {@link #besideIt}) onto {@code out}: over a file there only with {@code force}. A
     * file that appeared under the name while this one was written is kept and the run refused, as up front.
     */
    static void moveIntoPlace(Path written, Path out, boolean force) throws IOException {
        if (force) {
            Files.move(written, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try {
            // Without ATOMIC_MOVE, which replaces whatever is there on POSIX: the move checks the name first, then
            // renames within the folder (the temporary file is beside the target), which is still one step.
            Files.move(written, out);
        } catch (FileAlreadyExistsException appeared) {
            throw alreadyThere(out);
        }
    }

    /** Writes {@code bytes} to {@code out} as {@link #moveIntoPlace} puts them there. */
    static void write(Path out, byte[] bytes, boolean force) throws IOException {
        Path temporary = besideIt(out, "." + out.getFileName() + "-", ".tmp");
        try {
            try (OutputStream file = Files.newOutputStream(temporary, StandardOpenOption.TRUNCATE_EXISTING)) {
                file.write(bytes);
            }
            moveIntoPlace(temporary, out, force);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static ValidationException alreadyThere(Path out) {
        return new ValidationException(out + " already exists; give --force to replace it, or another --out");
    }
}

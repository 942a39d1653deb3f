package health.vigil.adapter.local;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Creates the folders and files of the Vigil home so that only its owner can read them from the first byte:
 * folders 0700 and files 0600 are asked for when they are created, never fixed up afterwards, because a file
 * written under the default umask is readable by everyone until the fix-up runs. On a file system without
 * POSIX permissions the folder's own access rules apply.
 */
public final class OwnerOnlyFiles {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] FOLDER = attributes("rwx------");
    private static final FileAttribute<?>[] FILE = attributes("rw-------");

    private OwnerOnlyFiles() {}

    /** Creates {@code folder} and every missing parent, each 0700; existing folders are left as they are. */
    public static Path createFolders(Path folder) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = folder.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        while (!missing.isEmpty()) {
            Path next = missing.pop();
            try {
                Files.createDirectory(next, FOLDER);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(next)) {
                    throw e; // a file stands where the folder should be
                }
                // otherwise a concurrent caller made it first
            }
        }
        return folder;
    }

    /** Creates an empty 0600 file unless it exists, so that whatever later writes into it inherits the mode. */
    public static Path createFileIfAbsent(Path file) throws IOException {
        createFolders(file.toAbsolutePath().getParent());
        try {
            Files.createFile(file, FILE);
        } catch (FileAlreadyExistsException e) {
            // kept: an existing file keeps its data and its mode
        }
        return file;
    }

    /** A new 0600 temporary file in {@code folder}, which is created 0700 if missing. */
    public static Path createTempFile(Path folder, String prefix, String suffix) throws IOException {
        createFolders(folder);
        return Files.createTempFile(folder, prefix, suffix, FILE);
    }

    /**
     * Writes {@code bytes} to {@code file}, replacing what was there, through a 0600 temporary file in its folder
     * (created 0700 if missing) moved into place whole: readers see the old file or the new one, and the new one is
     * owner-only from its first byte (a file written in place, or copied over, takes the default umask).
     */
    public static Path replace(Path file, byte[] bytes) throws IOException {
        Path temp = createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + "-", ".tmp");
        try {
            Files.write(temp, bytes, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return file;
    }

    private static FileAttribute<?>[] attributes(String permissions) {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))}
                : new FileAttribute<?>[0];
    }
}

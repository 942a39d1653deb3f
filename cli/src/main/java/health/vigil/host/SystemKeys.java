package health.vigil.host;

import health.vigil.adapter.local.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * The host's system keys, as the Functions host keeps them: {@code eventgrid_extension} protects the Event Grid
 * webhook, so that only a caller who can read the Vigil home (Event Grid itself, in Azure) can deliver events.
 * Stored in {@code host-keys/} under the home, 0600 from creation, created on first use.
 */
public final class SystemKeys {
    private static final Logger LOG = Logger.getLogger(SystemKeys.class.getName());
    static final String EVENT_GRID = "eventgrid_extension";
    /** The fewest characters a key file may hold: a new key has 64 (32 random bytes in hex). */
    static final int MIN_KEY_CHARS = 32;
    private static final String FOLDER = "host-keys";

    private SystemKeys() {}

    /**
     * The Event Grid webhook's key under {@code home}; created on first use, and created again in place of a key file
     * that is empty or too short to be a key (one a crash left unwritten): such a file would open the webhook to a
     * {@code ?code=} that guesses it. Processes sharing the home agree on the key: each reads and writes it holding
     * a lock on the folder's lock file.
     */
    public static String eventGrid(Path home) {
        Path folder = home.toAbsolutePath().resolve(FOLDER);
        Path file = folder.resolve(EVENT_GRID + ".key");
        // A file lock is held by the process, not the thread: threads of this one take turns here first.
        synchronized (SystemKeys.class) {
            try (FileChannel lockFile = FileChannel.open(OwnerOnlyFiles.createFileIfAbsent(
                            folder.resolve("." + EVENT_GRID + ".lock")), StandardOpenOption.WRITE);
                    FileLock lock = lockFile.lock()) {
                if (Files.exists(file)) {
                    String key = Files.readString(file, StandardCharsets.US_ASCII).trim();
                    if (key.length() >= MIN_KEY_CHARS) {
                        return key;
                    }
                    LOG.warning(() -> "the host's Event Grid key file under the Vigil home holds no usable key ("
                            + key.length() + " characters); a new key replaces it");
                }
                return create(folder, file);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read or create the host's Event Grid key under the Vigil home",
                        e);
            }
        }
    }

    /**
     * Writes a new key to a 0600 temporary file, forced to the disk before it is moved into place, so that a crash
     * leaves the old file, no file, or the whole key: never an empty or partial one.
     */
    private static String create(Path folder, Path file) throws IOException {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String key = HexFormat.of().formatHex(bytes);
        Path temp = OwnerOnlyFiles.createTempFile(folder, "." + EVENT_GRID + "-", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(key.getBytes(StandardCharsets.US_ASCII));
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return key;
    }

    /**
     * Compares in constant time, so the answer's timing says nothing about how much of a guess was right. An empty key,
     * expected or given, matches nothing.
     */
    static boolean matches(String expected, String given) {
        return expected != null && !expected.isEmpty() && given != null && !given.isEmpty() && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}

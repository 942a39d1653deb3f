package health.vigil.adapter.local;

import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.port.SecretProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;

/**
 * Local secrets as key files at {@code {home}/secrets/{name}.key}: 32 random bytes generated on first use,
 * readable by the owner only where the file system has POSIX permissions, and the same bytes ever after, so
 * pseudonyms stay stable across restarts. Losing the file changes every pseudonym: back it up with the home.
 */
final class FileSecretProvider implements SecretProvider {
    public static final String FOLDER = "secrets";
    static final int KEY_BYTES = 32;
    private static final Pattern NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?");

    private final Path home;
    private final Path folder;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentMap<String, byte[]> cache = new ConcurrentHashMap<>();

    private FileSecretProvider(Path home) {
        this.home = home;
        this.folder = home.resolve(FOLDER);
    }

    public static FileSecretProvider open(Path home) {
        Objects.requireNonNull(home, "home");
        return new FileSecretProvider(home.toAbsolutePath());
    }

    /** The secret's bytes (a copy: callers may wipe it); generated and stored on the first call. */
    @Override
    public byte[] secret(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ValidationException("secret name '" + (name == null ? "" : name.length() > 64
                    ? name.substring(0, 64) + "..." : name) + "' is not valid: use 1-64 lower-case letters, digits"
                    + " and hyphens");
        }
        return cache.computeIfAbsent(name, this::loadOrCreate).clone();
    }

    private byte[] loadOrCreate(String name) {
        Path file = folder.resolve(name + ".key");
        try {
            if (!Files.exists(file)) {
                create(file, name);
            }
            byte[] key = Files.readAllBytes(file);
            if (key.length < KEY_BYTES) {
                throw new StoreException("secret file " + file + " holds " + key.length + " bytes; a key needs at"
                        + " least " + KEY_BYTES + ". Restore it from a backup, or delete it to generate a new key"
                        + " (pseudonyms made with the old key will then no longer match)", null);
            }
            return key;
        } catch (IOException e) {
            throw new StoreException("cannot read or create secret file " + file + ": check that the folder exists"
                    + " and belongs to this user", e);
        }
    }

    /**
     * Writes a new key to a temporary file and links it into place: link(2) fails if another thread or process
     * created the key first, and then that key wins, so every caller ends up with the same bytes.
     */
    private void create(Path file, String name) throws IOException {
        OwnerOnlyFiles.createFolders(folder);
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        Path temp = OwnerOnlyFiles.createTempFile(folder, "." + name + "-", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(key);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException e) {
                // another caller's key is in place; it is the one everybody reads
            }
        } finally {
            java.util.Arrays.fill(key, (byte) 0);
            try {
                Files.deleteIfExists(temp);
            } catch (NoSuchFileException ignored) {
                // already gone
            }
        }
    }
}

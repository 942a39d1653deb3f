package health.vigil.host;

import health.vigil.adapter.local.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The host's system keys, as the Functions host keeps them: {@code eventgrid_extension} protects the Event Grid
 * webhook, so that only a caller who can read the Vigil home (Event Grid itself, in Azure) can deliver events.
 * Stored in {@code host-keys/} under the home, 0600 from creation, created on first use.
 */
public final class SystemKeys {
    static final String EVENT_GRID = "eventgrid_extension";
    private static final String FOLDER = "host-keys";

    private SystemKeys() {}

    /** The Event Grid webhook's key under {@code home}; created on first use. */
    public static String eventGrid(Path home) {
        Path file = home.toAbsolutePath().resolve(FOLDER).resolve(EVENT_GRID + ".key");
        try {
            if (!Files.exists(file)) {
                byte[] bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
                Path temp = OwnerOnlyFiles.createTempFile(file.getParent(), "." + EVENT_GRID + "-", ".tmp");
                try {
                    Files.writeString(temp, HexFormat.of().formatHex(bytes), StandardOpenOption.TRUNCATE_EXISTING);
                    Files.createLink(file, temp);
                } catch (FileAlreadyExistsException e) {
                    // another process created it first: theirs is the key
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or create the host's Event Grid key under the Vigil home", e);
        }
    }

    /** Compares in constant time, so the answer's timing says nothing about how much of a guess was right. */
    static boolean matches(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8));
    }
}

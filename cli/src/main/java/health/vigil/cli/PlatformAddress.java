package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.json.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Where a command finds the platform when {@code --url} is not given: {@code VIGIL_URL}, else the platform that
 * {@code vigil up} runs from the command's home (one platform per home: the prediction journal's lock keeps a second
 * one out), else {@code http://127.0.0.1:7071}. {@code vigil up} records its address in {@code platform.json} of its
 * home when it listens and removes it when it stops; a record left by a process that no longer runs (killed) is
 * ignored.
 */
final class PlatformAddress {
    static final String FILE = "platform.json";
    private static final String DEFAULT_ADDRESS = "http://127.0.0.1:7071";
    static final URI DEFAULT = URI.create(DEFAULT_ADDRESS);
    static final String URL_VARIABLE = "VIGIL_URL";

    /**
     * What the {@code --url} options say they default to, as a picocli description. The address starts a line of its
     * own ({@code %n}): picocli wraps a description where a line break may fall, and that is inside an address too.
     */
    static final String DEFAULT_DESCRIPTION = "$" + URL_VARIABLE + ", else the platform vigil up runs from --home, else%n"
            + DEFAULT_ADDRESS;

    /** What the {@code --url} options say: https://, or http:// to this machine only (the API key is sent). */
    static final String URL_DESCRIPTION = "The platform, https:// (http:// only on this machine: the API key is sent)"
            + " (default: " + DEFAULT_DESCRIPTION + ")";

    private PlatformAddress() {}

    /** The address to call: {@code given} when the command names one, otherwise as the class describes. */
    static URI resolve(URI given, Path home, UnaryOperator<String> environment) {
        if (given != null) {
            return given;
        }
        String variable = environment.apply(URL_VARIABLE);
        if (variable != null && !variable.isBlank()) {
            try {
                return URI.create(variable.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(URL_VARIABLE + " is not an address (" + e.getMessage()
                        + "); set it to the platform's, for example " + DEFAULT, e);
            }
        }
        return recorded(home).orElse(DEFAULT);
    }

    /** The address {@code vigil up} recorded in {@code home}, when the process that recorded it still runs. */
    static Optional<URI> recorded(Path home) {
        JsonNode record;
        try {
            record = Json.readTree(FILE, Files.readAllBytes(home.resolve(FILE)));
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException unreadable) {
            // Half-written or damaged: a record is a convenience, and the default or --url still reach the platform.
            return Optional.empty();
        }
        long pid = record.path("pid").asLong(-1);
        String url = record.path("url").asText("");
        if (pid <= 0 || url.isEmpty() || !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return Optional.empty();
        }
        try {
            return Optional.of(URI.create(url));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Records that this process serves {@code home}'s platform at {@code url} (owner-only, like the rest of it). */
    static void record(Path home, URI url) throws IOException {
        ObjectNode record = Json.mapper().createObjectNode();
        record.put("url", url.toString());
        record.put("pid", ProcessHandle.current().pid());
        OwnerOnlyFiles.replace(home.resolve(FILE), Json.write(record).getBytes(StandardCharsets.UTF_8));
    }

    /** Removes the record when this process wrote it (another platform may have started on the home since). */
    static void forget(Path home) {
        try {
            JsonNode record = Json.readTree(FILE, Files.readAllBytes(home.resolve(FILE)));
            if (record.path("pid").asLong(-1) == ProcessHandle.current().pid()) {
                Files.deleteIfExists(home.resolve(FILE));
            }
        } catch (IOException | RuntimeException e) {
            // Nothing to remove, or not ours: a record of a process that has stopped is ignored anyway.
        }
    }
}

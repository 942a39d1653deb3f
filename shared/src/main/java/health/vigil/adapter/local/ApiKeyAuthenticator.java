package health.vigil.adapter.local;

import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Local authentication from API keys kept in {@code keys.json} under the Vigil home. On first use it
 * generates one key per built-in persona, each with the roles that persona needs. The data scientist may both
 * upload and approve (review a colleague's model), so separation of duties is enforced on the version, not left
 * to the role list: whoever uploaded a version can never approve it; the approver persona only approves. Each entry may carry the {@code name} its
 * holder signs with (an approval's printed name); without one the id is the name. Keys are compared by their sha256 in
 * constant time. A request sends its key as {@code x-api-key: KEY} or {@code Authorization: Bearer KEY}. A file changed
 * into one that does not read (caught half-written, a malformed entry, an id that could look like another, an unknown
 * role, gone) leaves the keys of its last version that read in force, as a server keeps the last configuration that
 * loaded: no key of the new version is trusted, and none of the old is withdrawn, until it reads. The platform's log
 * says once per version which entry is wrong and how to fix it; the file is read again at every check until it reads.
 * At the start there is no last version: a file that does not read stops the start.
 */
final class ApiKeyAuthenticator implements Authenticator {
    /** The personas {@code keys.json} starts with, and their roles. */
    public static final Map<String, Set<Role>> PERSONAS = personas();
    /** The printed names of the built-in personas, for their signatures. */
    private static final Map<String, String> NAMES = Map.of(
            "data-scientist", "Dana Scientist (local data scientist)",
            "approver", "Avery Approver (local clinical governance)",
            "operator", "Olu Operator (local operations)",
            "clinical-app", "Clinical application (local)",
            "compliance", "Casey Compliance (local)");

    /** How often the key file is looked at for a change: a key removed from it stops working within this. */
    static final long RECHECK_NANOS = 1_000_000_000L;

    private static final Logger LOG = Logger.getLogger(ApiKeyAuthenticator.class.getName());

    /** The sha256 of each key, and the principal it stands for at the same index. */
    private record Keys(byte[][] hashes, Principal[] principals) {}

    /** The key file, or null for keys given once ({@link #fromJson}). */
    private final Path file;
    private final long recheckNanos;
    /** The keys of the last version of the file that read. */
    private volatile Keys keys;
    /** The stamp of the version in force; null while the file does not read, so that every check reads it again. */
    private volatile String stamp;
    /** Whether the file's current version does not read, so that a refused caller is told the keys may be old. */
    private volatile boolean unread;
    private volatile long nextCheckNanos;
    /** The last problem of the file written to the log, with the file's stamp: each change of the file is logged once. */
    private String loggedProblem;

    private ApiKeyAuthenticator(Path file, Keys keys, String stamp, long recheckNanos) {
        this.file = file;
        this.keys = keys;
        this.stamp = stamp;
        this.recheckNanos = recheckNanos;
        this.nextCheckNanos = System.nanoTime() + recheckNanos;
    }

    /**
     * Reads {@code home/keys.json}, creating it with fresh keys for every persona if it is missing. The file is read
     * again when it changes (looked at once a second at most): a key taken out of it stops working, for the API and
     * for a dashboard session signed in with it, without a restart.
     */
    public static ApiKeyAuthenticator openOrCreate(Path home) {
        return openOrCreate(home, RECHECK_NANOS);
    }

    /** As {@link #openOrCreate(Path)}, looking at the file for a change at most every {@code recheckNanos}. */
    static ApiKeyAuthenticator openOrCreate(Path home, long recheckNanos) {
        Path file = keysFile(home);
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            String stamp = stamp(file);
            return new ApiKeyAuthenticator(file, parse(Files.readAllBytes(file)), stamp, recheckNanos);
        } catch (IOException e) {
            throw new StoreException("cannot read or create the API key file keys.json in the Vigil home", e);
        }
    }

    private static String stamp(Path file) throws IOException {
        return Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file);
    }

    /** The keys in force: read again if the file changed since it was last looked at, a second or more ago. */
    private Keys current() {
        if (file == null || System.nanoTime() - nextCheckNanos < 0) {
            return keys;
        }
        synchronized (this) {
            if (System.nanoTime() - nextCheckNanos >= 0) {
                nextCheckNanos = System.nanoTime() + recheckNanos;
                String now = null;
                try {
                    now = stamp(file);
                    if (!now.equals(stamp)) {
                        keys = parse(Files.readAllBytes(file));
                        stamp = now;
                        unread = false;
                        if (loggedProblem != null) {
                            loggedProblem = null;
                            LOG.info("keys.json in the Vigil home reads again: its keys are the ones in force");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // Gone, or caught half-written by an editor: the last keys that read stay in force (refusing
                    // every key would turn every caller and dashboard session away), and the file is read again at
                    // every check, so a key taken out stops working at the first check after the file reads.
                    stamp = null;
                    unread = true;
                    logOnce(now, e);
                }
            }
            return keys;
        }
    }

    /** Says why the file does not read, once per version of the file; the messages name entries, never a key. */
    private void logOnce(String fileStamp, Exception e) {
        String problem = e instanceof IOException
                ? "it cannot be read (" + e.getClass().getSimpleName() + "); restore it, or stop the platform and"
                        + " remove it to have new keys generated at the next start"
                : e.getMessage();
        if (!(fileStamp + " " + problem).equals(loggedProblem)) {
            loggedProblem = fileStamp + " " + problem;
            LOG.log(Level.SEVERE, "keys.json in the Vigil home is invalid, so the keys of its last version that read"
                    + " stay in force until it is fixed (a key added since is not accepted yet, one taken out since is"
                    + " still accepted): " + problem);
        }
    }

    public static Path keysFile(Path home) {
        return home.resolve("keys.json");
    }

    /** The plain key of a persona, as the local tools (CLI, demo) read it. */
    public static String keyOf(Path home, String persona) {
        List<String> personas = new ArrayList<>();
        try {
            JsonNode root = Json.readTree("keys.json", Files.readAllBytes(keysFile(home)));
            for (JsonNode entry : root.path("keys")) {
                if (persona.equals(entry.path("id").asText())) {
                    return entry.path("key").asText();
                }
                personas.add(entry.path("id").asText());
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // The commands that call a running platform read their key here: the likely cause is another home.
            throw new ValidationException("there is no keys.json in the Vigil home " + home.toAbsolutePath()
                    + ": the platform writes it the first time it starts there (./vigil up or ./vigil demo); give the"
                    + " home the platform runs with as --home");
        } catch (IOException e) {
            throw new StoreException("cannot read keys.json in the Vigil home", e);
        }
        throw new ValidationException("keys.json has no key for '" + persona + "'; name one of "
                + String.join(", ", personas));
    }

    static ApiKeyAuthenticator fromJson(byte[] json) {
        return new ApiKeyAuthenticator(null, parse(json), null, RECHECK_NANOS);
    }

    /** Every entry checked; a problem is named by the entry's position (and its id once that is known to be plain). */
    private static Keys parse(byte[] json) {
        JsonNode root = Json.readTree("keys.json", json);
        if (!root.path("keys").isArray()) {
            throw new IllegalStateException("keys.json has no \"keys\" list; write {\"keys\": [{\"id\": ..., \"key\": ...,"
                    + " \"roles\": [...]}, ...]}");
        }
        List<byte[]> keyHashes = new ArrayList<>();
        List<Principal> principals = new ArrayList<>();
        // Where each key and each id (in any case) was first given, so that a second entry naming either is told so.
        Map<String, Integer> keyPositions = new HashMap<>();
        Map<String, String> idsByCase = new HashMap<>();
        int position = 0;
        for (JsonNode entry : root.path("keys")) {
            position++;
            String id = entry.path("id").asText();
            String key = entry.path("key").asText();
            if (id.isEmpty() || key.length() < 16) {
                throw new IllegalStateException("keys.json entry " + position + " has no \"id\" or a \"key\" shorter than"
                        + " 16 characters; give each entry an id and a key of 16 characters or more");
            }
            if (!id.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
                // A look-alike of another id (a Cyrillic letter, another hyphen) would let one person act as two.
                throw new IllegalStateException("keys.json entry " + position + " has an id with a space or a character"
                        + " other than visible ASCII; write ids in ASCII letters, digits and punctuation (alice,"
                        + " alice@example.org), and the holder's name as they sign it in \"name\"");
            }
            if (recordedForAnotherCaller(id)) {
                // A key under such an id would act as the platform (its upload taken for a retraining, whose lineage
                // is read from the holder's own package) or as the owner of files dropped into the local folder.
                throw new IllegalStateException("keys.json entry " + position + " has the id '" + id + "', which the"
                        + " platform records for its own identities (system:..., " + Principal.SYSTEM.id() + ") or for"
                        + " the owner of a dropped file (" + LocalAdapters.PIPELINE_PREFIX + "NAME); give the holder"
                        + " an id of their own");
            }
            String firstSpelling = idsByCase.putIfAbsent(id.toLowerCase(java.util.Locale.ROOT), id);
            if (firstSpelling != null && !firstSpelling.equals(id)) {
                // Separation of duties takes 'Alice' and 'alice' for one caller, but every record names them apart:
                // whoever reads the trail, or filters it by id, would see two holders, or miss one.
                throw new IllegalStateException("keys.json entry " + position + " has the id '" + id + "', which"
                        + " differs only in case from the id '" + firstSpelling + "' of an earlier entry; write one"
                        + " holder's id the same way in every entry, and give another holder an id of their own");
            }
            byte[] keyHash = Sha256.digest(key.getBytes(StandardCharsets.UTF_8));
            Integer sameKey = keyPositions.putIfAbsent(HexFormat.of().formatHex(keyHash), position);
            if (sameKey != null) {
                // The key would authenticate as whichever entry came last: a holder could act as another, silently.
                throw new IllegalStateException("keys.json entry " + position + " has the same key as entry " + sameKey
                        + "; give every entry a key of its own (a holder with several roles lists them in one entry)");
            }
            String entryName = "keys.json entry " + position + " ('" + id + "')";
            JsonNode roleList = entry.path("roles");
            // An entry without roles is a mistake, not a key meant to do nothing: it would be accepted, and every
            // request it made refused with 403, with nothing saying the file is wrong. A key with no role says so: [].
            if (roleList.isMissingNode()) {
                throw new IllegalStateException(entryName + " has no \"roles\"; list the roles of its holder as"
                        + " [\"Role.Name\", ...], one of " + roleNames() + " (write [] for a key with none)");
            }
            if (!roleList.isArray()) {
                throw new IllegalStateException(entryName + " has \"roles\" that are not a list; write them as"
                        + " [\"Role.Name\", ...], one of " + roleNames());
            }
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (JsonNode role : roleList) {
                roles.add(Role.fromWire(role.asText()).orElseThrow(() -> new IllegalStateException(
                        entryName + " gives the unknown role '" + role.asText() + "'; name one of " + roleNames())));
            }
            keyHashes.add(keyHash);
            principals.add(new Principal(id, entry.path("name").asText(id), roles));
        }
        return new Keys(keyHashes.toArray(new byte[0][]), principals.toArray(new Principal[0]));
    }

    /** Whether {@code id}, in any case, is one the platform records for a caller that holds no key. */
    private static boolean recordedForAnotherCaller(String id) {
        return Principal.isPlatform(id)
                || id.toLowerCase(java.util.Locale.ROOT).startsWith(LocalAdapters.PIPELINE_PREFIX);
    }

    private static String roleNames() {
        return java.util.Arrays.stream(Role.values()).map(Role::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public Principal authenticate(Map<String, String> headers) {
        String key = presentedKey(headers);
        if (key == null) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "no API key: send it in the x-api-key header"
                    + " or as 'Authorization: Bearer <key>' (local keys are in keys.json in the Vigil home)");
        }
        byte[] presented = Sha256.digest(key.getBytes(StandardCharsets.UTF_8));
        Principal match = null;
        Keys inForce = current();
        // Every entry compared, each in constant time: how long it takes says nothing about which key came close.
        for (int i = 0; i < inForce.hashes().length; i++) {
            if (MessageDigest.isEqual(presented, inForce.hashes()[i])) {
                match = inForce.principals()[i];
            }
        }
        if (match == null && unread) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the API key is not valid; the platform's key"
                    + " file keys.json is invalid, so the keys in force are those of its last version that read: the"
                    + " platform's log says which entry is wrong and how to fix it");
        }
        if (match == null) {
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the API key is not valid");
        }
        return match;
    }

    private static String presentedKey(Map<String, String> headers) {
        String key = headers.get("x-api-key");
        String authorization = headers.get("authorization");
        if (key != null && authorization != null) {
            // Two credentials, possibly of two callers: which one acts must not be a guess.
            throw new AccessDeniedException(ErrorCode.UNAUTHENTICATED, "the request carries both an x-api-key header and"
                    + " an Authorization header; send one credential");
        }
        if (key == null && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            key = authorization.substring(7).trim();
        }
        return key == null || key.isBlank() ? null : key.trim();
    }

    private static void create(Path file) throws IOException {
        OwnerOnlyFiles.createFolders(file.getParent());
        SecureRandom random = new SecureRandom();
        List<Map<String, Object>> keys = new ArrayList<>();
        PERSONAS.forEach((id, roles) -> {
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", id);
            entry.put("name", NAMES.getOrDefault(id, id));
            entry.put("key", "vk_" + HexFormat.of().formatHex(bytes));
            entry.put("roles", roles.stream().map(Role::wireName).sorted().toList());
            keys.add(entry);
        });
        // Created 0600 before a key is written into it; moved into place whole.
        Path tmp = OwnerOnlyFiles.createTempFile(file.getParent(), ".keys.json-", ".tmp");
        Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(Map.of("keys", keys)),
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            Files.deleteIfExists(tmp); // another process created it first: use theirs
        }
    }

    private static Map<String, Set<Role>> personas() {
        Map<String, Set<Role>> personas = new LinkedHashMap<>();
        personas.put("data-scientist", Set.of(Role.MODELS_UPLOAD, Role.MODELS_APPROVE));
        personas.put("approver", Set.of(Role.MODELS_APPROVE));
        personas.put("operator", Set.of(Role.DEPLOYMENTS_OPERATE));
        personas.put("clinical-app", Set.of(Role.SCORING_INVOKE));
        personas.put("compliance", Set.of(Role.AUDIT_EXPORT));
        personas.put("outcomes-feed", Set.of(Role.OUTCOMES_WRITE));
        personas.put("data-steward", Set.of(Role.DATASETS_REGISTER));
        // The team that runs the nightly files dropped in batch-input, whose jobs no caller submitted.
        personas.put("population-health", Set.of(Role.BATCHES_SUBMIT, Role.BATCHES_READ_ALL));
        return java.util.Collections.unmodifiableMap(personas);
    }
}

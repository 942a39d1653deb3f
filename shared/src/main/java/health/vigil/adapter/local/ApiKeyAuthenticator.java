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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Local authentication from API keys kept in {@code keys.json} under the Vigil home. On first use it
 * generates one key per built-in persona, each with the roles that persona needs. The data scientist may both
 * upload and approve (review a colleague's model), so separation of duties is enforced on the version, not left
 * to the role list: whoever uploaded a version can never approve it; the approver persona only approves. Each entry may carry the {@code name} its
 * holder signs with (an approval's printed name); without one the id is the name. Keys are compared by their sha256 in
 * constant time. A request sends its key as {@code x-api-key: KEY} or {@code Authorization: Bearer KEY}.
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

    /** The sha256 of each key, and the principal it stands for at the same index. */
    private final byte[][] keyHashes;
    private final Principal[] principals;

    private ApiKeyAuthenticator(List<byte[]> keyHashes, List<Principal> principals) {
        this.keyHashes = keyHashes.toArray(new byte[0][]);
        this.principals = principals.toArray(new Principal[0]);
    }

    /** Reads {@code home/keys.json}, creating it with fresh keys for every persona if it is missing. */
    public static ApiKeyAuthenticator openOrCreate(Path home) {
        Path file = keysFile(home);
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            return fromJson(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new StoreException("cannot read or create the API key file keys.json in the Vigil home", e);
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
        } catch (IOException e) {
            throw new StoreException("cannot read keys.json in the Vigil home", e);
        }
        throw new ValidationException("keys.json has no key for '" + persona + "'; name one of "
                + String.join(", ", personas));
    }

    static ApiKeyAuthenticator fromJson(byte[] json) {
        JsonNode root = Json.readTree("keys.json", json);
        List<byte[]> keyHashes = new ArrayList<>();
        List<Principal> principals = new ArrayList<>();
        for (JsonNode entry : root.path("keys")) {
            String id = entry.path("id").asText();
            String key = entry.path("key").asText();
            if (id.isEmpty() || key.length() < 16) {
                throw new IllegalStateException("keys.json has an entry without an id or with a key shorter than 16 characters");
            }
            Set<Role> roles = EnumSet.noneOf(Role.class);
            for (JsonNode role : entry.path("roles")) {
                roles.add(Role.fromWire(role.asText()).orElseThrow(() -> new IllegalStateException(
                        "keys.json gives '" + id + "' the unknown role '" + role.asText() + "'")));
            }
            keyHashes.add(Sha256.digest(key.getBytes(StandardCharsets.UTF_8)));
            principals.add(new Principal(id, entry.path("name").asText(id), roles));
        }
        return new ApiKeyAuthenticator(keyHashes, principals);
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
        // Every entry compared, each in constant time: how long it takes says nothing about which key came close.
        for (int i = 0; i < keyHashes.length; i++) {
            if (MessageDigest.isEqual(presented, keyHashes[i])) {
                match = principals[i];
            }
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
        personas.put("population-health", Set.of(Role.BATCHES_SUBMIT));
        return java.util.Collections.unmodifiableMap(personas);
    }
}

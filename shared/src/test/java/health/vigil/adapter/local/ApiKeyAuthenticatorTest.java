package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.CapturedLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyAuthenticatorTest {
    @TempDir
    Path home;

    @Test
    void eachPersonasKeyAuthenticatesAsThatPersonaWithItsRoles() {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home);
        for (Map.Entry<String, java.util.Set<Role>> persona : ApiKeyAuthenticator.PERSONAS.entrySet()) {
            String key = ApiKeyAuthenticator.keyOf(home, persona.getKey());
            Principal byHeader = keys.authenticate(Map.of("x-api-key", key));
            Principal byBearer = keys.authenticate(Map.of("authorization", "Bearer " + key));

            assertThat(byHeader.id()).isEqualTo(persona.getKey());
            assertThat(byHeader.roles()).containsExactlyInAnyOrderElementsOf(persona.getValue());
            assertThat(byBearer).isEqualTo(byHeader);
        }
    }

    @Test
    void anIdThatCouldLookLikeAnotherIsRefused() {
        // Trailing space, Cyrillic 'а', a Unicode hyphen, a zero-width space, the decomposed form of 'é'.
        for (String id : new String[] {"approver ", "\u0430pprover", "data\u2010scientist", "appro\u200bver",
                "rene\u0301"}) {
            byte[] json = ("{\"keys\": [{\"id\": \"" + id + "\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                    + " [\"Models.Approve\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThatThrownBy(() -> ApiKeyAuthenticator.fromJson(json)).as(id)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("visible ASCII");
        }
        byte[] plain = "{\"keys\": [{\"id\": \"alice@example.org\", \"name\": \"Ren\u00e9e Alice\", \"key\": \"vk_0123456789abcdef\", \"roles\": []}]}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(ApiKeyAuthenticator.fromJson(plain).authenticate(Map.of("x-api-key", "vk_0123456789abcdef")).name())
                .isEqualTo("Ren\u00e9e Alice");
    }

    @Test
    void anIdThePlatformRecordsForACallerWithoutAKeyIsRefused() {
        // The retraining identity (whose uploads are taken for retrainings), any other platform identity in any
        // case, the platform's system id, and the owner of a dropped file.
        for (String id : new String[] {"system:retrain", "System:Retrain", "system:anything", "vigil-system",
                "OS-User:dana"}) {
            byte[] json = ("{\"keys\": [{\"id\": \"" + id + "\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                    + " [\"Models.Upload\", \"Models.Approve\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThatThrownBy(() -> ApiKeyAuthenticator.fromJson(json)).as(id)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("keys.json entry 1 has the id '" + id + "'")
                    .hasMessageContaining("give the holder an id of their own");
        }
        byte[] similar = ("{\"keys\": [{\"id\": \"systems-team\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                + " []}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(ApiKeyAuthenticator.fromJson(similar).authenticate(Map.of("x-api-key", "vk_0123456789abcdef")).id())
                .isEqualTo("systems-team");
    }

    /**
     * One key given to two entries authenticated as whichever came last, so its holder acted as the other silently;
     * two ids differing only in case are one caller to separation of duties but two in every record that names them.
     * Both make the file invalid, named by position, never by key; one holder with two keys (a rotation) stays valid.
     */
    @Test
    void aKeyGivenTwiceOrAnIdSpelledInAnotherCaseMakesTheFileInvalid() {
        byte[] sharedKey = ("{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                + " [\"Models.Upload\"]}, {\"id\": \"bob\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                + " [\"Models.Approve\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ApiKeyAuthenticator.fromJson(sharedKey)).isInstanceOf(IllegalStateException.class)
                .hasMessage("keys.json entry 2 has the same key as entry 1; give every entry a key of its own (a holder"
                        + " with several roles lists them in one entry)");
        byte[] twoCases = ("{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                + " [\"Models.Upload\"]}, {\"id\": \"Alice\", \"key\": \"vk_fedcba9876543210\", \"roles\":"
                + " [\"Models.Approve\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ApiKeyAuthenticator.fromJson(twoCases)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("keys.json entry 2 has the id 'Alice', which differs only in case from the id"
                        + " 'alice' of an earlier entry");
        byte[] rotated = ("{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_0123456789abcdef\", \"roles\":"
                + " [\"Models.Upload\"]}, {\"id\": \"alice\", \"key\": \"vk_fedcba9876543210\", \"roles\":"
                + " [\"Models.Upload\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.fromJson(rotated);
        assertThat(keys.authenticate(Map.of("x-api-key", "vk_0123456789abcdef")).id()).isEqualTo("alice");
        assertThat(keys.authenticate(Map.of("x-api-key", "vk_fedcba9876543210")).id()).isEqualTo("alice");
    }

    @Test
    void aKeyThatIsNotInTheFileIsRefusedWhateverItsShape() {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home);
        String key = ApiKeyAuthenticator.keyOf(home, "clinical-app");
        for (String wrong : new String[] {key.substring(1), key + "0", key.toUpperCase(), "vk_" + "0".repeat(48), "é"}) {
            assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", wrong))).as(wrong)
                    .isInstanceOfSatisfying(AccessDeniedException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
                    .hasMessage("the API key is not valid");
        }
        assertThatThrownBy(() -> keys.authenticate(Map.of())).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("no API key");
        assertThatThrownBy(() -> keys.authenticate(Map.of("authorization", "Basic " + key)))
                .isInstanceOf(AccessDeniedException.class).hasMessageContaining("no API key");
    }

    @Test
    void aKeyTakenOutOfTheFileStopsWorkingWithoutARestart() throws Exception {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home);
        String approver = ApiKeyAuthenticator.keyOf(home, "approver");
        String operator = ApiKeyAuthenticator.keyOf(home, "operator");
        assertThat(keys.authenticate(Map.of("x-api-key", approver)).id()).isEqualTo("approver");

        java.nio.file.Path file = ApiKeyAuthenticator.keysFile(home);
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
                health.vigil.json.Json.readTree("keys", java.nio.file.Files.readAllBytes(file));
        com.fasterxml.jackson.databind.node.ArrayNode kept = health.vigil.json.Json.mapper().createArrayNode();
        root.get("keys").forEach(k -> {
            if (!k.path("id").asText().equals("approver")) {
                kept.add(k);
            }
        });
        root.set("keys", kept);
        java.nio.file.Files.write(file, health.vigil.json.Json.writeBytes(root));
        Thread.sleep(ApiKeyAuthenticator.RECHECK_NANOS / 1_000_000 + 100);

        assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", approver)))
                .isInstanceOf(AccessDeniedException.class).hasMessage("the API key is not valid");
        assertThat(keys.authenticate(Map.of("x-api-key", operator)).id()).isEqualTo("operator");
    }

    @Test
    void aKeyFileBrokenWhileThePlatformRunsKeepsTheLastKeysThatReadAndIsLoggedOncePerVersion() throws Exception {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home, 0); // looks at the file at every request
        String operator = ApiKeyAuthenticator.keyOf(home, "operator");
        Path file = ApiKeyAuthenticator.keysFile(home);
        String good = Files.readString(file);
        try (CapturedLog logged = CapturedLog.of(ApiKeyAuthenticator.class)) {
            String[][] brokenAndSaid = {
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_alice_0123456789\", \"roles\": []},"
                            + " {\"id\": \"\u0430pprover\", \"key\": \"vk_secret_0123456789\", \"roles\": []}]}",
                            "entry 2 has an id with a space or a character other than visible ASCII"},
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_secret_0123456789\", \"roles\": [\"Models.Aprove\"]}]}",
                            "entry 1 ('alice') gives the unknown role 'Models.Aprove'; name one of Scoring.Invoke"},
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_secret_0123456789\" \"roles\": []}]}",
                            "keys.json is not valid JSON at line 1"},
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_alice_0123456789\", \"roles\": []},"
                            + " {\"id\": \"bob\", \"key\": \"vk_secret_0123456789\"}]}",
                            "entry 2 ('bob') has no \"roles\"; list the roles of its holder"},
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_secret_0123456789\", \"roles\":"
                            + " \"Models.Approve\"}]}",
                            "entry 1 ('alice') has \"roles\" that are not a list"},
                    {"{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_sec", "keys.json is not valid JSON"}};
            for (String[] broken : brokenAndSaid) {
                logged.clear();
                Files.writeString(file, broken[0]);
                for (int attempt = 0; attempt < 3; attempt++) {
                    assertThat(keys.authenticate(Map.of("x-api-key", operator)).id()).as(broken[1])
                            .isEqualTo("operator");
                    // A key of the version that does not read is not trusted; the refusal says where to look.
                    assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", "vk_secret_0123456789")))
                            .as(broken[1]).isInstanceOfSatisfying(AccessDeniedException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
                            .hasMessage("the API key is not valid; the platform's key file keys.json is invalid, so the"
                                    + " keys in force are those of its last version that read: the platform's log says"
                                    + " which entry is wrong and how to fix it");
                }

                assertThat(logged.records()).as(broken[1]).singleElement().satisfies(record -> {
                    assertThat(record.getLevel()).isEqualTo(java.util.logging.Level.SEVERE);
                    assertThat(record.getMessage()).startsWith("keys.json in the Vigil home is invalid, so the keys of"
                            + " its last version that read stay in force until it is fixed").contains(broken[1])
                            .doesNotContain("vk_secret").doesNotContain(operator);
                });
            }

            logged.clear();
            Files.writeString(file, good);
            assertThat(keys.authenticate(Map.of("x-api-key", operator)).id()).isEqualTo("operator");
            assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", "vk_secret_0123456789")))
                    .isInstanceOf(AccessDeniedException.class).hasMessage("the API key is not valid");
            assertThat(logged.records()).singleElement().satisfies(record -> assertThat(record.getMessage())
                    .isEqualTo("keys.json in the Vigil home reads again: its keys are the ones in force"));
        }
    }

    @Test
    void aKeyTakenOutWhileTheFileDidNotReadStopsWorkingAsSoonAsItReads() throws Exception {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home, 0);
        String approver = ApiKeyAuthenticator.keyOf(home, "approver");
        String operator = ApiKeyAuthenticator.keyOf(home, "operator");
        Path file = ApiKeyAuthenticator.keysFile(home);
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
                health.vigil.json.Json.readTree("keys", Files.readAllBytes(file));
        com.fasterxml.jackson.databind.node.ArrayNode kept = health.vigil.json.Json.mapper().createArrayNode();
        root.get("keys").forEach(k -> {
            if (!k.path("id").asText().equals("approver")) {
                kept.add(k);
            }
        });
        root.set("keys", kept);
        byte[] withdrawn = health.vigil.json.Json.writeBytes(root);

        // The editor's save, caught half-way: the version before it is the one in force.
        Files.write(file, java.util.Arrays.copyOf(withdrawn, withdrawn.length / 2));
        assertThat(keys.authenticate(Map.of("x-api-key", approver)).id()).isEqualTo("approver");
        Files.delete(file); // an editor that writes a new file in place of the old
        assertThat(keys.authenticate(Map.of("x-api-key", approver)).id()).isEqualTo("approver");

        Files.write(file, withdrawn);
        assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", approver)))
                .isInstanceOf(AccessDeniedException.class).hasMessage("the API key is not valid");
        assertThat(keys.authenticate(Map.of("x-api-key", operator)).id()).isEqualTo("operator");
    }

    @Test
    void aKeyFileThatDoesNotReadAtTheStartStopsTheStart() throws Exception {
        Files.writeString(ApiKeyAuthenticator.keysFile(home), "{\"keys\": [{\"id\": \"alice\", \"key\": \"vk_sec");

        assertThatThrownBy(() -> ApiKeyAuthenticator.openOrCreate(home)).hasMessageContaining("not valid JSON")
                .hasMessageNotContaining("vk_sec");
    }

    @Test
    void twoCredentialsAreRefusedRatherThanOnePickedOverTheOther() {
        ApiKeyAuthenticator keys = ApiKeyAuthenticator.openOrCreate(home);
        String approver = ApiKeyAuthenticator.keyOf(home, "approver");
        String scientist = ApiKeyAuthenticator.keyOf(home, "data-scientist");

        assertThatThrownBy(() -> keys.authenticate(Map.of("x-api-key", approver, "authorization", "Bearer " + scientist)))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
                .hasMessageContaining("send one credential");
    }

    @Test
    void theKeyFileIsCreatedReadableByItsOwnerOnlyAndKeptAcrossOpens() throws Exception {
        ApiKeyAuthenticator.openOrCreate(home);
        String key = ApiKeyAuthenticator.keyOf(home, "operator");
        Path file = ApiKeyAuthenticator.keysFile(home);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");

        assertThat(ApiKeyAuthenticator.openOrCreate(home).authenticate(Map.of("x-api-key", key)).id())
                .isEqualTo("operator");
    }
}

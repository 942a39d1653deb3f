package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import health.vigil.contract.SecretProviderContract;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.port.SecretProvider;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The Key Vault secret provider on the wire, against a local HTTPS endpoint that answers like Key Vault: an
 * unauthenticated request gets the bearer challenge, the retry carries a token for the vault.
 */
class KeyVaultSecretProviderIT extends SecretProviderContract {
    private static final byte[] KEY = randomKey();
    private LocalHttpsServer server;
    private final List<String> scopes = new CopyOnWriteArrayList<>();

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new Random(42).nextBytes(key);
        return key;
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Override
    protected SecretProvider newProvider() {
        return providerServing(200, "{\"value\":\"" + Base64.getEncoder().encodeToString(KEY) + "\"}");
    }

    private KeyVaultSecretProvider providerServing(int status, String body) {
        if (server != null) {
            server.close();
        }
        Function<LocalHttpsServer.Request, LocalHttpsServer.Response> vault = request -> {
            if (request.header("Authorization") == null) {
                return new LocalHttpsServer.Response(401, Map.of("WWW-Authenticate",
                        "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001\","
                                + " resource=\"https://vault.azure.net\""), "");
            }
            if (status != 200) {
                return LocalHttpsServer.Response.of(status, "{\"error\":{\"code\":\"x\",\"message\":\"y\"}}");
            }
            String id = server.baseUrl() + "/secrets/" + SecretProvider.PSEUDONYMISATION_KEY + "/0123456789abcdef";
            return LocalHttpsServer.Response.of(200, body.replace("}", ",\"id\":\"" + id + "\",\"attributes\":{\"enabled\":true}}"));
        };
        server = new LocalHttpsServer(vault);
        TokenCredential identity = context -> {
            scopes.addAll(context.getScopes());
            return Mono.just(new AccessToken("vault-token", OffsetDateTime.now().plusHours(1)));
        };
        return new KeyVaultSecretProvider(new SecretClientBuilder()
                .vaultUrl(server.baseUrl())
                .credential(identity)
                .httpClient(server.httpClient())
                // The challenge names vault.azure.net, which a loopback vault URL cannot match.
                .disableChallengeResourceVerification()
                .retryOptions(new RetryOptions(new FixedDelayOptions(2, Duration.ofMillis(10))))
                .buildClient());
    }

    @Test
    void readsTheKeyOnceWithAVaultTokenAndServesItFromMemoryAfterwards() {
        SecretProvider provider = newProvider();

        assertThat(provider.secret(SecretProvider.PSEUDONYMISATION_KEY)).isEqualTo(KEY);
        assertThat(provider.secret(SecretProvider.PSEUDONYMISATION_KEY)).isEqualTo(KEY);

        assertThat(scopes).containsOnly("https://vault.azure.net/.default");
        List<LocalHttpsServer.Request> gets = server.requests().stream()
                .filter(r -> r.header("Authorization") != null).toList();
        assertThat(gets).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("GET");
            // The latest version of the secret: an empty version segment.
            assertThat(r.pathAndQuery()).matches("/secrets/pseudonymisation-key/?\\?api-version=7\\.\\d+");
            assertThat(r.header("Authorization")).isEqualTo("Bearer vault-token");
        });
    }

    @Test
    void aSecretThatIsNotBase64IsRefusedWithoutEchoingIt() {
        SecretProvider provider = providerServing(200, "{\"value\":\"correct horse battery staple!\"}");

        assertThatThrownBy(() -> provider.secret(SecretProvider.PSEUDONYMISATION_KEY))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
                .hasMessageContaining("not base64")
                .hasMessageNotContaining("horse");
    }

    @Test
    void aMissingSecretSaysHowToCreateIt() {
        SecretProvider provider = providerServing(404, "");

        assertThatThrownBy(() -> provider.secret(SecretProvider.PSEUDONYMISATION_KEY))
                .isInstanceOf(VigilException.class)
                .hasMessageContaining("az keyvault secret set");
    }

    @Test
    void aRefusedReadNamesTheRoleTheIdentityNeeds() {
        SecretProvider provider = providerServing(403, "");

        assertThatThrownBy(() -> provider.secret(SecretProvider.PSEUDONYMISATION_KEY))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("Key Vault Secrets User");
    }
}

package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.messaging.eventgrid.EventGridPublisherClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import com.azure.storage.queue.QueueServiceClientBuilder;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.ModelVersion;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import reactor.core.publisher.Mono;

/**
 * A service that cannot be reached (nothing listens; a connection refused or dropped after the SDK's retries) is a
 * store that is away: a StoreException with STORE_UNAVAILABLE, which callers retry and the API answers 503, never an
 * internal fault of Vigil's code (azure-core throws such failures as a bare RuntimeException around the I/O one).
 */
class AzureServicesUnreachableTest {
    private static final HttpClient HTTP = new JdkHttpClientBuilder().build();
    private static final TokenCredential TOKEN = request ->
            Mono.just(new AccessToken("token", OffsetDateTime.now().plusHours(1)));
    private static final RetryOptions ONE_TRY = new RetryOptions(
            new ExponentialBackoffOptions().setMaxRetries(0));
    private static final StorageSharedKeyCredential SHARED_KEY = new StorageSharedKeyCredential("account",
            Base64.getEncoder().encodeToString(new byte[32]));
    private static final RequestRetryOptions STORAGE_ONE_TRY = new RequestRetryOptions(RetryPolicyType.FIXED, 1,
            Duration.ofSeconds(10), Duration.ofMillis(1), Duration.ofMillis(1), null);

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort(); // closed again at once: nothing listens there
        }
    }

    private static void assertStoreAway(Executable call, String service) {
        assertThatThrownBy(call::execute).isInstanceOf(StoreException.class)
                .hasMessageContaining(service + " could not be reached")
                .satisfies(e -> assertThat(((StoreException) e).code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE));
    }

    @Test
    void everyBlobStorageCallIsAStoreFailure() throws IOException {
        BlobArtifactStore store = new BlobArtifactStore(new BlobServiceClientBuilder()
                .endpoint("http://127.0.0.1:" + closedPort() + "/account").credential(SHARED_KEY).httpClient(HTTP)
                .retryOptions(STORAGE_ONE_TRY).buildClient());
        String c = ArtifactStore.BATCH_OUTPUT;
        for (Executable call : new Executable[] {
                () -> store.describe(c, "job/summary.json"),
                () -> store.open(c, "job/summary.json"),
                () -> store.open(c, "job/summary.json", 10),
                () -> store.open(c, "job/summary.json", 10, "\"etag\""),
                () -> store.list(c, "job/"),
                () -> store.delete(c, "job/summary.json"),
                () -> store.put(c, "job/summary.json", new ByteArrayInputStream(new byte[] {1}), true),
                () -> store.put(c, "job/new.json", new ByteArrayInputStream(new byte[] {1}), false),
                () -> store.replace(c, "job/summary.json", new ByteArrayInputStream(new byte[] {1}), "\"etag\""),
        }) {
            assertStoreAway(call, "Blob Storage");
        }
    }

    @Test
    void aQueueMessageThatCannotBeSentIsAStoreFailure() throws IOException {
        StorageQueueWorkQueue queue = new StorageQueueWorkQueue(new QueueServiceClientBuilder()
                .endpoint("http://127.0.0.1:" + closedPort() + "/account").credential(SHARED_KEY).httpClient(HTTP)
                .retryOptions(STORAGE_ONE_TRY).buildClient(), true);
        assertStoreAway(() -> queue.send("batch-partitions", "message-1", "{}"), "Queue Storage");
    }

    @Test
    void anEventThatCannotBePublishedIsAStoreFailure() throws IOException {
        EventGridEventPublisher publisher = new EventGridEventPublisher(new EventGridPublisherClientBuilder()
                .endpoint("https://127.0.0.1:" + closedPort() + "/api/events")
                .credential(TOKEN).httpClient(HTTP).retryOptions(ONE_TRY)
                .buildCloudEventPublisherClient());
        VigilEvent event = new VigilEvent("3f1c6a2e-1b7d-4d55-9a57-2f0c7a1b9e10", EventTypes.GATES_PASSED,
                VigilEvent.SOURCE, ModelVersion.of("readmission", 3).subject(), Instant.parse("2026-03-01T10:15:30Z"),
                Map.of("model", "readmission", "version", 3));
        assertStoreAway(() -> publisher.publish(event), "Event Grid");
    }

    @Test
    void keyVaultThatCannotBeReachedIsAStoreFailureForSecretsAndSignatures() throws IOException {
        String vault = "https://127.0.0.1:" + closedPort();
        KeyVaultSecretProvider secrets = new KeyVaultSecretProvider(new SecretClientBuilder().vaultUrl(vault)
                .credential(TOKEN).httpClient(HTTP).retryOptions(ONE_TRY).buildClient());
        assertStoreAway(() -> secrets.secret("pseudonymisation-key"), "Key Vault");

        KeyVaultAuditSigner signer = new KeyVaultAuditSigner(new CryptographyClientBuilder()
                .keyIdentifier(vault + "/keys/" + KeyVaultAuditSigner.KEY_NAME).credential(TOKEN).httpClient(HTTP)
                .retryOptions(ONE_TRY).disableKeyCaching().buildClient(), version -> new byte[0]);
        assertStoreAway(() -> signer.sign(new byte[] {1, 2, 3}), "Key Vault");
    }
}

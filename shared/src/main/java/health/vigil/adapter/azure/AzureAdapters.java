package health.vigil.adapter.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.cosmos.CosmosClient;
import com.azure.cosmos.CosmosClientBuilder;
import com.azure.cosmos.CosmosDatabase;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.ThrottlingRetryOptions;
import com.azure.cosmos.models.CosmosContainerProperties;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.messaging.eventgrid.EventGridPublisherClientBuilder;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.QueueServiceClientBuilder;
import health.vigil.port.WorkQueue;
import health.vigil.config.VigilConfig;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditSigner;
import health.vigil.port.AuditStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.OutcomeStore;
import health.vigil.port.RegistryStore;
import health.vigil.port.RequestStatsStore;
import health.vigil.port.SecretProvider;
import health.vigil.port.Telemetry;
import health.vigil.security.Authenticator;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Builds every Azure-backed port from a {@link VigilConfig}: Cosmos DB for the registry, audit log and prediction
 * log, Blob Storage for artifacts, Event Grid for events, Key Vault for secrets, OpenTelemetry for telemetry. Each
 * client is made on first use, so an app pays only for what it uses. In Azure every client authenticates with the
 * app's managed identity ({@code DefaultAzureCredential}); the emulators' keys are the only keys it ever accepts.
 * Closing it closes the Cosmos DB client and the prediction log's writers.
 */
public final class AzureAdapters implements AutoCloseable {
    /** The SDK's throttling policy: up to 9 retries of a 429 within 30 s, honouring the service's retry-after. */
    static final ThrottlingRetryOptions THROTTLING = new ThrottlingRetryOptions()
            .setMaxRetryAttemptsOnThrottledRequests(9)
            .setMaxRetryWaitTime(Duration.ofSeconds(30));
    private static final int PREDICTION_WRITERS = 16;

    private final AzureSettings settings;
    private final Supplier<TokenCredential> credential;
    private final OpenTelemetry openTelemetry;
    private final HttpClient httpClient = new JdkHttpClientBuilder().build();
    private WorkQueue workQueue;

    private CosmosClient cosmos;
    private CosmosDatabase database;
    private RegistryStore registry;
    private AuditStore audit;
    private CosmosPredictionLog predictions;
    private RequestStatsStore requestStats;
    private CosmosOutcomeStore outcomes;
    private ArtifactStore artifacts;
    private EventPublisher events;
    private SecretProvider secrets;
    private Telemetry telemetry;
    private AuditSigner auditSigner;
    private TokenCredential resolvedCredential;

    AzureAdapters(AzureSettings settings, Supplier<TokenCredential> credential, OpenTelemetry openTelemetry) {
        JdkHttpClientLogging.quietTheDroppedContentLength();
        this.settings = Objects.requireNonNull(settings, "settings");
        this.credential = Objects.requireNonNull(credential, "credential");
        this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    /**
     * The adapters for these settings, authenticating with {@code DefaultAzureCredential} (the managed identity in
     * Azure; {@code VIGIL_AZURE_CLIENT_ID} picks a user-assigned one) and reporting through {@code GlobalOpenTelemetry}.
     */
    public static AzureAdapters create(VigilConfig config) {
        AzureSettings settings = AzureSettings.from(config);
        return new AzureAdapters(settings, () -> {
            DefaultAzureCredentialBuilder builder = new DefaultAzureCredentialBuilder()
                    .httpClient(new JdkHttpClientBuilder().build());
            if (settings.managedIdentityClientId() != null) {
                builder.managedIdentityClientId(settings.managedIdentityClientId());
            }
            return builder.build();
        }, GlobalOpenTelemetry.get());
    }

    public AzureSettings settings() {
        return settings;
    }

    public synchronized RegistryStore registryStore() {
        if (registry == null) {
            registry = new CosmosRegistryStore(database().getContainer(CosmosRegistryStore.CONTAINER));
        }
        return registry;
    }

    public synchronized AuditStore auditStore() {
        if (audit == null) {
            audit = new CosmosAuditStore(database().getContainer(CosmosAuditStore.CONTAINER));
        }
        return audit;
    }

    public synchronized PredictionLog predictionLog() {
        if (predictions == null) {
            predictions = new CosmosPredictionLog(database().getContainer(CosmosPredictionLog.CONTAINER),
                    settings.predictionShards(), settings.predictionRetention(), PREDICTION_WRITERS);
        }
        return predictions;
    }

    /** Per-minute request statistics, in the predictions container (its own partitions). */
    public synchronized RequestStatsStore requestStatsStore() {
        if (requestStats == null) {
            requestStats = new CosmosRequestStatsStore(database().getContainer(CosmosPredictionLog.CONTAINER),
                    settings.predictionRetention());
        }
        return requestStats;
    }

    public synchronized OutcomeStore outcomeStore() {
        if (outcomes == null) {
            outcomes = new CosmosOutcomeStore(database().getContainer(CosmosOutcomeStore.CONTAINER),
                    settings.predictionRetention());
        }
        return outcomes;
    }

    public synchronized ArtifactStore artifactStore() {
        if (artifacts == null) {
            BlobServiceClientBuilder builder = new BlobServiceClientBuilder().httpClient(httpClient);
            if (settings.storageConnectionString() != null) {
                builder.connectionString(settings.storageConnectionString());
            } else {
                builder.endpoint(AzureSettings.require(settings.blobEndpoint(), AzureSettings.BLOB_ENDPOINT,
                        "the Blob Storage endpoint, https://<account>.blob.core.windows.net").toString())
                        .credential(credential());
            }
            BlobServiceClient service = builder.buildClient();
            BlobArtifactStore store = new BlobArtifactStore(service);
            if (settings.createResources()) {
                store.createContainers();
            }
            artifacts = store;
        }
        return artifacts;
    }

    /**
     * The work queues (batch partitions) on the Function App's storage account: {@code VIGIL_AZURE_QUEUE_ENDPOINT}
     * with the app's identity, or the emulator's connection string.
     */
    public synchronized WorkQueue workQueue() {
        if (workQueue == null) {
            QueueServiceClientBuilder builder = new QueueServiceClientBuilder().httpClient(httpClient)
                    .messageEncoding(QueueMessageEncoding.BASE64);
            if (settings.storageConnectionString() != null) {
                builder.connectionString(settings.storageConnectionString());
            } else {
                builder.endpoint(AzureSettings.require(settings.queueEndpoint(), AzureSettings.QUEUE_ENDPOINT,
                        "the queue endpoint of the Function App's storage account, https://<account>.queue.core.windows.net")
                        .toString()).credential(credential());
            }
            workQueue = new StorageQueueWorkQueue(builder.buildClient(), settings.createResources());
        }
        return workQueue;
    }

    /** The Event Grid publisher, when {@code VIGIL_AZURE_EVENTGRID_ENDPOINT} is set (the emulators have none). */
    public synchronized Optional<EventPublisher> eventPublisher() {
        if (events == null && settings.eventGridEndpoint() != null) {
            events = new EventGridEventPublisher(new EventGridPublisherClientBuilder()
                    .endpoint(settings.eventGridEndpoint().toString())
                    .credential(credential())
                    .httpClient(httpClient)
                    .buildCloudEventPublisherClient());
        }
        return Optional.ofNullable(events);
    }

    /** Key Vault secrets, when {@code VIGIL_AZURE_KEYVAULT_URI} is set. */
    public synchronized Optional<SecretProvider> secretProvider() {
        if (secrets == null && settings.keyVaultUri() != null) {
            secrets = new KeyVaultSecretProvider(new SecretClientBuilder()
                    .vaultUrl(settings.keyVaultUri().toString())
                    .credential(credential())
                    .httpClient(httpClient)
                    .buildClient());
        }
        return Optional.ofNullable(secrets);
    }

    /**
     * The audit evidence signer on the Key Vault key {@code audit-signing}, when {@code VIGIL_AZURE_KEYVAULT_URI}
     * is set.
     */
    public synchronized Optional<AuditSigner> auditSigner() {
        if (auditSigner == null && settings.keyVaultUri() != null) {
            String vault = settings.keyVaultUri().toString().replaceAll("/+$", "");
            CryptographyClient signing = new CryptographyClientBuilder()
                    .keyIdentifier(vault + "/keys/" + KeyVaultAuditSigner.KEY_NAME)
                    .credential(credential())
                    .httpClient(httpClient)
                    .disableKeyCaching()
                    .buildClient();
            auditSigner = new KeyVaultAuditSigner(signing, versionedKeyId -> new CryptographyClientBuilder()
                    .keyIdentifier(versionedKeyId)
                    .credential(credential())
                    .httpClient(httpClient)
                    .buildClient()
                    .getKey().getKey().toEc(false).getPublic().getEncoded());
        }
        return Optional.ofNullable(auditSigner);
    }

    /**
     * Callers as App Service authentication (Entra ID) passes them in the client principal header, which App
     * Service strips from incoming requests, so only its front end can set it.
     */
    public Authenticator authenticator() {
        return new ClientPrincipalAuthenticator();
    }

    public synchronized Telemetry telemetry() {
        if (telemetry == null) {
            telemetry = new OpenTelemetryTelemetry(openTelemetry);
        }
        return telemetry;
    }

    private TokenCredential credential() {
        if (resolvedCredential == null) {
            resolvedCredential = credential.get();
        }
        return resolvedCredential;
    }

    private CosmosDatabase database() {
        if (database == null) {
            CosmosClientBuilder builder = new CosmosClientBuilder()
                    .endpoint(settings.requireCosmosEndpoint().toString())
                    .throttlingRetryOptions(THROTTLING)
                    .contentResponseOnWriteEnabled(false)
                    .userAgentSuffix("vigil");
            if (settings.cosmosKey() != null) {
                builder.key(settings.cosmosKey());
            } else {
                builder.credential(credential());
            }
            if (settings.cosmosGatewayMode()) {
                builder.gatewayMode();
            } else {
                builder.directMode();
            }
            try {
                cosmos = builder.buildClient();
                if (settings.createResources()) {
                    createCosmosResources(cosmos);
                }
                database = cosmos.getDatabase(settings.cosmosDatabase());
            } catch (CosmosException e) {
                throw CosmosFailures.translate("connecting to Cosmos DB at " + settings.cosmosEndpoint(), e);
            }
        }
        return database;
    }

    /** Emulators only: in Azure the Bicep templates create these, and data-plane roles cannot. */
    private void createCosmosResources(CosmosClient client) {
        client.createDatabaseIfNotExists(settings.cosmosDatabase());
        CosmosDatabase db = client.getDatabase(settings.cosmosDatabase());
        db.createContainerIfNotExists(new CosmosContainerProperties(CosmosRegistryStore.CONTAINER,
                "/" + CosmosRegistryStore.PARTITION_PROPERTY));
        db.createContainerIfNotExists(new CosmosContainerProperties(CosmosAuditStore.CONTAINER,
                "/" + CosmosAuditStore.PARTITION_PROPERTY));
        CosmosContainerProperties outcomesContainer = new CosmosContainerProperties(CosmosOutcomeStore.CONTAINER,
                "/" + CosmosOutcomeStore.PARTITION_PROPERTY);
        // The retention: an outcome written before outcomes carried their own ttl goes that long after its write.
        outcomesContainer.setDefaultTimeToLiveInSeconds(
                (int) Math.min(Integer.MAX_VALUE, settings.predictionRetention().toSeconds()));
        db.createContainerIfNotExists(outcomesContainer);
        CosmosContainerProperties predictionsContainer = new CosmosContainerProperties(CosmosPredictionLog.CONTAINER,
                "/" + CosmosPredictionLog.PARTITION_PROPERTY);
        // -1: TTL on, each record's own ttl (the retention) decides.
        predictionsContainer.setDefaultTimeToLiveInSeconds(-1);
        db.createContainerIfNotExists(predictionsContainer);
    }

    @Override
    public synchronized void close() {
        if (predictions != null) {
            predictions.close();
        }
        if (cosmos != null) {
            cosmos.close();
        }
    }
}

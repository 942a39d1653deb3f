package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import health.vigil.config.VigilConfig;
import health.vigil.model.ModelName;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the Azure SDK logs while the adapters work on the emulators, as {@code vigil up --azure-emulators} sees it: the
 * command line routes the SDK's SLF4J logging into {@code java.util.logging}, which is why this test lives here.
 */
@ExtendWith(AzureEmulators.class)
class AzureSdkLoggingIT {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void capture() {
        capture.setLevel(Level.ALL);
        Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void release() {
        Logger.getLogger("").removeHandler(capture);
    }

    @Test
    void uploadsLogNoWarningForTheContentLengthTheJdkSendsItselfWhileOtherDroppedHeadersStillWarn() throws Exception {
        Map<String, String> env = new HashMap<>();
        AzureEmulators.CosmosTarget cosmos = AzureEmulators.cosmos();
        env.put("VIGIL_MODE", "azure");
        env.put("VIGIL_AZURE_COSMOS_ENDPOINT", cosmos.endpoint());
        env.put("VIGIL_AZURE_COSMOS_KEY", cosmos.key());
        env.put("VIGIL_AZURE_COSMOS_CONNECTION_MODE", "gateway");
        env.put("VIGIL_AZURE_STORAGE_CONNECTION_STRING", AzureEmulators.azurite().connectionString());
        env.put("VIGIL_AZURE_CREATE_RESOURCES", "true");
        String database = "it-logging-" + UUID.randomUUID().toString().substring(0, 8);
        env.put("VIGIL_AZURE_COSMOS_DATABASE", database);
        ModelName model = new ModelName("logging-" + UUID.randomUUID().toString().substring(0, 8));

        try (AzureAdapters adapters = AzureAdapters.create(VigilConfig.fromEnvironment(env))) {
            ArtifactStore artifacts = adapters.artifactStore();
            for (int i = 0; i < 5; i++) {
                String blob = model + "/" + i + ".bin";
                artifacts.put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(new byte[1024 * (i + 1)]), false);
                assertThat(artifacts.describe(ArtifactStore.MODELS, blob)).isPresent();
            }
            assertThat(adapters.registryStore().findVersion(model, 1)).isEmpty();

            // A header the JDK really drops from the request still warns, under the same logger.
            HttpClient client = new JdkHttpClientBuilder().build();
            try (HttpResponse response = client.sendSync(new HttpRequest(HttpMethod.GET,
                    AzureEmulators.azurite().blobEndpoint()).setHeader("Upgrade", "h2c"), Context.NONE)) {
                assertThat(response.getStatusCode()).isPositive();
            }
        } finally {
            CosmosTestDatabase.client().getDatabase(database).delete();
        }

        List<String> restricted = records.stream().map(LogRecord::getMessage)
                .filter(m -> m != null && m.contains("restricted by 'java.net.http.HttpClient'")).toList();
        assertThat(restricted).noneMatch(m -> m.toLowerCase(java.util.Locale.ROOT).contains("content-length"));
        assertThat(restricted).anyMatch(m -> m.toLowerCase(java.util.Locale.ROOT).contains("upgrade"));
    }
}

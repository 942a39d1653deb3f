package health.vigil.adapter.azure;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import health.vigil.contract.ArtifactStoreContract;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.emulators.AzureEmulators;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the {@link ArtifactStore} contract against {@link BlobArtifactStore} on Azurite, with 1 MiB blocks so the
 * contract's 3 MiB upload is staged as four blocks.
 */
@ExtendWith(AzureEmulators.class)
class BlobArtifactStoreContractIT extends ArtifactStoreContract {
    static final int BLOCK = 1024 * 1024;

    @Override
    protected ArtifactStore newStore() {
        BlobArtifactStore store = new BlobArtifactStore(service(), BLOCK);
        store.createContainers();
        return store;
    }

    static BlobServiceClient service() {
        return new BlobServiceClientBuilder().connectionString(AzureEmulators.azurite().connectionString())
                .httpClient(new JdkHttpClientBuilder().build()).buildClient();
    }
}

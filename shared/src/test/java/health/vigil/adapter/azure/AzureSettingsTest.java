package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.config.VigilConfig;
import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AzureSettingsTest {
    private static AzureSettings settings(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("VIGIL_MODE", "azure");
        return AzureSettings.from(VigilConfig.fromEnvironment(all));
    }

    @Test
    void azureDefaultsAreDirectModeManagedIdentityAndNoResourceCreation() {
        AzureSettings s = settings(Map.of(
                "VIGIL_AZURE_COSMOS_ENDPOINT", "https://vigil.documents.azure.com:443/",
                "VIGIL_AZURE_BLOB_ENDPOINT", "https://vigil.blob.core.windows.net",
                "VIGIL_PREDICTION_RETENTION_DAYS", "30"));

        assertThat(s.requireCosmosEndpoint().getHost()).isEqualTo("vigil.documents.azure.com");
        assertThat(s.cosmosDatabase()).isEqualTo("vigil");
        assertThat(s.cosmosGatewayMode()).isFalse();
        assertThat(s.cosmosKey()).isNull();
        assertThat(s.createResources()).isFalse();
        assertThat(s.predictionShards()).isEqualTo(4);
        assertThat(s.predictionRetention()).isEqualTo(Duration.ofDays(30));
        assertThat(s.hasBlobStorage()).isTrue();
        assertThat(s.eventGridEndpoint()).isNull();
    }

    @Test
    void aMissingCosmosEndpointNamesTheSettingWhenAnAdapterNeedsIt() {
        AzureSettings s = settings(Map.of());

        assertThatThrownBy(s::requireCosmosEndpoint).isInstanceOf(ValidationException.class)
                .hasMessageContaining("VIGIL_AZURE_COSMOS_ENDPOINT is not set");
    }

    @Test
    void malformedValuesAreRefusedWithTheSettingName() {
        assertThatThrownBy(() -> settings(Map.of("VIGIL_AZURE_COSMOS_CONNECTION_MODE", "tcp")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("VIGIL_AZURE_COSMOS_CONNECTION_MODE");
        assertThatThrownBy(() -> settings(Map.of("VIGIL_AZURE_CREATE_RESOURCES", "yes")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("VIGIL_AZURE_CREATE_RESOURCES");
        assertThatThrownBy(() -> settings(Map.of("VIGIL_AZURE_COSMOS_PREDICTION_SHARDS", "0")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("1-64");
        assertThatThrownBy(() -> settings(Map.of("VIGIL_AZURE_KEYVAULT_URI", "vault")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("VIGIL_AZURE_KEYVAULT_URI");
    }

    @Test
    void theEmulatorKeysNeverAppearWhenTheSettingsArePrinted() {
        AzureSettings s = settings(Map.of(
                "VIGIL_AZURE_COSMOS_ENDPOINT", "https://127.0.0.1:8081/",
                "VIGIL_AZURE_COSMOS_KEY", "c2VjcmV0LWtleQ==",
                "VIGIL_AZURE_COSMOS_CONNECTION_MODE", "gateway",
                "VIGIL_AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=c3RvcmFnZS1rZXk=;"));

        assertThat(s.cosmosGatewayMode()).isTrue();
        assertThat(s.toString()).doesNotContain("c2VjcmV0LWtleQ==").doesNotContain("c3RvcmFnZS1rZXk=");
    }
}

package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpResponse;
import com.azure.security.keyvault.secrets.SecretClient;
import health.vigil.error.StoreException;
import health.vigil.port.SecretProvider;
import org.junit.jupiter.api.Test;

/** What the Key Vault secret provider tells the operator when Key Vault refuses the app's identity. */
class KeyVaultSecretProviderTest {

    /** The role is granted on the one secret (access.bicep), never on the vault, and the message says so. */
    @Test
    void aRefusedReadNamesTheRoleOnTheSecretItselfNotOnTheVault() {
        SecretClient client = mock(SecretClient.class);
        HttpResponse response = mock(HttpResponse.class);
        when(response.getStatusCode()).thenReturn(403);
        when(client.getSecret(SecretProvider.PSEUDONYMISATION_KEY))
                .thenThrow(new HttpResponseException("forbidden", response));

        assertThatThrownBy(() -> new KeyVaultSecretProvider(client).secret(SecretProvider.PSEUDONYMISATION_KEY))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("the 'Key Vault Secrets User' role on this secret, not on the vault")
                .hasMessageContaining("--scope VAULT_ID/secrets/pseudonymisation-key")
                .hasMessageNotContaining("role on the vault");
    }
}

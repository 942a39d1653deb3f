package health.vigil.adapter.azure;

import com.azure.core.exception.HttpResponseException;
import com.azure.security.keyvault.secrets.SecretClient;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.port.SecretProvider;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Vigil's secrets (the pseudonymisation key) from Azure Key Vault with the app's managed identity. Secrets
 * are stored base64-encoded ({@code openssl rand -base64 32}) and read once per process; the values never appear in
 * a message.
 */
final class KeyVaultSecretProvider implements SecretProvider {
    private final SecretClient client;
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    KeyVaultSecretProvider(SecretClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public byte[] secret(String name) {
        Objects.requireNonNull(name, "name");
        return cache.computeIfAbsent(name, this::fetch).clone();
    }

    private byte[] fetch(String name) {
        String value;
        try {
            value = client.getSecret(name).getValue();
        } catch (HttpResponseException e) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
            if (status == 404) {
                throw new VigilException(ErrorCode.INTERNAL, "Key Vault " + client.getVaultUrl() + " has no secret '" + name
                        + "'; create it: az keyvault secret set --vault-name <vault> --name " + name
                        + " --value \"$(openssl rand -base64 32)\"", e);
            }
            if (status == 401 || status == 403) {
                // Granted on the secret alone (access.bicep), so that a secret added to the vault later stays unread.
                throw new StoreException("reading secret '" + name + "' was refused by Key Vault (" + status + "): give"
                        + " the app's managed identity the 'Key Vault Secrets User' role on this secret, not on the"
                        + " vault: az role assignment create --assignee PRINCIPAL_ID --role \"Key Vault Secrets User\""
                        + " --scope VAULT_ID/secrets/" + name, e);
            }
            throw new StoreException("reading secret '" + name + "' from Key Vault failed with HTTP " + status
                    + " after retries", e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("reading secret '" + name + "'", "Key Vault", e);
        }
        if (value == null || value.isBlank()) {
            throw new VigilException(ErrorCode.INTERNAL, "secret '" + name + "' in Key Vault is empty; store base64 of"
                    + " at least 32 random bytes");
        }
        try {
            return Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            // The cause would quote the value: leave it out.
            throw new VigilException(ErrorCode.INTERNAL, "secret '" + name + "' in Key Vault is not base64; store base64"
                    + " of at least 32 random bytes (openssl rand -base64 32)");
        }
    }
}

package health.vigil.adapter.azure;

import com.azure.core.exception.HttpResponseException;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.models.SignResult;
import com.azure.security.keyvault.keys.cryptography.models.SignatureAlgorithm;
import health.vigil.error.StoreException;
import health.vigil.hash.Sha256;
import health.vigil.port.AuditSigner;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Signs audit evidence with a Key Vault key ({@code audit-signing}, EC P-256, not exportable) through Key Vault's
 * sign operation: the app's managed identity may sign and read the public half, never the private key. The key
 * is addressed without a version, so after a rotation in Key Vault the next signature uses the new version; each
 * signature names the version Key Vault used, and its public key is fetched once per version.
 */
final class KeyVaultAuditSigner implements AuditSigner {
    /** The name of the signing key in the vault (docs/runbooks/key-rotation.md). */
    static final String KEY_NAME = "audit-signing";

    private final CryptographyClient signing;
    private final Function<String, byte[]> publicKeyOfVersion;
    private final Map<String, byte[]> publicKeys = new ConcurrentHashMap<>();

    /**
     * @param signing a client for the versionless key id, with key caching off
     * @param publicKeyOfVersion the X.509 public key of a versioned key id
     */
    KeyVaultAuditSigner(CryptographyClient signing, Function<String, byte[]> publicKeyOfVersion) {
        this.signing = Objects.requireNonNull(signing, "signing");
        this.publicKeyOfVersion = Objects.requireNonNull(publicKeyOfVersion, "publicKeyOfVersion");
    }

    @Override
    public Signature sign(byte[] data) {
        byte[] digest = Sha256.newDigest().digest(data);
        SignResult result;
        try {
            result = signing.sign(SignatureAlgorithm.ES256, digest);
        } catch (HttpResponseException e) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
            if (status == 401 || status == 403) {
                // Granted on the key alone (access.bicep), so that a key added to the vault later stays unused.
                throw new StoreException("Key Vault refused to sign audit evidence (" + status + "): give the app's"
                        + " managed identity the 'Key Vault Crypto User' role on the key " + KEY_NAME + " itself, not"
                        + " on the vault: az role assignment create --assignee PRINCIPAL_ID --role \"Key Vault Crypto"
                        + " User\" --scope VAULT_ID/keys/" + KEY_NAME, e);
            }
            if (status == 404) {
                throw new StoreException("Key Vault has no key '" + KEY_NAME + "': create it (EC P-256, sign/verify;"
                        + " docs/runbooks/key-rotation.md)", e);
            }
            throw new StoreException("signing audit evidence in Key Vault failed with HTTP " + status
                    + " after retries", e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("signing audit evidence", "Key Vault", e);
        }
        String versionedKeyId = result.getKeyId();
        byte[] publicKey = publicKeys.computeIfAbsent(versionedKeyId, publicKeyOfVersion);
        return new Signature(publicKey, result.getSignature());
    }
}

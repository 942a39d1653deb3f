package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpResponse;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.models.SignResult;
import com.azure.security.keyvault.keys.cryptography.models.SignatureAlgorithm;
import health.vigil.audit.SigningKeys;
import health.vigil.error.StoreException;
import health.vigil.port.AuditSigner;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Key Vault signer against a client that signs the way Key Vault's ES256 does (a P1363 signature over the
 * SHA-256 digest it is sent), with keys held here: what it produces must verify with the JDK alone.
 */
class KeyVaultAuditSignerTest {
    static final String VERSION_1 = "https://vault.example/keys/audit-signing/1";
    static final String VERSION_2 = "https://vault.example/keys/audit-signing/2";

    @Test
    void signaturesOverTheDigestVerifyWithThePublicKeyOfTheVersionThatMadeThem() throws Exception {
        KeyPair v1 = pair();
        KeyPair v2 = pair();
        CryptographyClient client = mock(CryptographyClient.class);
        when(client.sign(eq(SignatureAlgorithm.ES256), any())).thenAnswer(i -> keyVaultSign(v1, i.getArgument(1), VERSION_1))
                .thenAnswer(i -> keyVaultSign(v2, i.getArgument(1), VERSION_2));
        List<String> fetched = new ArrayList<>();
        KeyVaultAuditSigner signer = new KeyVaultAuditSigner(client, version -> {
            fetched.add(version);
            return (version.equals(VERSION_1) ? v1 : v2).getPublic().getEncoded();
        });
        byte[] data = "digest fields".getBytes(StandardCharsets.UTF_8);

        AuditSigner.Signature before = signer.sign(data);
        AuditSigner.Signature afterRotation = signer.sign(data);

        assertThat(SigningKeys.verify(v1.getPublic(), data, before.signature())).isTrue();
        assertThat(before.publicKeyDer()).isEqualTo(v1.getPublic().getEncoded());
        assertThat(SigningKeys.verify(v2.getPublic(), data, afterRotation.signature())).isTrue();
        assertThat(afterRotation.publicKeyDer()).isEqualTo(v2.getPublic().getEncoded());
        assertThat(fetched).containsExactly(VERSION_1, VERSION_2);
    }

    @Test
    void aRefusalByKeyVaultNamesTheRoleTheIdentityNeeds() {
        CryptographyClient client = mock(CryptographyClient.class);
        HttpResponse response = mock(HttpResponse.class);
        when(response.getStatusCode()).thenReturn(403);
        when(client.sign(eq(SignatureAlgorithm.ES256), any())).thenThrow(new HttpResponseException("forbidden", response));

        assertThatThrownBy(() -> new KeyVaultAuditSigner(client, v -> new byte[0]).sign(new byte[] {1}))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("the 'Key Vault Crypto User' role on the key " + KeyVaultAuditSigner.KEY_NAME
                        + " itself, not on the vault")
                .hasMessageContaining("--scope VAULT_ID/keys/" + KeyVaultAuditSigner.KEY_NAME)
                .hasMessageNotContaining("role on the vault");
    }

    private static SignResult keyVaultSign(KeyPair pair, byte[] digest, String keyId) throws Exception {
        assertThat(digest).hasSize(32);
        Signature raw = Signature.getInstance("NONEwithECDSAinP1363Format");
        raw.initSign(pair.getPrivate());
        raw.update(digest);
        return new SignResult(raw.sign(), SignatureAlgorithm.ES256, keyId);
    }

    private static KeyPair pair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}

package health.vigil.audit;

import health.vigil.port.AuditSigner;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;

/** An evidence signer on a key pair held in memory: Vigil's key in a test, or an attacker's own key. */
public final class KeyPairSigner implements AuditSigner {
    private final KeyPair pair;

    private KeyPairSigner(KeyPair pair) {
        this.pair = pair;
    }

    /** A new P-256 key pair drawn from {@code random}, so a seeded test gets the same keys every run. */
    public static KeyPairSigner generate(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            return new KeyPairSigner(generator.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public PublicKey publicKey() {
        return pair.getPublic();
    }

    @Override
    public Signature sign(byte[] data) {
        try {
            java.security.Signature signer = java.security.Signature.getInstance(SigningKeys.JCA_ALGORITHM);
            signer.initSign(pair.getPrivate());
            signer.update(data);
            return new Signature(pair.getPublic().getEncoded(), signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

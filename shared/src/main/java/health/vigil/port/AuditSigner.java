package health.vigil.port;

/**
 * Signs audit evidence (export digests and chain-head anchors) with a key the application can use but not
 * read: a Key Vault key in Azure, a generated key pair locally. Signatures are ECDSA P-256 over SHA-256 in
 * the IEEE P1363 form ({@code r || s}, 64 bytes), which is what Key Vault's ES256 returns.
 */
public interface AuditSigner {
    /** The JOSE name of the one algorithm Vigil signs evidence with. */
    String ALGORITHM = "ES256";

    /** Signs {@code data}; the result names the key so a verifier can pick the matching public key. */
    Signature sign(byte[] data);

    /**
     * A signature and the key that made it.
     *
     * @param publicKeyDer the signing key's public half as X.509 SubjectPublicKeyInfo (DER)
     * @param signature the P1363 signature
     */
    record Signature(byte[] publicKeyDer, byte[] signature) {
        public Signature {
            publicKeyDer = publicKeyDer.clone();
            signature = signature.clone();
        }

        @Override
        public byte[] publicKeyDer() {
            return publicKeyDer.clone();
        }

        @Override
        public byte[] signature() {
            return signature.clone();
        }
    }
}

package health.vigil.audit;

import health.vigil.hash.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

/**
 * The public side of evidence signing: key ids, PEM files and signature checks. A key's id is the sha256 of
 * its public key (X.509 DER), so an id names exactly one key and anyone can recompute it from the PEM file.
 * Only the JDK is used, so a verifier needs nothing but the files and the public key.
 */
public final class SigningKeys {
    /** ECDSA P-256 with SHA-256, signature as {@code r || s} (IEEE P1363), matching Key Vault's ES256. */
    public static final String JCA_ALGORITHM = "SHA256withECDSAinP1363Format";
    private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String PEM_END = "-----END PUBLIC KEY-----";

    private SigningKeys() {}

    /** The id of a public key: {@code sha256:} and the hex digest of its DER encoding. */
    public static String keyId(byte[] publicKeyDer) {
        return "sha256:" + Sha256.hex(publicKeyDer);
    }

    public static String keyId(PublicKey key) {
        return keyId(key.getEncoded());
    }

    /** The file name under which a key's PEM is published beside the exports. */
    public static String fileName(String keyId) {
        return keyId.replace("sha256:", "") + ".pem";
    }

    public static String pem(byte[] publicKeyDer) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(publicKeyDer);
        return PEM_BEGIN + "\n" + body + "\n" + PEM_END + "\n";
    }

    /** Reads a PEM public key; empty when the text is not one. */
    public static Optional<PublicKey> fromPem(String text) {
        int begin = text.indexOf(PEM_BEGIN);
        int end = text.indexOf(PEM_END);
        if (begin < 0 || end < begin) {
            return Optional.empty();
        }
        String body = text.substring(begin + PEM_BEGIN.length(), end).replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(body);
            return Optional.of(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der)));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    /** True when {@code signature} is a valid ES256 signature of {@code data} by {@code key}. */
    public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(JCA_ALGORITHM);
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}

package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.SigningKeys;
import health.vigil.port.AuditSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalAuditSignerTest {
    @TempDir
    Path home;

    @Test
    void theKeyPairIsCreatedOwnerOnlyAndSignsVerifiably() throws Exception {
        byte[] data = "digest".getBytes(StandardCharsets.UTF_8);
        AuditSigner.Signature signature = LocalAuditSigner.open(home).sign(data);

        Path folder = home.resolve("secrets").resolve(LocalAuditSigner.FOLDER);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve(LocalAuditSigner.KEY_FILE))))
                .isEqualTo("rw-------");
        try (var files = Files.list(folder)) {
            assertThat(files).containsExactly(folder.resolve(LocalAuditSigner.KEY_FILE));
        }
        assertThat(signature.signature()).hasSize(64);
        assertThat(SigningKeys.verify(publicKey(signature), data, signature.signature())).isTrue();
        assertThat(SigningKeys.verify(publicKey(signature), "other".getBytes(StandardCharsets.UTF_8),
                signature.signature())).isFalse();
    }

    @Test
    void theSameKeySignsAfterARestartAndARotationReplacesItEverywhere() {
        LocalAuditSigner running = LocalAuditSigner.open(home);
        byte[] first = running.publicKey();
        assertThat(LocalAuditSigner.open(home).publicKey()).isEqualTo(first);

        byte[] rotated = LocalAuditSigner.open(home).rotate();

        assertThat(rotated).isNotEqualTo(first);
        // A platform that was already running signs with the new key from its next signature on.
        assertThat(running.sign(new byte[] {1}).publicKeyDer()).isEqualTo(rotated);
    }

    private static PublicKey publicKey(AuditSigner.Signature signature) throws Exception {
        return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(signature.publicKeyDer()));
    }
}

package health.vigil.testing.emulators;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmTrustStoreTest {
    private static final List<String> NAMES = List.of(JvmTrustStore.STORE, JvmTrustStore.PASSWORD, JvmTrustStore.TYPE);

    @TempDir
    Path dir;

    private Map<String, String> jvmSettings;

    @BeforeEach
    void keepTheJvmSettings() {
        jvmSettings = settings();
    }

    @AfterEach
    void putTheJvmSettingsBack() {
        jvmSettings.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    @Test
    void theSettingsFoundComeBackWhenTheLastStoreIsTakenOutWhateverTheOrder() throws Exception {
        System.setProperty(JvmTrustStore.STORE, dir.resolve("operator.p12").toString());
        System.setProperty(JvmTrustStore.PASSWORD, "the operator's");
        System.clearProperty(JvmTrustStore.TYPE);
        Map<String, String> found = settings();
        Path first = store("first.p12", "first password");
        Path second = store("second.p12", "second password");

        JvmTrustStore.Trust firstTrust = JvmTrustStore.trust(first, "first password");
        JvmTrustStore.Trust secondTrust = JvmTrustStore.trust(second, "second password");
        assertThat(settings()).containsEntry(JvmTrustStore.STORE, second.toString())
                .containsEntry(JvmTrustStore.PASSWORD, "second password").containsEntry(JvmTrustStore.TYPE, "PKCS12");

        firstTrust.close();
        assertThat(settings()).containsEntry(JvmTrustStore.STORE, second.toString())
                .containsEntry(JvmTrustStore.PASSWORD, "second password");
        secondTrust.close();
        assertThat(settings()).isEqualTo(found);
        firstTrust.close();
        assertThat(settings()).isEqualTo(found);
    }

    @Test
    void theEarlierStoreIsInForceAgainOnceTheLaterIsTakenOutAndATlsClientBuiltAfterLoadsItsAnchors() throws Exception {
        Map<String, String> found = settings();
        Path first = store("first.p12", "first password");
        Path second = store("second.p12", "second password");

        try (JvmTrustStore.Trust firstTrust = JvmTrustStore.trust(first, "first password")) {
            try (JvmTrustStore.Trust secondTrust = JvmTrustStore.trust(second, "second password")) {
                assertThat(System.getProperty(JvmTrustStore.STORE)).isEqualTo(second.toString());
            }
            // The later store's owner deletes it with its folder, as a test deletes the home it started a server on.
            Files.delete(second);
            assertThat(settings()).containsEntry(JvmTrustStore.STORE, first.toString())
                    .containsEntry(JvmTrustStore.PASSWORD, "first password");
            newTlsClientTrust();
        }
        Files.delete(first);
        assertThat(settings()).isEqualTo(found);
        newTlsClientTrust();
    }

    private static Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>();
        for (String name : NAMES) {
            settings.put(name, System.getProperty(name));
        }
        return settings;
    }

    /** An empty PKCS#12 trust store under its own password, as the launcher writes one per server. */
    private Path store(String name, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
        return file;
    }

    /** Builds trust from the JVM's settings as a new TLS client does (the Cosmos SDK builds one per client). */
    private static void newTlsClientTrust() throws Exception {
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).init((KeyStore) null);
    }
}

package health.vigil.testing.emulators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorLauncherIT {
    @TempDir
    Path work;

    @BeforeAll
    static void needsNode() {
        String why = EmulatorLauncher.unavailableReason().orElse(null);
        assumeTrue(why == null, () -> "skipped: " + why);
    }

    @Test
    void startsBothEmulatorsOnLoopbackPortsAndKillsThemOnClose() throws Exception {
        EmulatorLauncher launcher = EmulatorLauncher.builder().workDir(work).trustCosmosInThisJvm(false).build();
        long azuritePid;
        long cosmosPid;
        try (Emulators emulators = launcher.startAll()) {
            azuritePid = emulators.azurite().pid();
            cosmosPid = emulators.cosmos().pid();

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> blob = plain.send(HttpRequest.newBuilder(
                    URI.create(emulators.azurite().blobEndpoint() + "?comp=list")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // Unsigned requests are refused by the Blob API itself: proof that Azurite, not something else, answers.
            assertThat(blob.statusCode()).isEqualTo(403);
            assertThat(blob.headers().firstValue("x-ms-request-id")).isPresent();

            HttpClient tls = HttpClient.newBuilder().sslContext(emulators.cosmos().certificate().clientContext())
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> account = tls.send(HttpRequest.newBuilder(URI.create(emulators.cosmos().endpoint()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(account.statusCode()).isEqualTo(200);
            assertThat(account.body()).contains("writableLocations").contains(":" + emulators.cosmos().port());

            assertThat(emulators.settings()).containsEntry("VIGIL_AZURE_COSMOS_ENDPOINT", emulators.cosmos().endpoint())
                    .containsEntry("VIGIL_AZURE_STORAGE_CONNECTION_STRING", emulators.azurite().connectionString());
        }
        assertThat(ProcessHandle.of(cosmosPid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(ProcessHandle.of(azuritePid).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void theCosmosCertificateIsNotTrustedByDefault() throws Exception {
        EmulatorLauncher launcher = EmulatorLauncher.builder().workDir(work).trustCosmosInThisJvm(false).build();
        try (CosmosServer cosmos = launcher.startCosmos()) {
            HttpClient defaults = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.send(
                    HttpRequest.newBuilder(URI.create(cosmos.endpoint())).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
            assertThat(cosmos.certificate().certificate().getSubjectAlternativeNames())
                    .anySatisfy(san -> assertThat(san.get(1)).isEqualTo("127.0.0.1"))
                    .anySatisfy(san -> assertThat(san.get(1)).isEqualTo("localhost"));
        }
    }

    @Test
    void stoppedCosmosServersLeaveTheJvmTrustSettingsAsTheyFoundThemEvenWhenTheirFoldersAreDeleted() throws Exception {
        Map<String, String> before = trustSettings();
        Path firstHome = work.resolve("first");
        try (CosmosServer first = EmulatorLauncher.builder().workDir(firstHome).build().startCosmos()) {
            Path secondHome = work.resolve("second");
            try (CosmosServer second = EmulatorLauncher.builder().workDir(secondHome).build().startCosmos()) {
                assertThat(System.getProperty("javax.net.ssl.trustStore")).isEqualTo(second.trustStore().toString());
            }
            // As a test that started the second server on a home of its own deletes that home when it ends.
            deleteTree(secondHome);

            assertThat(System.getProperty("javax.net.ssl.trustStore")).isEqualTo(first.trustStore().toString());
            assertThat(System.getProperty("javax.net.ssl.trustStorePassword")).isEqualTo(first.trustStorePassword());
            assertThat(trustAnchorsOfTheNextTlsClient()).isNotEmpty();
        }
        deleteTree(firstHome);

        assertThat(trustSettings()).isEqualTo(before);
        assertThat(trustAnchorsOfTheNextTlsClient()).isNotEmpty();
    }

    private static Map<String, String> trustSettings() {
        Map<String, String> settings = new HashMap<>();
        for (String name : List.of("javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword",
                "javax.net.ssl.trustStoreType")) {
            settings.put(name, System.getProperty(name));
        }
        return settings;
    }

    /** What a TLS client built now (as the Cosmos SDK builds one per client) trusts, read from the JVM's settings. */
    private static List<?> trustAnchorsOfTheNextTlsClient() throws Exception {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null);
        return List.of(((javax.net.ssl.X509TrustManager) factory.getTrustManagers()[0]).getAcceptedIssuers());
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}

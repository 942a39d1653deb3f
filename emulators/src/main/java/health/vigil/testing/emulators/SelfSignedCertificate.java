package health.vigil.testing.emulators;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A fresh self-signed TLS certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's
 * {@code keytool}, as a PKCS#12 key store (for a local HTTPS server) and a trust store (for its clients).
 */
public final class SelfSignedCertificate {
    private final Path keyStore;
    private final char[] password;
    private final X509Certificate certificate;

    private SelfSignedCertificate(Path keyStore, char[] password, X509Certificate certificate) {
        this.keyStore = keyStore;
        this.password = password;
        this.certificate = certificate;
    }

    /** Creates the certificate and its key in {@code dir/server.p12}. */
    public static SelfSignedCertificate create(Path dir) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("server.p12");
            Files.deleteIfExists(file);
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            char[] password = HexFormat.of().formatHex(random).toCharArray();
            Path keytool = Path.of(System.getProperty("java.home"), "bin",
                    System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")
                            ? "keytool.exe" : "keytool");
            List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", "server",
                    "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA", "-validity", "30",
                    "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-storetype", "PKCS12", "-keystore", file.toString(),
                    "-storepass", new String(password), "-keypass", new String(password));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool could not make a certificate: " + output.strip());
            }
            KeyStore store = KeyStore.getInstance(file.toFile(), password);
            X509Certificate certificate = (X509Certificate) store.getCertificate("server");
            return new SelfSignedCertificate(file, password, certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("keytool wrote a key store the JVM cannot read", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while keytool made a certificate", e);
        }
    }

    /** The PKCS#12 file with the private key and certificate, for the server. */
    public Path keyStore() {
        return keyStore;
    }

    public String password() {
        return new String(password);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** A server-side TLS context presenting this certificate. */
    public SSLContext serverContext() {
        try (InputStream in = Files.newInputStream(keyStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS server context from " + keyStore, e);
        }
    }

    /** A client-side TLS context that trusts this certificate only. */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", certificate);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS client context", e);
        }
    }

    /**
     * Writes a trust store holding the JVM's current trusted authorities plus this certificate, so a JVM that
     * points {@code javax.net.ssl.trustStore} at it still trusts every public endpoint it trusted before.
     */
    public Path writeTrustStoreWithDefaults(Path file, char[] storePassword) {
        try {
            KeyStore combined = KeyStore.getInstance("PKCS12");
            combined.load(null, null);
            KeyStore defaults = currentDefaultTrustStore();
            if (defaults != null) {
                for (String alias : Collections.list(defaults.aliases())) {
                    Certificate cert = defaults.getCertificate(alias);
                    if (cert != null) {
                        combined.setCertificateEntry("default-" + alias, cert);
                    }
                }
            }
            combined.setCertificateEntry("vigil-emulator-" + certificate.getSerialNumber().toString(16), certificate);
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                combined.store(out, storePassword);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the trust store " + file, e);
        }
    }

    private static KeyStore currentDefaultTrustStore() throws IOException, GeneralSecurityException {
        String configured = System.getProperty("javax.net.ssl.trustStore");
        Path file = configured != null && !configured.isBlank() && !"NONE".equals(configured)
                ? Path.of(configured)
                : Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        String pw = System.getProperty("javax.net.ssl.trustStorePassword", configured == null ? "changeit" : "");
        return KeyStore.getInstance(file.toFile(), pw.isEmpty() ? null : pw.toCharArray());
    }
}

package health.vigil.testing.emulators;

import java.nio.file.Path;

/**
 * A running Cosmos DB REST server (@vercel/cosmosdb-server) on a loopback port, over HTTPS with a fresh
 * self-signed certificate. It keeps data in memory only. Stopping it ({@link #close()}) kills the process by PID.
 */
public final class CosmosServer extends RunningEmulator {
    /**
     * The Cosmos DB emulator's documented key. The npm server accepts any key; using the emulator's one lets the
     * same settings work against both.
     */
    public static final String KEY =
            "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DDjz9AgeE3X9I8aZEu8Cp9PPDN1b3P7rTpJSEFqEhPFAJg==";

    private final SelfSignedCertificate certificate;
    private final Path trustStore;
    private final String trustStorePassword;
    /** This JVM's trust in the server, taken back when it stops; null when the JVM was not told to trust it. */
    private final JvmTrustStore.Trust trustInThisJvm;

    CosmosServer(EmulatorProcess process, SelfSignedCertificate certificate, Path trustStore, String trustStorePassword,
            JvmTrustStore.Trust trustInThisJvm) {
        super(process);
        this.certificate = certificate;
        this.trustStore = trustStore;
        this.trustStorePassword = trustStorePassword;
        this.trustInThisJvm = trustInThisJvm;
    }

    /**
     * {@code https://127.0.0.1:<port>/}. The server names itself by the address it listens on, and the SDK follows
     * that name, so the endpoint uses the same address.
     */
    public String endpoint() {
        return "https://127.0.0.1:" + port() + "/";
    }

    public String key() {
        return KEY;
    }

    public SelfSignedCertificate certificate() {
        return certificate;
    }

    /** A PKCS#12 trust store with the JVM's default authorities plus this server's certificate. */
    public Path trustStore() {
        return trustStore;
    }

    public String trustStorePassword() {
        return trustStorePassword;
    }

    /** Stops the server and, if this JVM trusted it, puts back the trust store settings it found. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            if (trustInThisJvm != null) {
                trustInThisJvm.close();
            }
        }
    }

    @Override
    public String toString() {
        return "CosmosServer[" + endpoint() + ", pid " + pid() + "]";
    }
}

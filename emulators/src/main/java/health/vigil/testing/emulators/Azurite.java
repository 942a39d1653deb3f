package health.vigil.testing.emulators;

/**
 * A running Azurite Blob service on a loopback port, with the well-known development account. Stopping it
 * ({@link #close()}) kills the process by PID.
 */
public final class Azurite extends RunningEmulator {
    /** Azurite's documented development account and key; they open nothing outside this machine. */
    public static final String ACCOUNT = "devstoreaccount1";
    public static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    Azurite(EmulatorProcess process) {
        super(process);
    }

    /** {@code http://127.0.0.1:<port>/devstoreaccount1}. */
    public String blobEndpoint() {
        return "http://127.0.0.1:" + port() + "/" + ACCOUNT;
    }

    /** A storage connection string for the Azure SDK and the Functions host. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
                + ";BlobEndpoint=" + blobEndpoint() + ";";
    }

    @Override
    public String toString() {
        return "Azurite[" + blobEndpoint() + ", pid " + pid() + "]";
    }
}

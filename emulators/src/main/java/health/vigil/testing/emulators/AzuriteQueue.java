package health.vigil.testing.emulators;

/**
 * A running Azurite Queue service on a loopback port, with the well-known development account. Stopping it
 * ({@link #close()}) kills the process by PID.
 */
public final class AzuriteQueue extends RunningEmulator {
    AzuriteQueue(EmulatorProcess process) {
        super(process);
    }

    /** {@code http://127.0.0.1:<port>/devstoreaccount1}. */
    public String queueEndpoint() {
        return "http://127.0.0.1:" + port() + "/" + Azurite.ACCOUNT;
    }

    /** A storage connection string naming only the queue endpoint. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + Azurite.ACCOUNT + ";AccountKey=" + Azurite.ACCOUNT_KEY
                + ";QueueEndpoint=" + queueEndpoint() + ";";
    }

    @Override
    public String toString() {
        return "AzuriteQueue[" + queueEndpoint() + ", pid " + pid() + "]";
    }
}

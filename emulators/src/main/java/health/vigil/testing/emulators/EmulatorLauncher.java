package health.vigil.testing.emulators;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Starts the local stand-ins for Azure — Azurite for Blob Storage and a Cosmos DB REST server — from npm, on free
 * loopback ports, for integration tests, benchmarks and {@code vigil up --azure-emulators}. The npm packages are
 * installed on first use with {@code npm ci} from the bundled {@code package-lock.json} into a per-machine cache.
 * Not production code: nothing in an Azure deployment uses it.
 *
 * <pre>{@code
 * try (Emulators emulators = EmulatorLauncher.builder().workDir(dir).build().startAll()) {
 *     VigilConfig config = VigilConfig.fromEnvironment(emulators.settings());
 *     ...
 * }
 * }</pre>
 */
public final class EmulatorLauncher {
    /** Overrides where the npm packages are cached (system property, then environment variable). */
    public static final String CACHE_PROPERTY = "vigil.emulators.cache";
    public static final String CACHE_VARIABLE = "VIGIL_EMULATORS_CACHE";

    private static final Pattern AZURITE_READY = Pattern.compile("successfully listens on http://[^:]+:(\\d+)");
    private static final Pattern COSMOS_READY = Pattern.compile("cosmos-server listening on (\\d+)");

    private final Path workDir;
    private final Path cacheDir;
    private final boolean persistBlobs;
    private final boolean trustCosmosInThisJvm;
    private final Duration startupTimeout;
    private final Duration installTimeout;

    private EmulatorLauncher(Builder b) {
        this.workDir = Objects.requireNonNull(b.workDir, "workDir").toAbsolutePath();
        this.cacheDir = b.cacheDir != null ? b.cacheDir.toAbsolutePath() : defaultCacheDir();
        this.persistBlobs = b.persistBlobs;
        this.trustCosmosInThisJvm = b.trustCosmosInThisJvm;
        this.startupTimeout = b.startupTimeout;
        this.installTimeout = b.installTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Why the emulators cannot run on this machine (no Node.js 20+ or npm), or empty when they can. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(NodeRuntime.detect().unavailableReason());
    }

    /** Starts Azurite's Blob service. */
    public Azurite startAzurite() {
        NodeRuntime node = runtime();
        Path npmDir = NpmInstallation.ensureInstalled(node, cacheDir, installTimeout);
        List<String> command = new ArrayList<>(List.of(node.node(), "azurite-blob.js",
                "--blobHost", "127.0.0.1", "--blobPort", "0",
                // Accept the newest service version the SDK sends, and no telemetry leaves the machine.
                "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"));
        if (persistBlobs) {
            command.addAll(List.of("--location", workDir.resolve("azurite").toString()));
        } else {
            command.addAll(List.of("--inMemoryPersistence", "--extentMemoryLimit", "512"));
        }
        EmulatorProcess process = EmulatorProcess.start("azurite", command, npmDir,
                workDir.resolve("logs").resolve("azurite.log"), AZURITE_READY, startupTimeout);
        return new Azurite(process);
    }

    /** Starts Azurite's Queue service (always in memory): the Storage queues the Functions host's queue triggers read. */
    public AzuriteQueue startAzuriteQueue() {
        NodeRuntime node = runtime();
        Path npmDir = NpmInstallation.ensureInstalled(node, cacheDir, installTimeout);
        List<String> command = List.of(node.node(), "azurite-queue.js", "--queueHost", "127.0.0.1", "--queuePort", "0",
                "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent", "--inMemoryPersistence");
        EmulatorProcess process = EmulatorProcess.start("azurite-queue", command, npmDir,
                workDir.resolve("logs").resolve("azurite-queue.log"), AZURITE_READY, startupTimeout);
        return new AzuriteQueue(process);
    }

    /**
     * Starts the Cosmos DB server over HTTPS with a new certificate. Unless disabled in the builder, it also points
     * this JVM's {@code javax.net.ssl.trustStore} at a store that adds the certificate to the default authorities:
     * the Cosmos SDK builds its TLS context from the JVM's trust settings and takes no trust store of its own.
     * Stopping the server puts back the settings it found.
     */
    public CosmosServer startCosmos() {
        NodeRuntime node = runtime();
        Path npmDir = NpmInstallation.ensureInstalled(node, cacheDir, installTimeout);
        Path certDir = workDir.resolve("cosmos-tls");
        SelfSignedCertificate certificate = SelfSignedCertificate.create(certDir);
        String trustPassword = randomPassword();
        Path trustStore = certificate.writeTrustStoreWithDefaults(certDir.resolve("truststore.p12"),
                trustPassword.toCharArray());
        List<String> command = List.of(node.node(), "cosmos-server.js", certificate.keyStore().toString(),
                certificate.password(), "127.0.0.1", "0");
        EmulatorProcess process = EmulatorProcess.start("cosmos-server", command, npmDir,
                workDir.resolve("logs").resolve("cosmos-server.log"), COSMOS_READY, startupTimeout);
        JvmTrustStore.Trust trust = trustCosmosInThisJvm ? JvmTrustStore.trust(trustStore, trustPassword) : null;
        return new CosmosServer(process, certificate, trustStore, trustPassword, trust);
    }

    /** Starts both; if the second fails to start, the first is stopped again. */
    public Emulators startAll() {
        Azurite azurite = startAzurite();
        try {
            return new Emulators(azurite, startCosmos());
        } catch (RuntimeException e) {
            azurite.close();
            throw e;
        }
    }

    private NodeRuntime runtime() {
        NodeRuntime.Result result = NodeRuntime.detect();
        if (result.runtime() == null) {
            throw new IllegalStateException(result.unavailableReason());
        }
        return result.runtime();
    }

    private static Path defaultCacheDir() {
        String configured = System.getProperty(CACHE_PROPERTY, System.getenv(CACHE_VARIABLE));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "vigil", "emulators");
    }

    private static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Settings of a launcher; only {@link #workDir} is required. */
    public static final class Builder {
        private Path workDir;
        private Path cacheDir;
        private boolean persistBlobs;
        private boolean trustCosmosInThisJvm = true;
        private Duration startupTimeout = Duration.ofSeconds(90);
        private Duration installTimeout = Duration.ofMinutes(10);

        private Builder() {}

        /** Where logs, the certificate and (if persisted) blob data go, e.g. {@code target/emulators} or {@code .vigil/emulators}. */
        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Where the npm packages are installed; defaults to {@code ~/.cache/vigil/emulators}. */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** Keeps blobs under {@code workDir/azurite} across restarts instead of in memory. */
        public Builder persistBlobs(boolean persist) {
            this.persistBlobs = persist;
            return this;
        }

        /** Whether {@link #startCosmos()} sets this JVM's trust store (default true). */
        public Builder trustCosmosInThisJvm(boolean trust) {
            this.trustCosmosInThisJvm = trust;
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        public EmulatorLauncher build() {
            if (workDir == null) {
                throw new IllegalStateException("set workDir: the folder for logs, the certificate and blob data");
            }
            try {
                Files.createDirectories(workDir);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot create " + workDir, e);
            }
            return new EmulatorLauncher(this);
        }
    }
}

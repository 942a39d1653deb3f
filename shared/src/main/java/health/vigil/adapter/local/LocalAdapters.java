package health.vigil.adapter.local;

import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditSigner;
import health.vigil.port.AuditStore;
import health.vigil.port.OutcomeStore;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.port.RequestStatsStore;
import health.vigil.port.SecretProvider;
import health.vigil.security.Authenticator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds every local port under one home folder ({@code .vigil/}): files for artifacts and secrets, SQLite for the
 * registry, the audit log and the prediction log, {@code keys.json} for callers. The counterpart of
 * {@code AzureAdapters}; the adapters themselves are package-private. Each is opened on first use; closing this
 * closes the databases in reverse order. The in-process event bus is not built here: the local host owns it.
 */
public final class LocalAdapters implements AutoCloseable {
    private final Path home;
    private final PredictionLogDurability durability;

    private ArtifactStore artifacts;
    private SqliteRegistryStore registry;
    private SqliteAuditStore audit;
    private SqlitePredictionLog predictions;
    private SqliteRequestStatsStore requestStats;
    private SqliteOutcomeStore outcomes;
    private SecretProvider secrets;
    private Authenticator authenticator;
    private AuditSigner signer;

    private LocalAdapters(Path home, PredictionLogDurability durability) {
        this.home = Objects.requireNonNull(home, "home");
        this.durability = Objects.requireNonNull(durability, "durability");
    }

    /** The adapters under {@code home}; nothing is opened yet. */
    public static LocalAdapters at(Path home, PredictionLogDurability durability) {
        return new LocalAdapters(home, durability);
    }

    public synchronized ArtifactStore artifactStore() {
        if (artifacts == null) {
            artifacts = FileArtifactStore.open(home);
        }
        return artifacts;
    }

    public synchronized RegistryStore registryStore() {
        if (registry == null) {
            registry = SqliteRegistryStore.open(home);
        }
        return registry;
    }

    public synchronized AuditStore auditStore() {
        if (audit == null) {
            audit = SqliteAuditStore.open(home);
        }
        return audit;
    }

    public synchronized PredictionLog predictionLog() {
        if (predictions == null) {
            predictions = SqlitePredictionLog.open(home, durability);
        }
        return predictions;
    }

    /** Per-minute request counts and latencies of each model version and slot. */
    public synchronized RequestStatsStore requestStatsStore() {
        if (requestStats == null) {
            requestStats = SqliteRequestStatsStore.open(home);
        }
        return requestStats;
    }

    public synchronized OutcomeStore outcomeStore() {
        if (outcomes == null) {
            outcomes = SqliteOutcomeStore.open(home);
        }
        return outcomes;
    }

    /** The audit evidence signing key pair under {@code secrets/audit-signing/} (0600), generated on first use. */
    public synchronized AuditSigner auditSigner() {
        if (signer == null) {
            signer = LocalAuditSigner.open(home);
        }
        return signer;
    }

    /** The pseudonymisation key and other secrets, from files under {@code secrets/} (0600). */
    public synchronized SecretProvider secretProvider() {
        if (secrets == null) {
            secrets = FileSecretProvider.open(home);
        }
        return secrets;
    }

    /** API keys from {@code keys.json}, one per persona, created on first use. */
    public synchronized Authenticator authenticator() {
        if (authenticator == null) {
            authenticator = ApiKeyAuthenticator.openOrCreate(home);
        }
        return authenticator;
    }

    /** Where {@code keys.json} is under {@code home}. */
    public static Path keysFile(Path home) {
        return ApiKeyAuthenticator.keysFile(home);
    }

    /** How the pipeline identity of a file dropped into a local folder begins. */
    static final String PIPELINE_PREFIX = "os-user:";

    /**
     * The pipeline identity of a file dropped into a local folder: the operating-system user who owns it, as
     * {@code os-user:NAME}; null where the file system has no owners.
     */
    public static String pipelineIdentity(Path file) {
        try {
            return PIPELINE_PREFIX + Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The API key of a persona ({@code operator}, {@code clinical-app}, {@code compliance}, ...) under {@code home}. */
    public static String apiKey(Path home, String persona) {
        return ApiKeyAuthenticator.keyOf(home, persona);
    }

    /** The local audit log's database file: its presence tells a command that a home holds an audit trail. */
    public static Path auditDatabase(Path home) {
        return home.resolve(SqliteAuditStore.FILE_NAME);
    }

    /** The folder that holds a container's blobs under {@code home}. */
    public static Path blobFolder(Path home, String container) {
        return home.resolve(FileArtifactStore.FOLDER).resolve(container);
    }

    /** How well group commit batched the prediction log's appends so far, when it is the local log. */
    public static Optional<GroupCommitCounts> groupCommitCounts(PredictionLog log) {
        return log instanceof SqlitePredictionLog sqlite
                ? Optional.of(new GroupCommitCounts(sqlite.journaledRecords(), sqlite.groupCommits(),
                        sqlite.drainTransactions()))
                : Optional.empty();
    }

    /**
     * Records acknowledged, the journal writes (group commits) that acknowledged them, and the transactions
     * that moved them into SQLite.
     */
    public record GroupCommitCounts(long records, long groupCommits, long drainTransactions) {}

    /** Closes the databases that were opened, the prediction log first (its writer flushes into SQLite). */
    @Override
    @SuppressWarnings("try") // the resources are only there to be closed
    public synchronized void close() {
        try (SqliteRegistryStore r = registry; SqliteAuditStore a = audit; SqliteOutcomeStore o = outcomes;
                SqliteRequestStatsStore s = requestStats;
                SqlitePredictionLog p = predictions) {
            // closed in reverse order; the ones never opened are null and skipped; every failure is kept
        }
    }
}

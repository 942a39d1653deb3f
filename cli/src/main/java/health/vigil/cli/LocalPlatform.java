package health.vigil.cli;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.cli.dashboard.Dashboard;
import health.vigil.cli.metrics.LocalMetrics;
import health.vigil.cli.metrics.MetricsRoute;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.host.LocalHost;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Authenticator;
import health.vigil.security.Role;
import health.vigil.training.CodeVersion;
import health.vigil.training.ModelTraining;
import health.vigil.training.retrain.PipelineRetrainer;
import health.vigil.testing.emulators.EmulatorLauncher;
import health.vigil.testing.emulators.Emulators;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import health.vigil.error.ConflictException;
import health.vigil.hash.Sha256;
import health.vigil.port.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Vigil on one machine: the local host running both Function Apps' classes, with the platform composed on
 * the embedded stores under the home folder and the host's event bus as its event publisher. The platform records
 * its telemetry through the adapter Azure records through, into {@link LocalMetrics}, which {@code GET /metrics}
 * serves.
 */
public final class LocalPlatform implements AutoCloseable {
    private final LocalHost host;
    private final VigilPlatform platform;
    private final LocalMetrics metrics;
    private final AutoCloseable emulators;

    private LocalPlatform(LocalHost host, VigilPlatform platform, LocalMetrics metrics, AutoCloseable emulators) {
        this.host = host;
        this.platform = platform;
        this.metrics = metrics;
        this.emulators = emulators;
    }

    /**
     * Starts the platform with the Azure adapters on the storage emulators (Azurite for blobs, the Cosmos DB
     * server for the registry, audit log and prediction log), which the build installs from npm. Events still
     * go through the local bus, and keys and secrets stay in the home folder: there is no emulator for Event
     * Grid, Key Vault or Entra ID.
     */
    public static LocalPlatform startOnAzureEmulators(Path home, int port) {
        Path absoluteHome = home.toAbsolutePath();
        LocalHost.refusePortInUse(port);
        refuseBlobsOfAnEarlierRun(absoluteHome);
        EmulatorLauncher.unavailableReason().ifPresent(reason -> {
            throw new health.vigil.error.ValidationException("--azure-emulators needs Node.js: " + reason);
        });
        Emulators emulators = EmulatorLauncher.builder().workDir(absoluteHome.resolve(EMULATORS_FOLDER))
                .persistBlobs(true).build().startAll();
        try {
            Map<String, String> settings = new HashMap<>(emulators.settings());
            settings.put("VIGIL_MODE", "azure");
            settings.put("VIGIL_HOME", absoluteHome.toString());
            VigilConfig config = VigilConfig.fromEnvironment(settings);
            // Key files and keys.json stay local: the emulators have no Key Vault and no Entra ID.
            LocalAdapters files = LocalAdapters.at(absoluteHome, config.predictionLogDurability());
            LocalPlatform started = start(config, port, b -> b
                    .secretProvider(files.secretProvider())
                    .auditSigner(files.auditSigner())
                    .authenticator(files.authenticator()));
            return new LocalPlatform(started.host, started.platform, started.metrics, emulators);
        } catch (RuntimeException e) {
            emulators.close();
            throw e;
        }
    }

    /** Where, under the home, the emulators keep their logs and certificate, and Azurite its blobs. */
    static final String EMULATORS_FOLDER = "emulators";
    /** Azurite's blobs under the home, as the launcher persists them ({@code workDir/azurite}). */
    static final String AZURITE_DATA = EMULATORS_FOLDER + "/azurite";

    /**
     * Azurite keeps its blobs under the home across restarts, but the Cosmos DB server keeps nothing: started again
     * on the same home, the registry and the audit log would be empty while the package, gate-report and signed
     * evidence blobs are still there (the evidence then reports the empty log as rewritten). So a home that holds
     * Azurite data from an earlier run is refused, and nothing is deleted: the operator chooses.
     */
    static void refuseBlobsOfAnEarlierRun(Path absoluteHome) {
        Path azurite = absoluteHome.resolve(AZURITE_DATA);
        if (!Files.isDirectory(azurite)) {
            return;
        }
        try (var entries = Files.list(azurite)) {
            if (entries.findAny().isEmpty()) {
                return;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new health.vigil.error.ValidationException("--azure-emulators cannot start on this --home: it holds"
                + " Azurite blobs from an earlier run, and the Cosmos DB server keeps nothing across restarts, so those"
                + " blobs would contradict an empty registry and audit log; start with a new --home, or remove the"
                + " folder " + AZURITE_DATA + " under this home");
    }

    /** Starts the platform on {@code port} (0: any free port) with its data under {@code home}. */
    public static LocalPlatform start(Path home, int port) {
        return start(VigilConfig.local(home.toAbsolutePath()), port, b -> b);
    }

    /**
     * Starts the platform for {@code config}; {@code customise} may adjust the platform (clock, pipelines)
     * before it is built.
     */
    /** Schedules the functions read from app settings, with the defaults the Bicep templates set in Azure. */
    static final Map<String, String> SCHEDULE_DEFAULTS = Map.of("VIGIL_DRIFT_CHECK_SCHEDULE", "0 5 * * * *");

    public static LocalPlatform start(VigilConfig config, int port, UnaryOperator<VigilPlatform.Builder> customise) {
        // Before the home, its keys and its stores are created: a refused start leaves nothing behind.
        LocalHost.refusePortInUse(port);
        AtomicReference<VigilPlatform> platform = new AtomicReference<>();
        LocalMetrics metrics = new LocalMetrics();
        AtomicReference<LocalHost> served = new AtomicReference<>();
        LocalHost.Builder hostBuilder = LocalHost.builder();
        if (config.mode() == VigilConfig.Mode.AZURE) {
            // Blobs are read from the emulated Blob Storage: a file dropped locally is uploaded there first.
            hostBuilder.dropFolderPublisher((container, name, file) -> publishToBlobStore(platform.get().artifacts(),
                    container, name, file));
        }
        LocalHost host = hostBuilder
                .home(config.home())
                .port(port)
                .packages("health.vigil.functions.scoring", "health.vigil.functions.control")
                .instanceInjector(new VigilInstanceInjector(platform::get))
                .maxRequestBodyBytes(config.limits().maxBodyBytes())
                .knownCaller(headers -> knownCaller(platform.get(), headers))
                .allowedCaller((function, headers) -> platform.get() != null
                        && allowedInline(platform.get().authenticator(), function, headers))
                .probeFunctions(Set.of("HealthLive", "HealthReady"))
                .inline(LocalPlatform::runsInline)
                .inlineWhenAlone(LocalPlatform::runsInlineWhenAlone)
                .pages(new org.eclipse.jetty.server.Handler.Sequence(new MetricsRoute(platform::get, metrics),
                        new Dashboard(platform::get, config.home().resolve("deadletter"), java.time.Clock.systemUTC(),
                                metrics, () -> served.get() == null ? java.util.List.of() : served.get().functions())),
                        path -> MetricsRoute.serves(path) || Dashboard.serves(path))
                .appSettings(name -> java.util.Optional.ofNullable(System.getenv(name)).orElse(SCHEDULE_DEFAULTS.get(name)))
                .build();
        served.set(host);
        // The local platform has the training library: a retraining request trains here, as `vigil train` does.
        VigilPlatform built = customise.apply(VigilPlatform.builder(config).eventPublisher(host.eventPublisher())
                .workQueue(host.workQueue())
                .telemetry(metrics.telemetry())
                .retrainer(new PipelineRetrainer(new ModelTraining(CodeVersion.ofThisBuild(),
                        java.time.Clock.systemUTC())))).build();
        platform.set(built);
        try {
            host.start();
        } catch (RuntimeException e) {
            built.close();
            metrics.close();
            throw e;
        }
        return new LocalPlatform(host, built, metrics, null);
    }

    /**
     * Scoring without explanations is short and CPU-bound: it runs on the selector thread that read it (ADR 0026). An
     * explained score takes about three times as long and waits for a worker instead when other connections share its
     * selector, so that it does not hold them ({@link #runsInlineWhenAlone}). {@code explain} is read as the scoring
     * function reads it.
     */
    static boolean runsInline(String function, Map<String, String> query) {
        return switch (function) {
            case "Infer", "InferVersion" -> true;
            case "Score" -> NOT_EXPLAINED.contains(query.getOrDefault("explain", "true").toLowerCase(java.util.Locale.ROOT));
            default -> false;
        };
    }

    private static final Set<String> NOT_EXPLAINED = Set.of("false", "0", "no");

    /**
     * An explained score, which would hold its selector's other connections, runs inline all the same when its
     * connection is the only one there (ADR 0027): the hand-off to a worker then delays no one's request but its own.
     */
    static boolean runsInlineWhenAlone(String function, Map<String, String> query) {
        return function.equals("Score");
    }

    /** The role each function that may run inline requires of its caller, as the function itself requires it. */
    private static final Map<String, Role> INLINE_ROLES = Map.of("Infer", Role.SCORING_INVOKE,
            "InferVersion", Role.SCORING_INVOKE, "Score", Role.SCORING_INVOKE);

    /**
     * Whether the headers carry a key the platform knows that holds the role {@code function} requires, for the
     * functions that may run inline; false for any other function. A caller it turns down goes to the workers: the
     * function's 401 or 403 writes an audit record to the disk, which on the selector thread would hold every
     * connection that selector serves (ADR 0026).
     */
    static boolean allowedInline(Authenticator authenticator, String function, Map<String, String> headers) {
        Role role = INLINE_ROLES.get(function);
        if (role == null) {
            return false;
        }
        try {
            return authenticator.authenticate(headers).has(role);
        } catch (health.vigil.error.AccessDeniedException e) {
            return false;
        }
    }

    /** Whether the headers carry a key the platform knows, whatever its roles; false before the platform is built. */
    private static boolean knownCaller(VigilPlatform platform, Map<String, String> headers) {
        if (platform == null) {
            return false;
        }
        try {
            platform.authenticator().authenticate(headers);
            return true;
        } catch (health.vigil.error.AccessDeniedException e) {
            return false;
        }
    }

    /**
     * Puts a dropped file into the emulated Blob Storage, so that the blob holds the file's bytes as they are now. A
     * file raised while still being written (it paused longer than the drop folder waits) is raised again once it
     * changed, and then replaces what was published of it: otherwise the store would keep the partial bytes, and
     * every BlobCreated handler would read them (a package rejected, outcomes half ingested, a batch scoring a
     * truncated file). The same bytes published again (a restart raising a file whose event was not settled) are left
     * as they are: replaced, the blob would get a new ETag, and a handler that keys its work by it (a batch job)
     * would do the work twice.
     */
    static void publishToBlobStore(ArtifactStore artifacts, String container, String name, Path file) {
        // The emulated store records who dropped the file, as the local file store does: a pipeline identity. A file
        // that became a link since the drop folder saw it is not followed.
        String uploadedBy = LocalAdapters.pipelineIdentity(file);
        try {
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                artifacts.put(container, name, in, false, uploadedBy);
                return;
            } catch (ConflictException published) {
                // Published before: replaced below unless it holds these very bytes.
            }
            if (holds(artifacts, container, name, file)) {
                return;
            }
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                artifacts.put(container, name, in, true, uploadedBy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dropped file " + file.getFileName(), e);
        }
    }

    /** Whether the blob holds exactly the file's bytes: the same length, then the same sha256 of what each holds. */
    private static boolean holds(ArtifactStore artifacts, String container, String name, Path file) throws IOException {
        Optional<ArtifactStore.StoredArtifact> stored = artifacts.describe(container, name);
        if (stored.isEmpty() || stored.get().size() != Files.size(file)) {
            return false;
        }
        // The blob's bytes are digested here: the sha256 Blob Storage keeps is metadata that any writer can set.
        try (InputStream blob = artifacts.open(container, name);
                InputStream local = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return Sha256.hex(blob).equals(Sha256.hex(local));
        }
    }

    public URI baseUri() {
        return host.baseUri();
    }

    public int port() {
        return host.port();
    }

    public Path home() {
        return host.home();
    }

    public Path dropFolder() {
        return host.dropFolder();
    }

    public LocalHost host() {
        return host;
    }

    public VigilPlatform platform() {
        return platform;
    }

    /** What {@code GET /metrics} serves: the platform's telemetry since it started. */
    public LocalMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() {
        try {
            host.close();
        } finally {
            try {
                try {
                    platform.close();
                } finally {
                    metrics.close();
                }
            } finally {
                if (emulators != null) {
                    try {
                        emulators.close();
                    } catch (Exception e) {
                        throw new IllegalStateException("the storage emulators did not stop cleanly", e);
                    }
                }
            }
        }
    }
}

package health.vigil.config;

import health.vigil.error.ValidationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Vigil's settings, read once from the environment (app settings in Azure). Every setting name is listed
 * in {@code docs/settings.md}; the Bicep templates set the same names.
 */
public record VigilConfig(
        Mode mode,
        Path home,
        Limits limits,
        Duration predictionRetention,
        Map<String, String> azure,
        PredictionLogDurability predictionLogDurability,
        Duration monitoringSettling,
        Duration monitoringAwaitLimit) {

    /**
     * How long after a window's end its prediction log is taken as complete, by default: requests in flight at the
     * end, and instances whose clocks run a little behind, still write predictions stamped before it.
     */
    public static final Duration DEFAULT_MONITORING_SETTLING = Duration.ofMinutes(2);

    /**
     * How long after a monitoring window settled, by default, a drifted window's report waits for the final report of
     * a window before it, and the scheduled check keeps checking a window it could not finish: a day, some 24 runs of
     * the hourly timer.
     */
    public static final Duration DEFAULT_MONITORING_AWAIT_LIMIT = Duration.ofDays(1);

    /** Which adapters back the ports. */
    public enum Mode {
        /** Embedded stores under {@code home}: SQLite, files, the in-process event bus. */
        LOCAL,
        /** Cosmos DB, Blob Storage, Event Grid, Key Vault. */
        AZURE
    }

    /**
     * What an answered prediction survives in the local prediction log (a journal in front of SQLite); Azure's
     * store is durable on its own. Setting {@code VIGIL_PREDICTION_LOG_DURABILITY}: {@code process-crash} (the default) or
     * {@code power-loss}.
     */
    public enum PredictionLogDurability {
        /**
         * The journal write reaches the operating system before the answer: nothing answered is lost when the
         * process is killed, but an OS crash or power loss may lose the last writes. No fsync per request.
         */
        PROCESS_CRASH,
        /** Every journal write is fsynced before the answer (one per group): also survives an OS crash or power loss. */
        POWER_LOSS;

        public static final PredictionLogDurability DEFAULT = PROCESS_CRASH;
    }

    /** Input limits that protect the services from oversized or hostile input. */
    public record Limits(
            long maxPackageBytes,
            long maxUncompressedBytes,
            int maxPackageEntries,
            int maxBatchRows,
            int maxBodyBytes) {

        public static final Limits DEFAULTS = new Limits(
                256L * 1024 * 1024, 1024L * 1024 * 1024, 16, 1000, 4 * 1024 * 1024);

        public Limits {
            if (maxPackageBytes < 1 || maxUncompressedBytes < 1 || maxPackageEntries < 1 || maxBatchRows < 1
                    || maxBodyBytes < 1) {
                throw new ValidationException("every limit must be at least 1");
            }
        }
    }

    public VigilConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(predictionRetention, "predictionRetention");
        azure = azure == null ? Map.of() : Map.copyOf(azure);
        Objects.requireNonNull(predictionLogDurability, "predictionLogDurability");
        Objects.requireNonNull(monitoringSettling, "monitoringSettling");
        if (monitoringSettling.isNegative()) {
            throw new ValidationException("a monitoring window cannot settle before it ends");
        }
        Objects.requireNonNull(monitoringAwaitLimit, "monitoringAwaitLimit");
        if (monitoringAwaitLimit.isNegative()) {
            throw new ValidationException("the monitoring await limit is " + monitoringAwaitLimit + "; it must be zero"
                    + " or more");
        }
        if (mode == Mode.LOCAL) {
            Objects.requireNonNull(home, "home is needed in local mode");
        }
    }

    /** The settings with the default prediction log durability and monitoring settling time. */
    public VigilConfig(Mode mode, Path home, Limits limits, Duration predictionRetention, Map<String, String> azure) {
        this(mode, home, limits, predictionRetention, azure, PredictionLogDurability.DEFAULT);
    }

    /** The settings with the default monitoring settling time and await limit. */
    public VigilConfig(Mode mode, Path home, Limits limits, Duration predictionRetention, Map<String, String> azure,
            PredictionLogDurability predictionLogDurability) {
        this(mode, home, limits, predictionRetention, azure, predictionLogDurability, DEFAULT_MONITORING_SETTLING,
                DEFAULT_MONITORING_AWAIT_LIMIT);
    }

    /** Local mode on embedded stores under {@code home}, with default limits. */
    public static VigilConfig local(Path home) {
        return new VigilConfig(Mode.LOCAL, home, Limits.DEFAULTS, Duration.ofDays(400), Map.of());
    }

    public VigilConfig withLimits(Limits newLimits) {
        return new VigilConfig(mode, home, newLimits, predictionRetention, azure, predictionLogDurability,
                monitoringSettling, monitoringAwaitLimit);
    }

    public VigilConfig withPredictionLogDurability(PredictionLogDurability durability) {
        return new VigilConfig(mode, home, limits, predictionRetention, azure, durability, monitoringSettling,
                monitoringAwaitLimit);
    }

    public VigilConfig withMonitoringSettling(Duration settling) {
        return new VigilConfig(mode, home, limits, predictionRetention, azure, predictionLogDurability, settling,
                monitoringAwaitLimit);
    }

    public VigilConfig withMonitoringAwaitLimit(Duration awaitLimit) {
        return new VigilConfig(mode, home, limits, predictionRetention, azure, predictionLogDurability,
                monitoringSettling, awaitLimit);
    }

    /**
     * Reads the settings from environment variables: {@code VIGIL_MODE} (local|azure), {@code VIGIL_HOME},
     * {@code VIGIL_MAX_PACKAGE_BYTES}, {@code VIGIL_MAX_UNCOMPRESSED_BYTES}, {@code VIGIL_MAX_PACKAGE_ENTRIES},
     * {@code VIGIL_MAX_BATCH_ROWS}, {@code VIGIL_MAX_BODY_BYTES}, {@code VIGIL_PREDICTION_RETENTION_DAYS},
     * {@code VIGIL_PREDICTION_LOG_DURABILITY} (process-crash|power-loss), {@code VIGIL_MONITORING_SETTLE_SECONDS},
     * {@code VIGIL_MONITORING_AWAIT_SECONDS}; every {@code VIGIL_AZURE_*} setting is kept for the Azure adapters.
     */
    public static VigilConfig fromEnvironment(Map<String, String> env) {
        Mode mode = switch (env.getOrDefault("VIGIL_MODE", "local").trim().toLowerCase(java.util.Locale.ROOT)) {
            case "local" -> Mode.LOCAL;
            case "azure" -> Mode.AZURE;
            default -> throw new ValidationException("VIGIL_MODE is '" + env.get("VIGIL_MODE") + "'; use local or azure");
        };
        Path home = Path.of(env.getOrDefault("VIGIL_HOME", ".vigil")).toAbsolutePath();
        Limits d = Limits.DEFAULTS;
        Limits limits = new Limits(
                longSetting(env, "VIGIL_MAX_PACKAGE_BYTES", d.maxPackageBytes()),
                longSetting(env, "VIGIL_MAX_UNCOMPRESSED_BYTES", d.maxUncompressedBytes()),
                intSetting(env, "VIGIL_MAX_PACKAGE_ENTRIES", d.maxPackageEntries()),
                intSetting(env, "VIGIL_MAX_BATCH_ROWS", d.maxBatchRows()),
                intSetting(env, "VIGIL_MAX_BODY_BYTES", d.maxBodyBytes()));
        Duration retention = Duration.ofDays(retentionDays(env));
        Map<String, String> azure = new java.util.TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("VIGIL_AZURE_")) {
                azure.put(k, v);
            }
        });
        return new VigilConfig(mode, home, limits, retention, azure, durability(env), monitoringSettling(env),
                monitoringAwaitLimit(env));
    }

    private static PredictionLogDurability durability(Map<String, String> env) {
        String raw = env.get("VIGIL_PREDICTION_LOG_DURABILITY");
        if (raw == null || raw.isBlank()) {
            return PredictionLogDurability.DEFAULT;
        }
        return switch (raw.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "process-crash" -> PredictionLogDurability.PROCESS_CRASH;
            case "power-loss" -> PredictionLogDurability.POWER_LOSS;
            default -> throw new ValidationException("VIGIL_PREDICTION_LOG_DURABILITY is '" + raw + "'; use"
                    + " process-crash (the default) or power-loss");
        };
    }

    /**
     * The longest prediction retention: a Cosmos DB record's time to live is at most 2^31 - 1 seconds, and the
     * local log keeps to the same period, so a longer one would be quietly shortened in Azure.
     */
    public static final long MAX_RETENTION_DAYS = Integer.MAX_VALUE / 86_400L;

    private static long retentionDays(Map<String, String> env) {
        String name = "VIGIL_PREDICTION_RETENTION_DAYS";
        long days = longSetting(env, name, 400);
        if (days > MAX_RETENTION_DAYS) {
            throw new ValidationException(name + " is '" + env.get(name) + "'; it must be a whole number of days from 1"
                    + " to " + MAX_RETENTION_DAYS + " (68 years, the longest time to live Cosmos DB gives a record)");
        }
        return days;
    }

    /** The longest monitoring settling time: a window is reported a day after its end at the latest. */
    public static final long MAX_MONITORING_SETTLE_SECONDS = 86_400;

    private static Duration monitoringSettling(Map<String, String> env) {
        String name = "VIGIL_MONITORING_SETTLE_SECONDS";
        long seconds = longSetting(env, name, DEFAULT_MONITORING_SETTLING.toSeconds());
        if (seconds > MAX_MONITORING_SETTLE_SECONDS) {
            throw new ValidationException(name + " is '" + env.get(name) + "'; it must be a whole number of seconds"
                    + " from 1 to " + MAX_MONITORING_SETTLE_SECONDS + " (a day)");
        }
        return Duration.ofSeconds(seconds);
    }

    /** The longest monitoring await limit: a window is checked for a month after it settled at most. */
    public static final long MAX_MONITORING_AWAIT_SECONDS = 31 * 86_400L;

    /** Unlike the other settings, 0 is allowed: a drifted window waits for none, and an unfinished one is abandoned. */
    private static Duration monitoringAwaitLimit(Map<String, String> env) {
        String name = "VIGIL_MONITORING_AWAIT_SECONDS";
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return DEFAULT_MONITORING_AWAIT_LIMIT;
        }
        Long seconds = wholeNumber(raw);
        if (seconds == null || seconds < 0 || seconds > MAX_MONITORING_AWAIT_SECONDS) {
            throw new ValidationException(name + " is '" + raw + "'; it must be a whole number of seconds from 0 to "
                    + MAX_MONITORING_AWAIT_SECONDS + " (31 days), such as 86400 for a day");
        }
        return Duration.ofSeconds(seconds);
    }

    /** {@link #longSetting} of a count held in an int: a value past 2^31 - 1 is refused, not wrapped to a negative. */
    private static int intSetting(Map<String, String> env, String name, int fallback) {
        long value = longSetting(env, name, fallback);
        if (value > Integer.MAX_VALUE) {
            throw new ValidationException(name + " is '" + env.get(name) + "'; it must be a whole number from 1 to "
                    + Integer.MAX_VALUE);
        }
        return (int) value;
    }

    private static long longSetting(Map<String, String> env, String name, long fallback) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        Long value = wholeNumber(raw);
        if (value == null || value < 1) {
            throw new ValidationException(name + " is '" + raw + "'; it must be a whole number of at least 1");
        }
        return value;
    }

    /** A setting's text as a whole number (surrounding spaces allowed), or null when it is none. */
    private static Long wholeNumber(String raw) {
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

package health.vigil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command. */
@Command(name = "vigil", mixinStandardHelpOptions = true, version = "vigil 0.1.0",
        description = "Vigil: lifecycle of clinical prediction models, locally and on Azure.",
        subcommands = {UpCommand.class, DemoCommand.class, TrainCommand.class, ModelsCommand.class, DatasetsCommand.class,
                CanaryCommand.class, RollbackCommand.class, ShadowCommand.class, ExperimentCommand.class,
                AuditCommand.class, MonitorCommand.class, MetricsCommand.class, LineageCommand.class,
                BatchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        configureLogging();
        System.exit(commandLine().execute(args));
    }

    /**
     * One line per log record; {@code VIGIL_LOG_LEVEL} (e.g. FINE, WARNING) sets the level of Vigil's loggers.
     * Third-party libraries log at WARNING and above only.
     */
    static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$-7s %3$s: %5$s%6$s%n");
        }
        java.util.logging.LogManager.getLogManager().reset();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.ConsoleHandler console = new java.util.logging.ConsoleHandler();
        console.setLevel(java.util.logging.Level.ALL);
        root.addHandler(console);
        root.setLevel(java.util.logging.Level.WARNING);
        java.util.logging.Level level;
        try {
            level = java.util.logging.Level.parse(System.getenv().getOrDefault("VIGIL_LOG_LEVEL", "INFO").trim()
                    .toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            level = java.util.logging.Level.INFO;
        }
        setVigilLogLevel(level);
    }

    /**
     * Sets the level of Vigil's own loggers and of the functions' loggers ({@code Function.<name>}); returns
     * what closes the change again (the previous levels come back).
     */
    static AutoCloseable setVigilLogLevel(java.util.logging.Level level) {
        java.util.Map<java.util.logging.Logger, java.util.logging.Level> previous = new java.util.LinkedHashMap<>();
        for (String name : new String[] {"health.vigil", "Function"}) {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
            previous.put(logger, logger.getLevel());
            logger.setLevel(level);
            KEEP.add(logger);
        }
        return () -> previous.forEach(java.util.logging.Logger::setLevel);
    }

    /** Loggers whose levels were set here; held so the log manager does not forget them. */
    private static final java.util.List<java.util.logging.Logger> KEEP = new java.util.ArrayList<>();

    /** The command line with Vigil's error handling: a usage or validation problem is a message, not a trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        giveVersion(cl, cl.getCommandSpec().version());
        cl.registerConverter(java.time.LocalDate.class, text -> {
            try {
                return java.time.LocalDate.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a date like 2026-11-24");
            }
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof health.vigil.error.VigilException ve) {
                line.getErr().println("vigil: " + ve.getMessage() + " (" + ve.code() + ")");
                return ve.code().isClientError() ? 2 : 1;
            }
            Throwable cause = e instanceof java.io.UncheckedIOException unchecked && unchecked.getCause() != null
                    ? unchecked.getCause() : e;
            // A file named on the command line that is missing, a folder, or not writable: the operator's to fix.
            if (cause instanceof java.nio.file.FileSystemException fs) {
                line.getErr().println("vigil: " + fs.getFile() + ": " + fileProblem(fs));
                return 2;
            }
            // No platform at the address: a message naming it, not a trace.
            if (cause instanceof ControlClient.Unreachable) {
                line.getErr().println("vigil: " + cause.getMessage());
                return 1;
            }
            // An argument the command cannot use (a URL that is not one, a count out of range): the operator's to fix.
            if (cause instanceof IllegalArgumentException bad && bad.getMessage() != null) {
                line.getErr().println("vigil: " + bad.getMessage());
                return 2;
            }
            if (cause instanceof java.io.IOException io) {
                line.getErr().println("vigil: " + (io.getMessage() == null ? io.getClass().getSimpleName()
                        : io.getMessage()));
                return 1;
            }
            if (System.getenv("VIGIL_DEBUG") == null) {
                // Anything else is a fault of the command: one line, and the trace for whoever asks for it.
                line.getErr().println("vigil: failed with " + cause.getClass().getSimpleName()
                        + (cause.getMessage() == null ? "" : ": " + cause.getMessage())
                        + " (VIGIL_DEBUG=1 shows the stack trace)");
                return 1;
            }
            throw e;
        });
        return cl;
    }

    /** Every command answers -V with vigil's version: picocli gives a subcommand none of its own. */
    private static void giveVersion(CommandLine line, String[] version) {
        for (CommandLine sub : line.getSubcommands().values()) {
            sub.getCommandSpec().version(version);
            giveVersion(sub, version);
        }
    }

    private static String fileProblem(java.nio.file.FileSystemException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "already exists";
        }
        return e.getReason() == null ? "cannot be used here" : e.getReason();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

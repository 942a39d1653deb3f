package health.vigil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command. */
@Command(name = "vigil", mixinStandardHelpOptions = true, version = "vigil 0.1.0",
        description = "Vigil: lifecycle of clinical prediction models, locally and on Azure.",
        subcommands = {UpCommand.class, DemoCommand.class, ModelsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with Vigil's error handling: a usage or validation problem is a message, not a trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof health.vigil.error.VigilException ve) {
                line.getErr().println("vigil: " + ve.getMessage() + " (" + ve.code() + ")");
                return ve.code().isClientError() ? 2 : 1;
            }
            throw e;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}

package health.vigil.cli;

import picocli.CommandLine.Option;

/**
 * -h/--help and -V for a command whose own {@code --version} names a model version: picocli's standard help options
 * would claim {@code --version} for vigil's version, so these commands mix in this instead, and offer -V alone, saying
 * whose version it prints so that it is not read as short for the model's {@code --version} beside it.
 */
final class HelpAndVersionOptions {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "-V", versionHelp = true, description = "Print vigil's own version and exit (--version here is a model version).")
    boolean versionHelp;
}

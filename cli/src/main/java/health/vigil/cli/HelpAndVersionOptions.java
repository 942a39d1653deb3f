package health.vigil.cli;

import picocli.CommandLine.Option;

/**
 * -h/--help and -V for a command whose own {@code --version} names a model version: picocli's standard help options
 * would claim {@code --version} for vigil's version, so these commands mix in this instead, and offer -V alone.
 */
final class HelpAndVersionOptions {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "-V", versionHelp = true, description = "Print version information and exit.")
    boolean versionHelp;
}

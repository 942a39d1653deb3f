package health.vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;

/** One run of the {@code vigil} command against a local platform: its exit code and what it printed. */
record CommandRun(int exit, String out, String err) {

    /** Runs {@code vigil args} with the platform's home and address, capturing standard output and error. */
    static CommandRun of(Path home, LocalPlatform platform, String... args) {
        return capture(() -> new CommandLine(new Main()), home, platform.baseUri(), args);
    }

    /**
     * Runs {@code vigil args} as the {@code vigil} command does (its error handling included) with {@code home} against
     * the platform at {@code url}, capturing standard output and error.
     */
    static CommandRun at(URI url, Path home, String... args) {
        return capture(Main::commandLine, home, url, args);
    }

    /**
     * {@link #at(URI, Path, String...)}, with {@code adjust} given the command line before it runs: to set what a
     * command holds but no option sets (how long it waits).
     */
    static CommandRun at(URI url, Path home, Consumer<CommandLine> adjust, String... args) {
        return capture(() -> {
            CommandLine commandLine = Main.commandLine();
            adjust.accept(commandLine);
            return commandLine;
        }, home, url, args);
    }

    private static CommandRun capture(Supplier<CommandLine> commandLine, Path home, URI url, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--home", home.toString(), "--url", url.toString()));
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = commandLine.get().execute(all.toArray(String[]::new));
            return new CommandRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}

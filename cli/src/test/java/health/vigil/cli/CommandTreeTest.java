package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command of the {@code vigil} tree, however deep, answers -h with its usage and -V with vigil's version. */
class CommandTreeTest {

    /** The command paths under {@code line}, each as the words typed after {@code vigil}; picocli's own help command aside. */
    private static List<List<String>> paths(CommandLine line, List<String> path) {
        List<List<String>> paths = new ArrayList<>();
        for (var sub : line.getSubcommands().entrySet()) {
            if (sub.getValue().getCommandSpec().helpCommand()) {
                continue;
            }
            List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getKey());
            paths.add(subPath);
            paths.addAll(paths(sub.getValue(), subPath));
        }
        return paths;
    }

    private record Run(int exit, String out, String err) {}

    private static Run run(List<String> path, String option) {
        CommandLine line = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(path);
        args.add(option);
        int exit = line.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everyCommandShowsItsHelpAndVigilsVersion() {
        String version = String.join("\n", Main.commandLine().getCommandSpec().version()) + System.lineSeparator();
        List<List<String>> paths = paths(Main.commandLine(), List.of());
        paths.add(0, List.of());
        assertThat(paths).as("the tree is walked").contains(List.of("rollback"), List.of("canary", "status"),
                List.of("monitor", "run"));
        for (List<String> path : paths) {
            String command = String.join(" ", path);
            Run help = run(path, "-h");
            assertThat(help.exit()).as("vigil " + command + " -h: " + help.err()).isZero();
            assertThat(help.out()).as("vigil " + command + " -h").startsWith(("Usage: vigil " + command).strip())
                    .contains("-h, --help").contains("-V");
            Run shown = run(path, "-V");
            assertThat(shown.exit()).as("vigil " + command + " -V: " + shown.err()).isZero();
            assertThat(shown.out()).as("vigil " + command + " -V").isEqualTo(version);
        }
    }
}

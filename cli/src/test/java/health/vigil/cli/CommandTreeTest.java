package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

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
        return run(Main.commandLine(), path, option);
    }

    private static Run run(CommandLine line, List<String> path, String option) {
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

    /** The usage of {@code vigil <path> --help}, its whitespace folded so wrapped lines read as one. */
    private static String help(String... path) {
        List<String> args = new ArrayList<>(List.of(path));
        Run help = run(args, "--help");
        assertThat(help.exit()).as("vigil " + String.join(" ", path) + " --help").isZero();
        return help.out().replaceAll("\\s+", " ");
    }

    @Test
    void everyOptionAndParameterOfEveryCommandIsDescribed() {
        List<List<String>> paths = paths(Main.commandLine(), List.of());
        paths.add(0, List.of());
        for (List<String> path : paths) {
            CommandLine line = Main.commandLine();
            for (String word : path) {
                line = line.getSubcommands().get(word);
            }
            List<ArgSpec> args = new ArrayList<>(line.getCommandSpec().options());
            args.addAll(line.getCommandSpec().positionalParameters());
            for (ArgSpec arg : args) {
                String text = String.join(" ", arg.description()).strip();
                assertThat(text).as("vigil " + String.join(" ", path) + " " + arg.paramLabel() + " " + arg)
                        .isNotEmpty();
            }
        }
    }

    @Test
    void theSharedOptionsSayTheSameWithTheirDefaultsEverywhere() {
        for (List<String> path : List.of(List.of("models", "list"), List.of("datasets", "list"),
                List.of("monitor", "run"), List.of("lineage"), List.of("batch", "status"), List.of("canary", "abort"))) {
            String text = help(path.toArray(String[]::new));
            assertThat(text).as(String.join(" ", path))
                    .contains("--home=<home> Vigil home holding keys.json (default: $VIGIL_HOME, else .vigil)")
                    .contains("--as=<persona> Call with this persona's key from keys.json instead (default: the"
                            + " operator, or the persona the command names)");
        }
        assertThat(help("datasets", "list")).contains("--json Print the API's JSON answer");
        assertThat(help("models", "card")).contains("as the approver.");
        assertThat(help("lineage")).contains("as compliance.");
        assertThat(help("batch", "submit")).contains("as population-health.");
        assertThat(help("batch", "download")).contains("<id> The batch id vigil batch submit printed");
    }

    @Test
    void timesUnitsAndLimitsAreSpeltOut() {
        assertThat(help("monitor", "show")).contains("--from=<from> Start, e.g. 2026-11-30T00:00:00Z (ISO-8601 with Z or an"
                + " offset; a plain date is refused)").contains("--to=<to> End, ISO-8601 like --from");
        assertThat(help("shadow", "report")).contains("--from=<from> Start of the window, e.g. 2026-11-30T00:00:00Z");
        assertThat(help("canary", "start")).contains("in basis points: 10000 = all")
                .contains("an ISO-8601 duration such as PT30M (default: PT10M)").contains("0-1 (default: 0.01)")
                .contains("--if-revision=N Only while the deployment is still at this revision");
        assertThat(help("experiment", "plan")).contains("in the metric's units (e.g. 0.05)")
                .contains("required for auroc, refused for the other metrics");
        assertThat(help("rollback")).contains("one of the last five retired")
                .contains("One of the last five retired versions (default: the previous stable one)")
                .contains("--if-revision=N Only while the deployment is still at this revision");
        assertThat(help("models", "deploy")).contains("--if-revision=N Only while the deployment is still at this"
                + " revision, as vigil models show prints it");
    }

    /** The command line at {@code path} under {@code vigil}. */
    private static CommandLine command(List<String> path) {
        CommandLine line = Main.commandLine();
        for (String word : path) {
            line = line.getSubcommands().get(word);
        }
        return line;
    }

    /** Every command's path, {@code vigil} itself first. */
    private static List<List<String>> everyCommand() {
        List<List<String>> paths = paths(Main.commandLine(), List.of());
        paths.add(0, List.of());
        return paths;
    }

    @Test
    void whereVersionNamesAModelVersionMinusVSaysItPrintsVigilsOwn() {
        List<List<String>> modelVersions = new ArrayList<>();
        for (List<String> path : everyCommand()) {
            var option = command(path).getCommandSpec().findOption("--version");
            if (option != null && !option.versionHelp()) {
                modelVersions.add(path);
                assertThat(help(path.toArray(String[]::new))).as("vigil " + String.join(" ", path))
                        .contains("-V Print vigil's own version and exit (--version here is a model version)");
            }
        }
        assertThat(modelVersions).contains(List.of("rollback"), List.of("canary", "status"), List.of("shadow", "report"),
                List.of("batch", "submit"));
        assertThat(run(List.of(), "--version").out()).startsWith("vigil ");
    }

    @Test
    void everyOptionIsDescribedAsASentenceWithItsDefaultWrittenOneWay() {
        for (List<String> path : everyCommand()) {
            String command = "vigil " + String.join(" ", path);
            assertThat(help(path.toArray(String[]::new))).as(command).doesNotContainPattern("\\bdefault\\b(?![:)])");
            for (ArgSpec option : command(path).getCommandSpec().options()) {
                assertThat(String.join(" ", option.description())).as(command + " " + option)
                        .doesNotStartWith(" ").matches("(?s)[^a-z].*");
            }
        }
    }

    @Test
    void everyBatchCommandListsItsExitCodes() {
        for (String command : command(List.of("batch")).getSubcommands().keySet()) {
            assertThat(help("batch", command)).as("vigil batch " + command).contains("Exit codes: 0 ", " 1 ", " 2 ");
        }
        assertThat(help("batch", "download")).contains("Exit codes: 0 the results were written 1 the platform"
                + " refused the request (an unknown id, a job not completed), or answered without the paging headers"
                + " of results (another server at --url) 2 the command line was wrong");
    }

    @Test
    void batchSubmitListsItsExitCodesLikeBatchStatus() {
        assertThat(help("batch", "submit")).contains("Exit codes: 0 the job completed and scored rows, or with"
                + " --no-wait it was accepted 1 the job failed, it completed without scoring a row, or the platform"
                + " refused the request 2 the command line was wrong");
        for (String command : List.of("submit", "status")) {
            assertThat(help("batch", command)).as("vigil batch " + command).contains(" 3 the job completed but its"
                    + " file held no rows (a CSV file with only its header, an empty JSON Lines file); with"
                    + " --allow-empty that is 0");
        }
    }

    @Test
    void thePlatformsDefaultAddressIsNeverBrokenAcrossLines() {
        for (int width : new int[] {55, 80}) {
            for (List<String> path : everyCommand()) {
                if (command(path).getCommandSpec().findOption("--url") == null) {
                    continue;
                }
                CommandLine line = Main.commandLine();
                line.setUsageHelpWidth(width);
                Run help = run(line, path, "--help");
                assertThat(help.out()).as("vigil " + String.join(" ", path) + " --help at " + width + " columns")
                        .contains("http://127.0.0.1:7071");
            }
        }
    }
}

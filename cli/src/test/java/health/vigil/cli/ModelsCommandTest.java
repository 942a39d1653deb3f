package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The models commands' command lines: what they require before anything is sent. */
class ModelsCommandTest {
    private static String errorsOf(String... args) {
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err));
        int exit = line.execute(args);
        assertThat(exit).isEqualTo(2);
        return err.toString();
    }

    /** Addresses that are not a platform's: with a path, of another scheme, with a query. */
    private static final String[] NOT_AN_ADDRESS = {"http://127.0.0.1:1/v2", "ftp://127.0.0.1:1",
            "http://127.0.0.1:1?x=1"};

    private static void withOperatorKey(java.nio.file.Path home) throws java.io.IOException {
        java.nio.file.Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"name\":"
                + " \"Operator\", \"key\": \"k-operator-0123456789abcdef0123456789\", \"roles\": [\"Deployments.Operate\"]}]}");
    }

    @Test
    void approvingAndRejectingNeedAJustification() {
        assertThat(errorsOf("models", "approve", "readmission", "1")).contains("--justification");
        assertThat(errorsOf("models", "reject", "readmission", "1")).contains("--justification");
    }

    /** Commands with a --version option of their own (a model version) still answer --help, with exit 0. */
    @Test
    void commandsWithTheirOwnVersionOptionStillShowTheirHelp() {
        for (String[] command : new String[][] {{"rollback"}, {"shadow", "report"}, {"batch", "submit"},
                {"canary", "status"}}) {
            CommandLine line = Main.commandLine();
            StringWriter out = new StringWriter();
            line.setOut(new PrintWriter(out));
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            assertThat(line.execute(args)).as(String.join(" ", command)).isZero();
            assertThat(out.toString()).as(String.join(" ", command)).contains("Usage: vigil " + String.join(" ", command))
                    .contains("--version").contains("-h, --help");
        }
    }

    /** A home without keys.json (not the platform's) is a line that says so and what to give, not a store error. */
    @Test
    void aHomeWithoutKeysSaysWhereItLookedAndWhatToGive(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home) {
        CommandLine line = Main.commandLine();
        StringWriter err = new StringWriter();
        line.setErr(new PrintWriter(err));
        int exit = line.execute("models", "list", "--home", home.resolve("nowhere").toString(), "--url",
                "http://127.0.0.1:1");
        assertThat(exit).isNotZero();
        assertThat(err.toString()).startsWith("vigil: there is no keys.json in the Vigil home ")
                .contains("nowhere").contains("give the home the platform runs with as --home")
                .doesNotContain("STORE_UNAVAILABLE");
    }

    /** datasets generate's default seed is vigil train's: the held-out rows are drawn past the seed the model used. */
    @Test
    void theEvaluationDataOfAModelTrainedWithoutASeedNeedsNoSeedEither() {
        CommandLine line = Main.commandLine();
        StringWriter out = new StringWriter();
        line.setOut(new PrintWriter(out));
        line.execute("datasets", "generate", "--help");
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("default: vigil train's, "
                + health.vigil.training.TrainingSettings.DEFAULT_SEED);
        DatasetsCommand.Generate generate = new DatasetsCommand.Generate();
        new CommandLine(generate).parseArgs("readmission", "--out", "x.csv");
        assertThat(generate.seed).isEqualTo(health.vigil.training.TrainingSettings.DEFAULT_SEED);
    }

    @Test
    void uploadingNeedsTheModelItIsFor() {
        assertThat(errorsOf("models", "upload", "package.zip")).contains("--model");
    }

    /** A command against an address where nothing answers, or one that is not an address: a line, not a trace. */
    @Test
    void noPlatformAtTheAddressOrAnAddressThatIsNotOneIsALineNotAStackTrace(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path home) throws Exception {
        withOperatorKey(home);
        for (String url : new String[] {"http://127.0.0.1:1", "notaurl"}) {
            CommandLine line = Main.commandLine();
            StringWriter err = new StringWriter();
            line.setErr(new PrintWriter(err));
            int exit = line.execute("models", "list", "--home", home.toString(), "--url", url);
            assertThat(exit).as(url).isNotZero();
            assertThat(err.toString()).as(url).startsWith("vigil: ").doesNotContain("\tat ").doesNotContain("Exception:");
        }
    }

    /** An address with a path or of another scheme is refused before anything is sent; so is a row count out of range. */
    @Test
    void aUrlThatIsNotThePlatformsAddressOrRowsOutOfRangeAreRefusedUpFront(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path home) throws Exception {
        withOperatorKey(home);
        for (String url : NOT_AN_ADDRESS) {
            assertThat(errorsOf("models", "list", "--home", home.toString(), "--url", url)).as(url)
                    .startsWith("vigil: --url is the platform's address");
        }
        // A scheme in capitals is the same scheme: the address is taken, and nothing answers there (exit 1).
        CommandLine capitals = Main.commandLine();
        StringWriter unanswered = new StringWriter();
        capitals.setErr(new PrintWriter(unanswered));
        assertThat(capitals.execute("models", "list", "--home", home.toString(), "--url", "HTTP://127.0.0.1:1"))
                .isEqualTo(1);
        assertThat(unanswered.toString()).startsWith("vigil: the platform did not answer");
        for (String rows : new String[] {"0", "-5", "2000000000"}) {
            assertThat(errorsOf("datasets", "generate", "readmission", "--rows", rows, "--out",
                    home.resolve("x.csv").toString())).as(rows).contains("--rows is " + rows);
            assertThat(home.resolve("x.csv")).doesNotExist();
        }
    }

    /**
     * {@code vigil monitor} and {@code vigil lineage} refuse the same addresses as the models commands, with the same
     * message, before anything is sent (a path would be dropped by every call, as it was for {@code models}).
     */
    @Test
    void monitorAndLineageRefuseAUrlThatIsNotThePlatformsAddressAsTheModelsCommandsDo(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path home) throws Exception {
        withOperatorKey(home);
        for (String url : NOT_AN_ADDRESS) {
            for (String[] command : new String[][] {{"monitor", "show", "readmission"}, {"monitor", "run", "readmission"},
                    {"lineage", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}}) {
                String[] args = java.util.Arrays.copyOf(command, command.length + 4);
                System.arraycopy(new String[] {"--home", home.toString(), "--url", url}, 0, args, command.length, 4);
                assertThat(errorsOf(args)).as(String.join(" ", command) + " " + url)
                        .startsWith("vigil: --url is the platform's address: http:// or https://, a host and a port,"
                                + " no path or query");
            }
        }
    }

    @Test
    void aCardIsAskedForInOneOfItsThreeFormats() {
        assertThat(errorsOf("models", "card", "readmission", "1", "--format", "pdf"))
                .contains("--format", "html", "markdown", "json");
        assertThat(errorsOf("models", "card", "readmission")).contains("Missing required parameter: '<version>'");
    }
}

package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./vigil} launcher, run as written against a checkout whose CLI is built: its choice of JVM options, with a
 * {@code java} that prints the arguments it was given (only the commands that run the platform in process get the
 * incubating Vector API, and with it the JVM's warning on stderr); and, with the real {@code java} and a small CLI
 * compiled here, a process that keeps loading its own build's classes while the build is rewritten under it.
 */
class LauncherTest {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path root;

    /** The processes a test started, stopped after it if it left any running. */
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void aBuiltCheckoutWithAJavaThatEchoesItsArguments() throws IOException {
        Files.copy(CHECKOUT.resolve("vigil"), root.resolve("vigil"));
        Files.writeString(root.resolve("pom.xml"), "<project><version>9.9.9</version></project>\n");
        Files.createDirectories(root.resolve("cli/target/lib"));
        for (String options : List.of("jvm.options", "platform-jvm.options")) {
            Files.copy(CHECKOUT.resolve("cli").resolve(options), root.resolve("cli").resolve(options));
        }
        Files.writeString(root.resolve("cli/target/vigil-cli-9.9.9.jar"), "");
        Path java = Files.createDirectories(root.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
    }

    @AfterEach
    void stopWhatIsStillRunning() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void theCommandsThatRunThePlatformStartWithTheVectorApiAndTheOthersWithout() throws Exception {
        for (String command : List.of("up", "demo")) {
            assertThat(launch(command, "--home", "h")).as(command)
                    .contains("@" + root.resolve("cli/jvm.options"), "@" + root.resolve("cli/platform-jvm.options"))
                    .endsWith("health.vigil.cli.Main", command, "--home", "h");
        }
        for (String command : List.of("models", "datasets", "train", "canary", "batch", "audit", "help")) {
            assertThat(launch(command, "list")).as(command)
                    .contains("@" + root.resolve("cli/jvm.options"))
                    .doesNotContain("@" + root.resolve("cli/platform-jvm.options"));
        }
        assertThat(launch("--version")).doesNotContain("@" + root.resolve("cli/platform-jvm.options"));
        // Help with a command that runs the platform does not run it, so it starts without the warning too.
        for (List<String> help : List.of(List.of("--help", "up"), List.of("up", "--help"), List.of("demo", "-h"))) {
            assertThat(launch(help.toArray(String[]::new))).as(help.toString())
                    .contains("@" + root.resolve("cli/jvm.options"))
                    .doesNotContain("@" + root.resolve("cli/platform-jvm.options"));
        }
        // An argument of another command that happens to read "up" is not the command.
        assertThat(launch("models", "show", "up")).doesNotContain("@" + root.resolve("cli/platform-jvm.options"));
    }

    @Test
    void theVectorApiIsInThePlatformOptionsAndOnlyThere() throws IOException {
        assertThat(Files.readAllLines(CHECKOUT.resolve("cli/platform-jvm.options")))
                .contains("--add-modules=jdk.incubator.vector");
        assertThat(Files.readString(CHECKOUT.resolve("cli/jvm.options"))).doesNotContain("jdk.incubator.vector");
    }

    @Test
    void whatTheCommandWritesToStandardErrorReachesTheOperator() throws Exception {
        // A refused request is told on standard error only (403, 409 and their reasons): lost, the command just fails.
        Path java = Files.createDirectories(root.resolve("refusing-jdk/bin")).resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\necho '403 FORBIDDEN: needs the role Models.Approve' >&2\nexit 1\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
        Process process = start(root.resolve("refusing-jdk"), "models", "approve", "readmission", "2");
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(errors()).contains("403 FORBIDDEN: needs the role Models.Approve");
    }

    @Test
    void aRunningPlatformKeepsLoadingTheClassesOfItsOwnBuildWhileTheCliIsRebuiltUnderIt() throws Exception {
        Path first = compile("the first build");
        Path second = compile("the second build");
        build(first);
        Process running = start(Path.of(System.getProperty("java.home")), "up");
        try (BufferedReader out = reader(running)) {
            assertThat(out.readLine()).isEqualTo("started up");
            // Maven rewrites the jar and the libraries in place: the same files, another build's bytes.
            build(second);
            Process next = start(Path.of(System.getProperty("java.home")), "up");
            try (BufferedReader nextOut = reader(next)) {
                assertThat(nextOut.readLine()).isEqualTo("started up");
                // The class the running process loads only now is its own build's.
                assertThat(goOn(running, out)).isEqualTo("the first build");
                assertThat(goOn(next, nextOut)).isEqualTo("the second build");
                assertThat(snapshots()).as("one snapshot per build, the first kept while it was in use").hasSize(2);
            }
        }
        build(first);
        Process third = start(Path.of(System.getProperty("java.home")), "up");
        try (BufferedReader out = reader(third)) {
            assertThat(out.readLine()).isEqualTo("started up");
            assertThat(snapshots()).as("the snapshots no process holds are removed").hasSize(1);
            assertThat(goOn(third, out)).isEqualTo("the first build");
        }
    }

    @Test
    void twoLaunchesThatFindTheCliOutOfDateTogetherBuildItOnceNotOverEachOther() throws Exception {
        Files.delete(root.resolve("cli/target/vigil-cli-9.9.9.jar"));
        // A Maven that takes a second to build, and says when it starts and ends.
        Path mvn = Files.createDirectories(root.resolve("bin")).resolve("mvn");
        Files.writeString(mvn, "#!/usr/bin/env bash\necho start >> builds.log\nsleep 1\nmkdir -p cli/target/lib\n"
                + ": > cli/target/vigil-cli-9.9.9.jar\necho end >> builds.log\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwx------"));

        Process first = start(root.resolve("jdk"), "models", "list");
        Process second = start(root.resolve("jdk"), "datasets", "list");

        for (Process launch : List.of(first, second)) {
            assertThat(launch.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(launch.exitValue()).as(errors()).isZero();
        }
        assertThat(Files.readAllLines(root.resolve("builds.log"))).as("one build, the other launch waited for it")
                .containsExactly("start", "end");
    }

    /**
     * A CLI of two classes, as a built checkout holds it: {@code Main} in the jar prints that it started and waits for
     * a line, then prints what {@code Later}, in a library, says; {@code Later} is loaded only then.
     */
    private Path compile(String says) throws IOException {
        Path build = Files.createTempDirectory(root, "build-");
        Path sources = Files.createDirectories(build.resolve("src/health/vigil/cli"));
        Files.writeString(sources.resolve("Main.java"), """
                package health.vigil.cli;
                public class Main {
                    public static void main(String[] args) throws Exception {
                        System.out.println("started " + args[0]);
                        new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
                        System.out.println(Later.says());
                    }
                }
                """);
        Files.writeString(sources.resolve("Later.java"), """
                package health.vigil.cli;
                public class Later {
                    public static String says() {
                        return "%s";
                    }
                }
                """.formatted(says));
        Path classes = Files.createDirectories(build.resolve("classes"));
        int compiled = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                sources.resolve("Main.java").toString(), sources.resolve("Later.java").toString());
        assertThat(compiled).isZero();
        jar(classes, "Main.class", build.resolve("vigil-cli.jar"));
        jar(classes, "Later.class", build.resolve("later.jar"));
        return build;
    }

    private static void jar(Path classes, String name, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("health/vigil/cli/" + name));
            out.write(Files.readAllBytes(classes.resolve("health/vigil/cli").resolve(name)));
            out.closeEntry();
        }
    }

    /** Writes a compiled build's bytes into the checkout's built files, in place (the same files, as Maven does). */
    private void build(Path compiled) throws IOException {
        Files.write(root.resolve("cli/target/vigil-cli-9.9.9.jar"), Files.readAllBytes(compiled.resolve("vigil-cli.jar")));
        Files.write(root.resolve("cli/target/lib/later.jar"), Files.readAllBytes(compiled.resolve("later.jar")));
    }

    private List<Path> snapshots() throws IOException {
        try (var listed = Files.list(root.resolve("cache/vigil/cli"))) {
            return listed.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static BufferedReader reader(Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Lets a started process go on; the line it then prints, once it has ended well. */
    private String goOn(Process process, BufferedReader out) throws Exception {
        process.getOutputStream().write('\n');
        process.getOutputStream().flush();
        String line = out.readLine();
        String rest = out.lines().collect(java.util.stream.Collectors.joining("\n"));
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(line + "\n" + rest + errors()).isZero();
        return line;
    }

    /** What the launches so far wrote to standard error. */
    private String errors() throws IOException {
        Path log = root.resolve("stderr.log");
        return Files.exists(log) ? "\n" + Files.readString(log) : "";
    }

    /** The launcher started with {@code java} from {@code javaHome}; its standard error goes to {@code stderr.log}. */
    private Process start(Path javaHome, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("vigil").toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(root.resolve("stderr.log").toFile()));
        builder.environment().put("JAVA_HOME", javaHome.toString());
        builder.environment().put("XDG_CACHE_HOME", root.resolve("cache").toString());
        if (Files.isDirectory(root.resolve("bin"))) {
            builder.environment().put("PATH", root.resolve("bin") + java.io.File.pathSeparator
                    + builder.environment().get("PATH"));
        }
        builder.environment().remove("VIGIL_JAVA_OPTS");
        Process process = builder.start();
        started.add(process);
        return process;
    }

    private List<String> launch(String... arguments) throws Exception {
        Process process = start(root.resolve("jdk"), arguments);
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out + errors()).isZero();
        return out.lines().toList();
    }
}

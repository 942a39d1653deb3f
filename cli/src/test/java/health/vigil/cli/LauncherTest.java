package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./vigil} launcher's choice of JVM options, run as written against a checkout whose CLI is built and
 * whose {@code java} prints the arguments it was given: only the commands that run the platform in process get the
 * incubating Vector API (and with it the JVM's warning on stderr).
 */
class LauncherTest {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path root;

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
        assertThat(launch("--help", "up")).contains("@" + root.resolve("cli/platform-jvm.options"));
        // An argument of another command that happens to read "up" is not the command.
        assertThat(launch("models", "show", "up")).doesNotContain("@" + root.resolve("cli/platform-jvm.options"));
    }

    @Test
    void theVectorApiIsInThePlatformOptionsAndOnlyThere() throws IOException {
        assertThat(Files.readAllLines(CHECKOUT.resolve("cli/platform-jvm.options")))
                .contains("--add-modules=jdk.incubator.vector");
        assertThat(Files.readString(CHECKOUT.resolve("cli/jvm.options"))).doesNotContain("jdk.incubator.vector");
    }

    private List<String> launch(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("vigil").toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        builder.environment().remove("VIGIL_JAVA_OPTS");
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out.lines().toList();
    }
}

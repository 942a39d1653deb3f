package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Which classes a JVM loads: the tests that keep a class or a library off a start path read it from a new JVM. */
public final class ClassLoadLog {
    private ClassLoadLog() {}

    /**
     * The class loading log of a JVM on this test's class path, started with {@code options}, that runs {@code main}
     * with {@code arguments} and ends within two minutes with exit code 0; a class is named in it followed by a space.
     */
    public static String of(List<String> options, Class<?> main, String... arguments) throws Exception {
        Path log = Files.createTempFile("classes", ".log");
        try {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(options);
            command.add("-Xlog:class+load=info:file=" + log);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(main.getName());
            command.addAll(List.of(arguments));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the JVM ended").isTrue();
            assertThat(process.exitValue()).isZero();
            return Files.readString(log, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}

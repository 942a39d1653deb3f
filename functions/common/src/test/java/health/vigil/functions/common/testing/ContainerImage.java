package health.vigil.functions.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a Function App's container image and deployment package hold, checked against the staging folder the
 * package phase produced: the Dockerfile's one COPY takes exactly that folder into the host's script root, the
 * folder holds what the Functions host loads, and the trimmed lib folder still starts the app's classes and
 * ONNX Runtime in a JVM of its own.
 */
public final class ContainerImage {
    private static final Pattern COPY = Pattern.compile("(?m)^COPY\\s+(\\S+)\\s+(\\S+)\\s*$");

    private ContainerImage() {}

    /** The Dockerfile in the module folder (the build's working directory) copies the staging folder. */
    public static void assertCopiesTheStagedPackage(Path moduleDir, Path staging) throws IOException {
        String dockerfile = Files.readString(moduleDir.resolve("Dockerfile"));
        Matcher copy = COPY.matcher(dockerfile);
        assertThat(copy.find()).as("the Dockerfile has a COPY").isTrue();
        assertThat(moduleDir.resolve(copy.group(1)).normalize()).isEqualTo(staging.normalize());
        assertThat(copy.group(2)).isEqualTo("/home/site/wwwroot/");
        assertThat(copy.find()).as("one COPY only").isFalse();

        assertThat(staging.resolve("host.json")).hasSameTextualContentAs(moduleDir.resolve("host.json"));
        assertThat(appJar(staging)).exists();
        assertThat(GeneratedFunctions.read(staging)).isNotEmpty();
        String ignored = Files.readString(moduleDir.resolve(".dockerignore"));
        assertThat(ignored).contains(moduleDir.relativize(staging.resolve("local.settings.json")).toString());
    }

    /** No local adapter's store, no native library for another platform than Linux x64. */
    public static void assertOnlyLinuxX64AndNoLocalStores(Path staging) throws IOException {
        List<String> jars = libraries(staging);
        assertThat(jars).noneMatch(name -> name.startsWith("sqlite-jdbc"));
        assertThat(jars.stream().filter(name -> name.startsWith("netty-tcnative-boringssl-static")))
                .containsExactly("netty-tcnative-boringssl-static-2.0.75.Final-linux-x86_64.jar");
        Path ort = staging.resolve("lib").resolve(jars.stream().filter(n -> n.startsWith("onnxruntime-")).findFirst()
                .orElseThrow());
        try (var zip = new java.util.zip.ZipFile(ort.toFile())) {
            assertThat(zip.stream().map(java.util.zip.ZipEntry::getName).filter(n -> n.startsWith("ai/onnxruntime/native/")
                    && !n.endsWith("/"))).allMatch(n -> n.startsWith("ai/onnxruntime/native/linux-x64/")).isNotEmpty();
        }
    }

    /**
     * Starts a JVM on the staged folder alone (its jar and lib/*, as the Functions worker does), loads every
     * class of the app and creates the ONNX Runtime environment, which extracts and loads the native library.
     */
    public static void assertStartsFromTheStagedFolder(Path staging) throws Exception {
        Path probeClasses = Path.of(StagedPackageProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String classpath = String.join(java.io.File.pathSeparator, probeClasses.toString(),
                appJar(staging).toString(), staging.resolve("lib") + java.io.File.separator + "*");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", classpath, StagedPackageProbe.class.getName(),
                appJar(staging).toString()).redirectErrorStream(true).start();
        boolean done = process.waitFor(120, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("the probe finished").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("onnxruntime ok");
    }

    private static Path appJar(Path staging) throws IOException {
        try (Stream<Path> files = Files.list(staging)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
        }
    }

    private static List<String> libraries(Path staging) throws IOException {
        try (Stream<Path> files = Files.list(staging.resolve("lib"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}

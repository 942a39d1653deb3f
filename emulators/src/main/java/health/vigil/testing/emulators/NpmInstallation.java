package health.vigil.testing.emulators;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Installs the emulators' npm packages exactly as {@code package-lock.json} pins them ({@code npm ci}) into a
 * folder named after the hash of the npm project, once per machine: later runs find the folder ready.
 */
final class NpmInstallation {
    static final List<String> FILES = List.of("package.json", "package-lock.json", "azurite-blob.js", "azurite-queue.js",
            "cosmos-server.js");
    private static final String READY_MARKER = ".vigil-installed";

    private NpmInstallation() {}

    /** Returns the folder holding {@code node_modules} and the launcher scripts, installing it if needed. */
    static Path ensureInstalled(NodeRuntime runtime, Path cacheRoot, Duration timeout) {
        Map<String, byte[]> files = bundledFiles();
        Path dir = cacheRoot.resolve("npm-" + hashOf(files));
        try {
            Files.createDirectories(cacheRoot);
            if (Files.exists(dir.resolve(READY_MARKER))) {
                return dir;
            }
            // Several builds (or a build and a `vigil up`) may start at once: one installs, the others wait.
            Path lockFile = cacheRoot.resolve(dir.getFileName() + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = channel.lock()) {
                if (Files.exists(dir.resolve(READY_MARKER))) {
                    return dir;
                }
                Files.createDirectories(dir);
                for (Map.Entry<String, byte[]> file : files.entrySet()) {
                    Files.write(dir.resolve(file.getKey()), file.getValue());
                }
                runNpmCi(runtime, dir, timeout);
                Files.writeString(dir.resolve(READY_MARKER), "installed by npm ci\n");
                pruneOtherInstallations(cacheRoot, dir);
                return dir;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the emulators under " + cacheRoot, e);
        }
    }

    /** Each installation takes some 400 MB: drop those of earlier lock files once this one is ready. */
    private static void pruneOtherInstallations(Path cacheRoot, Path keep) {
        try (var entries = Files.list(cacheRoot)) {
            for (Path other : entries.filter(p -> p.getFileName().toString().startsWith("npm-") && !p.equals(keep)
                    && Files.isDirectory(p)).toList()) {
                deleteTree(other);
                Files.deleteIfExists(cacheRoot.resolve(other.getFileName() + ".lock"));
            }
        } catch (IOException | UncheckedIOException e) {
            // Only disk space is at stake; the next installation tries again.
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void runNpmCi(NodeRuntime runtime, Path dir, Duration timeout) throws IOException {
        Path log = dir.resolve("npm-ci.log");
        // --ignore-scripts: neither emulator needs an install script, and none should run on a build machine.
        List<String> command = new ArrayList<>(List.of(runtime.npm(), "ci", "--no-audit", "--no-fund",
                "--ignore-scripts", "--loglevel=error"));
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        process.getOutputStream().close();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("npm ci did not finish within " + timeout.toSeconds()
                        + " s; see " + log);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while npm ci installed the emulators", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("npm ci failed with exit code " + process.exitValue()
                    + " (the npm registry must be reachable on the first run); its output:\n" + tail(log));
        }
    }

    static Map<String, byte[]> bundledFiles() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : FILES) {
            try (InputStream in = NpmInstallation.class.getResourceAsStream("npm/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("the emulators jar lacks npm/" + name + "; rebuild the module");
                }
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    static String hashOf(Map<String, byte[]> files) {
        // Not health.vigil.hash.Sha256: this module depends on the JDK only, so that vigil-shared can use it in tests.
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                digest.update(file.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(file.getValue());
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}

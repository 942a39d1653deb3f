package health.vigil.testing.emulators;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Node.js and npm executables the emulators run on, found on the PATH. */
record NodeRuntime(String node, String npm, int nodeMajorVersion) {
    /** The Cosmos DB server needs Node 20 or later. */
    static final int MINIMUM_NODE_MAJOR = 20;
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.\\d+\\.\\d+.*");

    private static Result detected;

    /** The runtime on this machine, or why there is none usable; looked up once per JVM. */
    static synchronized Result detect() {
        if (detected == null) {
            detected = lookUp();
        }
        return detected;
    }

    private static Result lookUp() {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
        String node = windows ? "node.exe" : "node";
        String npm = windows ? "npm.cmd" : "npm";
        Optional<String> nodeVersion = firstLine(List.of(node, "--version"));
        if (nodeVersion.isEmpty()) {
            return new Result(null, "Node.js is not on the PATH: install Node " + MINIMUM_NODE_MAJOR
                    + " or later to run the Azure emulators");
        }
        Matcher m = VERSION.matcher(nodeVersion.get().trim());
        if (!m.matches()) {
            return new Result(null, "`node --version` printed '" + nodeVersion.get() + "', which is not a version");
        }
        int major = Integer.parseInt(m.group(1));
        if (major < MINIMUM_NODE_MAJOR) {
            return new Result(null, "Node " + nodeVersion.get().trim() + " is too old: the Cosmos DB server needs Node "
                    + MINIMUM_NODE_MAJOR + " or later");
        }
        if (firstLine(List.of(npm, "--version")).isEmpty()) {
            return new Result(null, "npm is not on the PATH: it installs the emulators from package-lock.json");
        }
        return new Result(new NodeRuntime(node, npm, major), null);
    }

    /** Either a usable runtime or the reason there is none. */
    record Result(NodeRuntime runtime, String unavailableReason) {}

    private static Optional<String> firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            String text = new String(out, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? Optional.empty() : Optional.of(text.lines().reduce((a, b) -> b).orElse(text));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}

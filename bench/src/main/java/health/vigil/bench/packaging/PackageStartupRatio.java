package health.vigil.bench.packaging;

import health.vigil.bench.BenchArguments;
import health.vigil.functions.common.testing.StagedPackageProbe;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Start-up cost of a Function App package, baseline against candidate, side by side on a shared machine: rounds
 * alternate between the two staged folders; each round starts a fresh JVM on the folder alone (the app jar and
 * lib/*, as the Functions worker does) that loads every class of the app and creates the ONNX Runtime environment
 * ({@link StagedPackageProbe}). Reports each side's size, median and best child CPU time and wall time, and the
 * candidate/baseline ratios of the medians. CPU time leaves out waiting for a core, so it is the figure to compare.
 *
 * <pre>java -cp "bench/target/vigil-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" health.vigil.bench.packaging.PackageStartupRatio
 *      BASELINE_STAGING CANDIDATE_STAGING [ROUNDS]</pre>
 */
public final class PackageStartupRatio {
    private PackageStartupRatio() {}

    record Run(long cpuNanos, long wallNanos) {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("PackageStartupRatio BASELINE_STAGING CANDIDATE_STAGING"
                + " [ROUNDS]", args);
        String staging = "a staged Function App folder (the app jar and lib/)";
        Path[] sides = {arguments.path(0, "BASELINE_STAGING", staging),
            arguments.path(1, "CANDIDATE_STAGING", staging)};
        int rounds = arguments.atLeast(2, "ROUNDS", 15, 1);
        for (int side = 0; side < 2; side++) {
            if (!Files.isDirectory(sides[side])) {
                throw arguments.refused((side == 0 ? "BASELINE_STAGING" : "CANDIDATE_STAGING") + " is \""
                        + sides[side] + "\" and must be " + staging);
            }
        }
        List<List<Run>> runs = List.of(new ArrayList<>(), new ArrayList<>());
        run(sides[0]);
        run(sides[1]);
        for (int round = 0; round < rounds; round++) {
            for (int side = 0; side < 2; side++) {
                int which = round % 2 == 0 ? side : 1 - side;
                runs.get(which).add(run(sides[which]));
            }
        }
        String[] labels = {"baseline", "candidate"};
        double[] cpu = new double[2];
        double[] wall = new double[2];
        for (int side = 0; side < 2; side++) {
            long[] c = runs.get(side).stream().mapToLong(Run::cpuNanos).sorted().toArray();
            long[] w = runs.get(side).stream().mapToLong(Run::wallNanos).sorted().toArray();
            cpu[side] = c[c.length / 2] / 1e6;
            wall[side] = w[w.length / 2] / 1e6;
            System.out.printf(Locale.ROOT, "%-9s %s: %.1f MB in %d files; CPU median %.0f ms (best %.0f); wall median %.0f ms (best %.0f)%n",
                    labels[side], sides[side], size(sides[side]) / 1e6, files(sides[side]), cpu[side], c[0] / 1e6,
                    wall[side], w[0] / 1e6);
        }
        System.out.printf(Locale.ROOT, "candidate/baseline: CPU %.2f, wall %.2f (%d rounds)%n", cpu[1] / cpu[0],
                wall[1] / wall[0], rounds);
    }

    private static Run run(Path staging) throws IOException, InterruptedException {
        Path appJar;
        try (Stream<Path> files = Files.list(staging)) {
            appJar = files.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        String probe = Path.of(toUri(StagedPackageProbe.class)).toString();
        String classpath = String.join(File.pathSeparator, probe, appJar.toString(), staging.resolve("lib") + File.separator + "*");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(java.toString(), "-cp", classpath, StagedPackageProbe.class.getName(),
                appJar.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        long wall = System.nanoTime() - start;
        if (exit != 0 || !output.contains("onnxruntime ok")) {
            throw new IllegalStateException(staging + " did not start: " + output);
        }
        long cpu = Arrays.stream(output.split("\n")).filter(l -> l.startsWith("cpuNanos=")).mapToLong(
                l -> Long.parseLong(l.substring("cpuNanos=".length()).trim())).findFirst().orElseThrow();
        return new Run(cpu, wall);
    }

    private static java.net.URI toUri(Class<?> type) {
        try {
            return type.getProtectionDomain().getCodeSource().getLocation().toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static long files(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}

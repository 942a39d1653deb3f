package health.vigil.bench.packaging;

import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.modelpackage.PackageEntries;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Peak memory of registering the worst packages an uploader can send, each kind in a fresh JVM, beside the same
 * measurement for a valid sample package (the baseline): the 1 MB package whose {@code evaluation.json}
 * inflates to just under the total limit, the same with {@code reference.json}, and one whose {@code model.onnx}
 * inflates to just under the total limit ({@code VIGIL_MAX_UNCOMPRESSED_BYTES}, 1 GiB by default). Each child
 * registers {@code parallel} copies at once through the platform's registration service (the local host delivers
 * events on two threads), and reports the heap pools' peak use (garbage included: an upper bound) and the
 * process's peak resident set (VmHWM).
 *
 * <p>{@code java -Xss8m -cp ... health.vigil.bench.packaging.PackageMemory [parallel] [xmx]} runs every kind;
 * {@code ... PackageMemory child KIND parallel} is one child. Each argument is checked before any child starts.
 */
public final class PackageMemory {
    private static final List<String> KINDS = List.of("sample", "evaluation-bomb", "reference-bomb", "model-bomb");

    private static final String HEAP = "a heap size for -Xmx in megabytes or gigabytes, such as 512m or 3g";

    private PackageMemory() {}

    /** What a run was asked for: one child's kind ({@code null}: every kind, each in a child), parallel, heap. */
    record Settings(String kind, int parallel, String xmx) {}

    /** The arguments, each checked before any child starts or any package is built. */
    static Settings parse(String[] args) {
        BenchArguments arguments = new BenchArguments("PackageMemory [parallel] [xmx] | child KIND parallel", args);
        if (args.length > 0 && args[0].equals("child")) {
            return new Settings(arguments.oneOf(1, "KIND", null, KINDS), arguments.atLeast(2, "parallel", 1), null);
        }
        int parallel = arguments.atLeast(0, "parallel", 2, 1);
        String xmx = args.length > 1 ? args[1].strip() : "2g";
        if (!xmx.matches("[1-9][0-9]*[mMgG]")) {
            throw arguments.refused("xmx is \"" + args[1] + "\" and must be " + HEAP);
        }
        return new Settings(null, parallel, xmx);
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        if (settings.kind() != null) {
            int status = 1;
            try {
                child(settings.kind(), settings.parallel());
                status = 0;
            } finally {
                System.exit(status); // the platform's non-daemon threads outlive a benchmark child
            }
        }
        int parallel = settings.parallel();
        String xmx = settings.xmx();
        System.out.printf(Locale.ROOT, "| package | parallel | outcome | peak heap MiB | peak RSS MiB | ms |%n");
        System.out.printf(Locale.ROOT, "|---|---:|---|---:|---:|---:|%n");
        for (String kind : KINDS) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xss8m", "-Xmx" + xmx, "-cp", System.getProperty("java.class.path"),
                    PackageMemory.class.getName(), "child", kind, Integer.toString(parallel))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new String(p.getInputStream().readAllBytes()).strip();
            int exit = p.waitFor();
            System.out.println(exit == 0 ? line : "| " + kind + " | " + parallel + " | child exited " + exit + " | | | |");
        }
    }

    private static void child(String kind, int parallel) throws Exception {
        Path home = Files.createTempDirectory("vigil-package-memory-");
        byte[] zip = build(kind);
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .build()) {
            // Warm the runtime and the stores on the baseline first, so every kind pays the same fixed costs.
            register(platform, SampleModels.readmissionLogistic().withName("warm-up").zip(), "warm-up.zip");
            resetPeaks();
            long rssBefore = peakRssKib();
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(parallel);
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                String blob = kind + "-" + i + ".zip";
                byte[] copy = kind.equals("sample") ? SampleModels.readmissionLogistic().withName("sample-" + i).zip() : zip;
                outcomes.add(pool.submit(() -> register(platform, copy, blob)));
            }
            List<String> kinds = new ArrayList<>();
            for (Future<String> f : outcomes) {
                kinds.add(f.get());
            }
            pool.shutdown();
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf(Locale.ROOT, "| %s (%.1f MB zip) | %d | %s | %d | %d (%d before) | %d |%n", kind,
                    zip.length / 1e6, parallel, String.join(", ", new java.util.TreeSet<>(kinds)), peakHeapBytes() >> 20,
                    peakRssKib() >> 10, rssBefore >> 10, ms);
        } finally {
            try (var files = Files.walk(home)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String register(VigilPlatform platform, byte[] zip, String blob) {
        ArtifactStore.StoredArtifact stored = platform.artifacts()
                .put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false);
        try {
            RegistrationOutcome outcome = platform.registration().register(new BlobCreated("memory-" + blob,
                    ArtifactStore.MODELS, blob, null, zip.length, stored.etag()));
            return outcome.kind().name().toLowerCase(Locale.ROOT);
        } catch (RuntimeException | OutOfMemoryError e) {
            StackTraceElement at = java.util.Arrays.stream(e.getStackTrace())
                    .filter(f -> f.getClassName().startsWith("health.vigil")).findFirst().orElse(null);
            return "failed (" + e.getClass().getSimpleName() + (at == null ? "" : " in " + at.getClassName()
                    .substring(at.getClassName().lastIndexOf('.') + 1) + "." + at.getMethodName()) + ")";
        }
    }

    /** The sample package with one entry added or replaced by {@code size} bytes of one repeated character. */
    static byte[] build(String kind) throws IOException {
        byte[] sample = SampleModels.readmissionLogistic().zip();
        long limit = VigilConfig.Limits.DEFAULTS.maxUncompressedBytes();
        String bomb = switch (kind) {
            case "sample" -> null;
            case "evaluation-bomb" -> PackageEntries.EVALUATION;
            case "reference-bomb" -> PackageEntries.REFERENCE;
            case "model-bomb" -> PackageEntries.MODEL;
            default -> throw new IllegalArgumentException("unknown kind " + kind + "; one of " + KINDS);
        };
        if (bomb == null) {
            return sample;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long others = 0;
        try (ZipOutputStream zip = new ZipOutputStream(out); ZipInputStream in = new ZipInputStream(
                new ByteArrayInputStream(sample))) {
            zip.setLevel(9);
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(bomb)) {
                    continue;
                }
                byte[] bytes = in.readAllBytes();
                others += bytes.length;
                zip.putNextEntry(new ZipEntry(e.getName()));
                zip.write(bytes);
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry(bomb));
            writeRepeated(zip, limit - others - 1024, (byte) ' ');
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    private static void writeRepeated(OutputStream out, long size, byte value) throws IOException {
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, value);
        for (long left = size; left > 0; left -= chunk.length) {
            out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
    }

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    private static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** The process's peak resident set so far (Linux). */
    private static long peakRssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

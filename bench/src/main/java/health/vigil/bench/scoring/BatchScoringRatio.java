package health.vigil.bench.scoring;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import health.vigil.bench.BenchArguments;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.port.ArtifactStore;
import health.vigil.scoring.batch.BatchJob;
import health.vigil.scoring.batch.BatchRequest;
import health.vigil.scoring.batch.BatchService;
import health.vigil.scoring.batch.BatchSettings;
import health.vigil.scoring.batch.BatchStatus;
import health.vigil.testing.samples.SampleModels;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A batch file of {@code rows} patients (default 1,000,000) on the 200-tree benchmark model, scored side by side in
 * one run: (a) ONNX Runtime's own batch throughput, bare {@code OrtSession.run} over the same rows already decoded
 * into float batches of the chunk size, on as many threads as the batch path's workers; (b) Vigil's batch job from
 * submission to the summary: planning pass (sha256, rows, partitions), parsing, validation, pseudonymisation, the
 * feature pipeline, the same ONNX Runtime runs, the prediction log (journal and SQLite) and the results file, with
 * partitions scored by {@code workers} threads as the local host's queue does. Rounds alternate (bare, Vigil).
 * Reports rows/s, the ratio, and the peak heap used during each Vigil run (sampled every 5 ms) and the process's
 * peak resident set (VmHWM).
 *
 * <p>Before the measured rounds, whole jobs of the same file run as warm-up, as a platform that scores files night
 * after night has run jobs before: code a job runs once (planning, checkpoints, the merge, the summary) is still
 * being compiled job after job after a start (2 to 4 % of each job's CPU through eight jobs on the machine of
 * docs/benchmarks.md). Warm-up stops early once a job's compiler threads took under {@link #SETTLED_JIT_SHARE} of
 * the process's CPU, else after {@code warmups} jobs (0 measures from a cold start, as before). The bare phase gets
 * one warm-up run. The last line gives the medians of the measured rounds.
 *
 * <p>Arguments: {@code [rows] [rounds] [workers] [warmups] [checkpointChunks]}; the last (default
 * {@link BatchSettings#DEFAULTS}' 8) sets how many chunks a checkpoint makes durable together, to measure what the
 * forced writes of results and checkpoints cost a job.
 */
public final class BatchScoringRatio {
    private static final int CHUNK_ROWS = BatchSettings.DEFAULTS.chunkRows();
    /** The compilers' share of a warm-up job's CPU under which the JIT counts as settled. */
    static final double SETTLED_JIT_SHARE = 0.01;

    private BatchScoringRatio() {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("BatchScoringRatio [rows] [rounds] [workers] [warmups]"
                + " [checkpointChunks]", args);
        int rows = arguments.atLeast(0, "rows", 1_000_000, 1);
        int rounds = arguments.atLeast(1, "rounds", 2, 1);
        int workers = arguments.atLeast(2, "workers", 2, 1);
        int warmups = arguments.atLeast(3, "warmups", 6, 0);
        int checkpointChunks = arguments.atLeast(4, "checkpointChunks", BatchSettings.DEFAULTS.checkpointChunks(), 1);
        int width = SampleModels.benchmarkSchema().features().size();
        float[] matrix = SampleModels.benchmarkRows(rows, 11);
        ConcurrentLinkedQueue<String> queued = new ConcurrentLinkedQueue<>();
        // Partitions small enough that every worker has work: a quarter of the file per worker, at most the default.
        long fileBytes = (long) rows * (width * 11L + 16);
        BatchSettings settings = new BatchSettings(Math.min(BatchSettings.DEFAULTS.partitionBytes(),
                Math.max(1 << 20, fileBytes / (4L * workers))), CHUNK_ROWS, checkpointChunks,
                BatchSettings.DEFAULTS.maxLineBytes());
        try (BenchmarkPlatform bench = BenchmarkPlatform.start(PredictionLogDurability.DEFAULT,
                b -> b.workQueue((queue, id, message) -> queued.add(message)).batchSettings(settings))) {
            Path csv = Files.createTempFile(bench.home(), "patients", ".csv");
            writeCsv(csv, matrix, rows, width);
            try (InputStream in = Files.newInputStream(csv)) {
                bench.platform().artifacts().put(ArtifactStore.BATCH_INPUT, "bench/patients.csv", in, false);
            }
            long size = Files.size(csv);
            Files.delete(csv);
            System.out.printf(Locale.ROOT, "file: %,d rows, %,d bytes (%.1f MiB); %d workers; partitions of %,d bytes;"
                    + " chunks of %,d rows, %d a checkpoint; max heap %,d MiB%n", rows, size, size / 1048576.0, workers,
                    settings.partitionBytes(), CHUNK_ROWS, checkpointChunks, Runtime.getRuntime().maxMemory() >> 20);
            System.out.println(newPageCost(bench.home()));
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setIntraOpNumThreads(1);
                try (OrtSession session = env.createSession(bench.sample().onnx(), options)) {
                    if (warmups > 0) {
                        bareRowsPerSecond(env, session, matrix, rows, width, workers);
                    }
                    for (int warmup = 1; warmup <= warmups; warmup++) {
                        long compilersBefore = threadGroupTicks().getOrDefault(COMPILERS, 0L);
                        double cpu = vigilRun(bench, queued, workers).cpuSeconds();
                        // Ticks of 1/100 s (USER_HZ); the job's own worker threads are gone by now, so the share is
                        // of the process's CPU over the job, not of the live threads' ticks.
                        double jit = (threadGroupTicks().getOrDefault(COMPILERS, 0L) - compilersBefore) / 100.0 / cpu;
                        System.out.printf(Locale.ROOT, "warm-up job %d: JIT compilers %.1f %% of its CPU%n", warmup,
                                100 * jit);
                        if (jit < SETTLED_JIT_SHARE) {
                            break;
                        }
                    }
                    List<Double> cpuRatios = new ArrayList<>();
                    List<Double> wallRatios = new ArrayList<>();
                    for (int round = 1; round <= rounds; round++) {
                        long cpuBefore = processCpuNanos();
                        Map<String, Long> threadsBefore = threadGroupTicks();
                        double bare = bareRowsPerSecond(env, session, matrix, rows, width, workers);
                        double bareCpu = (processCpuNanos() - cpuBefore) / 1e9;
                        Map<String, Long> threadsBetween = threadGroupTicks();
                        Measured vigil = vigilRun(bench, queued, workers);
                        double vigilCpu = vigil.cpuSeconds();
                        System.out.printf(Locale.ROOT, "round %d CPU seconds by thread: bare %s | Vigil %s%n", round,
                                difference(threadsBetween, threadsBefore), difference(threadGroupTicks(),
                                        threadsBetween));
                        // CPU time of the whole process (both phases include GC and the JIT; Vigil's includes the
                        // drain): on a shared machine, rows per CPU second move less with the load than wall time.
                        System.out.printf(Locale.ROOT, "round %d CPU: bare %,.0f rows per CPU second | Vigil %,.0f"
                                + " rows per CPU second (drain included) | ratio %.2fx%n", round, rows / bareCpu,
                                rows / vigilCpu, bareCpu / vigilCpu);
                        System.out.printf(Locale.ROOT, "round %d: bare OrtSession.run %,.0f rows/s | Vigil batch %,.0f"
                                + " rows/s (%,d scored) | ratio %.2fx of bare | heap before the job %,d MiB (the"
                                + " benchmark's own float rows), peak during it %,d MiB%n",
                                round, bare, vigil.rowsPerSecond(), vigil.scored(), vigil.rowsPerSecond() / bare,
                                vigil.baselineHeapBytes() >> 20, vigil.peakHeapBytes() >> 20);
                        cpuRatios.add(bareCpu / vigilCpu);
                        wallRatios.add(vigil.rowsPerSecond() / bare);
                    }
                    System.out.printf(Locale.ROOT, "medians of %d rounds: ratio by CPU %.2fx, by the wall clock %.2fx%n",
                            rounds, median(cpuRatios), median(wallRatios));
                }
            }
            System.out.printf(Locale.ROOT, "process peak resident set (VmHWM): %s%n", peakResident());
            System.out.println(newPageCost(bench.home()));
        }
    }

    /**
     * What this machine charges for a page the page cache takes anew, which a job's durable writes (the prediction
     * log's growing database, its results) pay and the bare phase never does: the CPU of writing 64 MiB to a new file,
     * then, the file removed, of writing it again at once into the pages just freed. On a VM whose host maps the
     * guest's memory in on first use, the first is many times the second (docs/benchmarks.md, "New page-cache pages on
     * this VM, measured"); on a machine whose memory is all in use by the page cache already, they are alike.
     */
    static String newPageCost(Path dir) throws IOException {
        long[] nanos = new long[2];
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(64 << 10);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int pass = 0; pass < 2; pass++) {
            Path file = Files.createTempFile(dir, "page-cost", ".bin");
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                long before = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < 1024; i++) {
                    block.clear();
                    while (block.hasRemaining()) {
                        channel.write(block);
                    }
                }
                nanos[pass] = threads.getCurrentThreadCpuTime() - before;
            } finally {
                Files.delete(file);
            }
        }
        return String.format(Locale.ROOT, "machine: writing 64 MiB to a new file took %.0f ms of CPU, again at once"
                + " into the pages just freed %.0f ms (%.1fx)", nanos[0] / 1e6, nanos[1] / 1e6,
                nanos[0] / (double) Math.max(1, nanos[1]));
    }

    private static void writeCsv(Path file, float[] matrix, int rows, int width) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("patientId");
            for (int c = 0; c < width; c++) {
                out.write(String.format(Locale.ROOT, ",x%02d", c));
            }
            out.write('\n');
            StringBuilder line = new StringBuilder(16 * width);
            for (int r = 0; r < rows; r++) {
                line.setLength(0);
                line.append("bench-patient-").append(r);
                for (int c = 0; c < width; c++) {
                    float v = matrix[r * width + c];
                    line.append(',');
                    if (!Float.isNaN(v)) {
                        line.append(v);
                    }
                }
                out.append(line).append('\n');
            }
        }
    }

    /** Bare ONNX Runtime over the same rows in chunk-sized batches, split between {@code workers} threads. */
    private static double bareRowsPerSecond(OrtEnvironment env, OrtSession session, float[] matrix, int rows, int width,
            int workers) throws Exception {
        String input = session.getInputNames().iterator().next();
        ExecutorService pool = Executors.newFixedThreadPool(workers, named("bare-ort"));
        AtomicLong checksum = new AtomicLong();
        try {
            long started = System.nanoTime();
            List<Future<?>> runs = new ArrayList<>();
            int share = (rows + workers - 1) / workers;
            for (int w = 0; w < workers; w++) {
                int from = w * share;
                int to = Math.min(rows, from + share);
                runs.add(pool.submit(() -> {
                    for (int start = from; start < to; start += CHUNK_ROWS) {
                        int n = Math.min(CHUNK_ROWS, to - start);
                        try (OnnxTensor tensor = OnnxTensor.createTensor(env,
                                FloatBuffer.wrap(matrix, start * width, n * width).slice(), new long[] {n, width});
                                OrtSession.Result result = session.run(Map.of(input, tensor))) {
                            checksum.addAndGet(result.size());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
            return rows / ((System.nanoTime() - started) / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A Vigil run: rows/s, rows scored, the heap's peak and baseline, and the process's CPU seconds from submission
     * to the drained log, without the benchmark's own heap sampler (the bare run has none).
     */
    private record Measured(double rowsPerSecond, long scored, long peakHeapBytes, long baselineHeapBytes,
            double cpuSeconds) {}

    /** One batch job of the whole file, from submission to its summary, partitions on {@code workers} threads. */
    private static Measured vigilRun(BenchmarkPlatform bench, ConcurrentLinkedQueue<String> queued, int workers)
            throws Exception {
        BatchService batches = bench.platform().batches();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long baseline = memory.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        ExecutorService pool = Executors.newFixedThreadPool(workers, named("vigil-partition"));
        try {
            // The collection above and the sampler's start are the benchmark's, not the job's: counted from here.
            long cpuBefore = processCpuNanos();
            long samplerBefore = Math.max(0, THREADS.getThreadCpuTime(sampler.getId()));
            long started = System.nanoTime();
            long drainCpu = drainCpuNanos();
            long planCpu = THREADS.getCurrentThreadCpuTime();
            BatchJob job = batches.submit(new BatchRequest(bench.sample().manifest().name(), null, "bench/patients.csv",
                    false), "bench");
            planCpu = THREADS.getCurrentThreadCpuTime() - planCpu;
            AtomicLong workerCpu = new AtomicLong();
            List<Future<?>> runs = new ArrayList<>();
            for (String m; (m = queued.poll()) != null; ) {
                String message = m;
                runs.add(pool.submit(() -> {
                    long cpu = THREADS.getCurrentThreadCpuTime();
                    batches.scorePartition(message);
                    workerCpu.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu);
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
            BatchStatus status = batches.status(job.id());
            double seconds = (System.nanoTime() - started) / 1e9;
            if (status.state() != BatchStatus.State.COMPLETED) {
                throw new IllegalStateException("the batch job ended " + status.state() + ": " + status.failure());
            }
            // Wait for the drain (a scan waits) so its CPU is counted here, not in the next round's bare run.
            bench.platform().predictionLog().scan(bench.sample().manifest().name(), Instant.EPOCH,
                    Instant.EPOCH.plusNanos(1), r -> { });
            drainCpu = drainCpuNanos() - drainCpu;
            long samplerCpu = Math.max(0, THREADS.getThreadCpuTime(sampler.getId())) - samplerBefore;
            double cpuSeconds = (processCpuNanos() - cpuBefore - samplerCpu) / 1e9;
            System.out.printf(Locale.ROOT, "  Vigil thread CPU per row: planning pass %.2f us, partition workers %.2f us,"
                    + " prediction-log drain %.2f us%n", planCpu / 1e3 / job.rows(), workerCpu.get() / 1e3 / job.rows(),
                    drainCpu / 1e3 / job.rows());
            return new Measured(job.rows() / seconds, status.scored(), peak.get(), baseline, cpuSeconds);
        } finally {
            pool.shutdown();
            sampler.interrupt();
        }
    }

    /** Threads named for their phase, so the CPU of each phase's threads can be told apart. */
    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicLong next = new AtomicLong();
        return task -> new Thread(task, prefix + "-" + next.incrementAndGet());
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** The CPU time of the prediction log's drain thread so far. */
    private static long drainCpuNanos() {
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains("prediction-log-drain")) {
                return Math.max(0, THREADS.getThreadCpuTime(t.getThreadId()));
            }
        }
        return 0;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * CPU time of this process's threads so far, in clock ticks, grouped by thread name with numbers left out (the
     * JIT compilers, the collector, worker pools, the drain), read from {@code /proc/self/task}; empty elsewhere.
     */
    private static Map<String, Long> threadGroupTicks() throws IOException {
        Map<String, Long> ticks = new java.util.TreeMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return ticks;
        }
        try (var stream = Files.list(tasks)) {
            for (Path task : (Iterable<Path>) stream::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String group = stat.substring(open + 1, close).replaceAll("[0-9#]+", "").trim();
                String[] fields = stat.substring(close + 2).split(" ");
                // After the name: state is field 3 of stat(5), utime 14 and stime 15, so 11 and 12 here.
                ticks.merge(group, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
            }
        }
        return ticks;
    }

    /** The JIT compiler threads' group in {@link #threadGroupTicks()} (C1 and C2, digits left out). */
    private static final String COMPILERS = "C CompilerThre";

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The groups whose CPU grew from {@code before} to {@code after}, in seconds, largest first. */
    private static String difference(Map<String, Long> after, Map<String, Long> before) {
        StringBuilder text = new StringBuilder();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> text.append(text.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%.2f", e.getValue() / 100.0)));
        return text.toString();
    }

    private static String peakResident() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return line.substring(6).trim();
            }
        }
        return "not available on this system";
    }
}

package health.vigil.bench.monitoring;

import static health.vigil.bench.PeakHeap.measure;

import health.vigil.bench.BenchArguments;
import health.vigil.bench.PeakHeap.Measured;
import health.vigil.config.VigilConfig;
import health.vigil.model.ModelName;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.MonitoringRun;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.WorkQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A monitoring window of several hours of the local prediction log, checked two ways, alternating: in one invocation
 * (the baseline: every hour's partial built and merged in sequence) and fanned out one queued invocation per hour to
 * two workers (as {@code vigil up} runs its queue), timed from the request until the merged report is stored. Both
 * give the same report (checked at the end). Time is wall clock; memory the peak heap in use during the step.
 *
 * <p>Run: {@code java -Xmx1g -cp "bench/target/vigil-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*"
 * health.vigil.bench.monitoring.MonitoringFanOutBenchmark [rows] [hours] [labelled share] [rounds] [workers]}
 * (defaults 2000000 8 0.1 3 2; hours at least {@value #MIN_HOURS}, the share from 0 to 1, the others at least 1).
 */
public final class MonitoringFanOutBenchmark {
    private static final Instant FROM = Instant.parse("2026-06-01T08:00:00Z");
    /**
     * The shortest window that is fanned out: the platform checks a window of at most
     * {@value VigilPlatform#DEFAULT_MONITORING_FAN_OUT_ABOVE} log partitions (hours here) in one invocation.
     */
    static final int MIN_HOURS = VigilPlatform.DEFAULT_MONITORING_FAN_OUT_ABOVE + 1;

    private MonitoringFanOutBenchmark() {}

    public static void main(String[] args) throws Exception {
        BenchArguments arguments = new BenchArguments("MonitoringFanOutBenchmark [rows] [hours] [labelled share]"
                + " [rounds] [workers]", args);
        int rows = arguments.atLeast(0, "rows", 2_000_000, 1);
        int hours = arguments.atLeast(1, "hours", 8, Integer.MIN_VALUE);
        if (hours < MIN_HOURS) {
            throw arguments.refused("hours is " + hours + " and must be at least " + MIN_HOURS + ": a window of"
                    + " at most " + VigilPlatform.DEFAULT_MONITORING_FAN_OUT_ABOVE + " hours is checked in one"
                    + " invocation, so there is no fan-out to compare with it");
        }
        double labelledShare = arguments.between(2, "labelled share", 0.1, 0, 1);
        int rounds = arguments.atLeast(3, "rounds", 3, 1);
        int workers = arguments.atLeast(4, "workers", 2, 1);
        Instant to = FROM.plus(Duration.ofHours(hours));
        Clock clock = Clock.fixed(to.plusSeconds(300), ZoneOffset.UTC);
        Path home = Files.createTempDirectory("vigil-monitoring-fanout-bench-");
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        AtomicReference<VigilPlatform> current = new AtomicReference<>();
        // The host's queue: each message is one invocation of DriftCheckPartition on a worker.
        WorkQueue queue = (name, id, message) -> pool.submit(() -> {
            current.get().monitoring().checkPartition(message);
            return null;
        });
        try {
            ModelName model;
            try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                    .clock(clock).build()) {
                model = MonitoringCheckBenchmark.deploy(platform);
                long loadStart = System.nanoTime();
                MonitoringCheckBenchmark.load(platform, model, rows, labelledShare, FROM, Duration.ofHours(hours));
                System.out.printf("loaded %,d predictions over %d hours (%.0f %% labelled) in %.0f s; log %,d MB%n",
                        rows, hours, 100 * labelledShare, (System.nanoTime() - loadStart) / 1e9,
                        MonitoringCheckBenchmark.size(home) >> 20);
            }
            List<Measured> single = new ArrayList<>();
            List<Measured> fanned = new ArrayList<>();
            MonitoringReport one = null;
            MonitoringReport merged = null;
            for (int r = 0; r < rounds; r++) {
                MonitoringCheckBenchmark.deleteReports(home);
                try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                        .clock(clock).build()) {
                    AtomicReference<MonitoringReport> report = new AtomicReference<>();
                    single.add(measure(() -> {
                        report.set(platform.monitoring().check(model, FROM, to).reports().get(0));
                        return report.get().predictions();
                    }));
                    one = report.get();
                }
                MonitoringCheckBenchmark.deleteReports(home);
                try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                        .clock(clock).workQueue(queue).build()) {
                    current.set(platform);
                    AtomicReference<MonitoringReport> report = new AtomicReference<>();
                    fanned.add(measure(() -> {
                        MonitoringRun run = platform.monitoring().check(model, FROM, to);
                        String id = run.pending().get(0).reportId();
                        Optional<MonitoringReport> stored;
                        while ((stored = platform.monitoring().reports().find(id)).isEmpty()) {
                            Thread.sleep(20);
                        }
                        report.set(stored.get());
                        return report.get().predictions();
                    }));
                    merged = report.get();
                }
                System.out.printf("round %d: one invocation %.1f s (%,d MB peak heap), fanned out to %d workers %.1f s"
                        + " (%,d MB peak heap)%n", r + 1, single.get(r).seconds(), single.get(r).peakHeapBytes() >> 20,
                        workers, fanned.get(r).seconds(), fanned.get(r).peakHeapBytes() >> 20);
            }
            if (!one.equals(merged)) {
                throw new AssertionError("the fanned-out report differs from the report of one invocation");
            }
            double a = MonitoringCheckBenchmark.median(single);
            double b = MonitoringCheckBenchmark.median(fanned);
            System.out.printf("%n%,d predictions in %d partitions, %s: one invocation median %.1f s, fanned"
                    + " out median %.1f s, ratio %.2fx; peak heap %,d / %,d MB; reports equal%n", one.predictions(),
                    hours, MonitoringCheckBenchmark.labelled(one.performance()), a, b, b / a,
                    single.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0) >> 20,
                    fanned.stream().mapToLong(Measured::peakHeapBytes).max().orElse(0) >> 20);
        } finally {
            pool.shutdownNow();
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

package health.vigil.bench.scoring;

import ai.onnxruntime.OrtException;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.scoring.ScoreResult;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Requests per second through the scoring service with one caller and with {@value ScoringPathBenchmark#THREADS}
 * callers at once, at each prediction log durability, next to the bare ONNX Runtime call. Group commit is what
 * lets more callers get more done when every commit costs an fsync ({@code POWER_LOSS}): the callers waiting
 * for the log share one transaction instead of queueing for one fsync each.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Xss8m",
        "--add-modules=jdk.incubator.vector"})
public class ScoringThroughputBenchmark {

    /** The service on a platform whose prediction log has the durability under test. */
    @State(Scope.Benchmark)
    public static class Service {
        @Param({"PROCESS_CRASH", "POWER_LOSS"})
        public PredictionLogDurability durability;

        ScoringPathBenchmark.Fixture fixture;

        @Setup(Level.Trial)
        public void start() throws OrtException {
            fixture = new ScoringPathBenchmark.Fixture();
            fixture.start(durability);
        }

        @TearDown(Level.Trial)
        public void stop() throws OrtException {
            fixture.stop();
        }
    }

    /** The bare call needs no platform; a fixture at the default durability provides its session and rows. */
    @State(Scope.Benchmark)
    public static class Bare extends ScoringPathBenchmark.Fixture {
    }

    @Benchmark
    public ScoreResult service(Service s, ScoringPathBenchmark.Cursor c) {
        return s.fixture.scoring.score(s.fixture.requests[c.take()]);
    }

    @Benchmark
    @Threads(ScoringPathBenchmark.THREADS)
    public ScoreResult serviceConcurrent(Service s, ScoringPathBenchmark.Cursor c) {
        return s.fixture.scoring.score(s.fixture.requests[c.take()]);
    }

    @Benchmark
    public double bareSessionRun(Bare f, ScoringPathBenchmark.Cursor c) throws OrtException {
        return ScoringPathBenchmark.bare(f, c.take());
    }

    @Benchmark
    @Threads(ScoringPathBenchmark.THREADS)
    public double bareSessionRunConcurrent(Bare f, ScoringPathBenchmark.Cursor c) throws OrtException {
        return ScoringPathBenchmark.bare(f, c.take());
    }
}

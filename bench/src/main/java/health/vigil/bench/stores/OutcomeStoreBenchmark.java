package health.vigil.bench.stores;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Recording a list of 1,000 outcomes in the local outcome store (`POST /outcomes` with a hospital's daily file):
 * one transaction, one insert per outcome. Each invocation records new outcomes (prediction keys not seen before).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class OutcomeStoreBenchmark {
    private static final int OUTCOMES = 1_000;
    private Path home;
    private LocalAdapters local;
    private OutcomeStore outcomes;
    private List<Outcome> next;
    private final ModelName model = new ModelName("readmission");

    @Setup(Level.Trial)
    public void open() throws IOException {
        home = Files.createTempDirectory("vigil-bench-outcomes");
        local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT);
        outcomes = local.outcomeStore();
    }

    @Setup(Level.Invocation)
    public void newOutcomes() {
        next = new ArrayList<>(OUTCOMES);
        Instant at = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = 0; i < OUTCOMES; i++) {
            next.add(new Outcome(model, Outcome.predictionKey(UUID.randomUUID().toString()), i % 3 == 0, at, "bench"));
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        local.close();
    }

    @Benchmark
    public Object putAllIfAbsent() {
        return outcomes.putAllIfAbsent(next);
    }
}

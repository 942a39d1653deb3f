package health.vigil.bench.monitoring;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.monitoring.DriftAccumulator;
import health.vigil.monitoring.DriftCheck;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.monitoring.ReferenceBinning;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A full drift check (PSI, KS, chi-square, JS, W1 for every feature and the score, plus the label-free
 * estimate) over 1,000,000 logged rows x 30 features held in memory, against baselines that only read every
 * value once. The ratio drift / read is the figure of interest (goal: within 5x).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Xss8m", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DriftCheckBenchmark {
    static final int ROWS = 1_000_000;
    static final int NUMERIC = 24;
    static final int CATEGORICAL = 6;
    static final int WIDTH = NUMERIC + CATEGORICAL;
    static final int CATEGORIES = 5;
    static final int TRAINING_ROWS = 50_000;

    float[] data;
    double[] scores;
    DriftCheck check;

    @Setup
    public void setUp() {
        List<Feature> features = new ArrayList<>();
        for (int f = 0; f < NUMERIC; f++) {
            features.add(Feature.numeric("lab_" + f, null, -1e6, 1e6).optional());
        }
        List<String> categories = List.of("a", "b", "c", "d", "e");
        for (int f = 0; f < CATEGORICAL; f++) {
            features.add(Feature.categorical("code_" + f, categories));
        }
        FeatureSchema schema = new FeatureSchema(features);

        SplittableRandom random = new SplittableRandom(42);
        float[] training = rows(random, TRAINING_ROWS, 0);
        List<FeatureProfile> profiles = new ArrayList<>();
        for (int f = 0; f < WIDTH; f++) {
            double[] column = new double[TRAINING_ROWS];
            for (int r = 0; r < TRAINING_ROWS; r++) {
                column[r] = training[r * WIDTH + f];
            }
            profiles.add(f < NUMERIC ? ReferenceBinning.numericProfile(schema.get(f).name(), column, 10)
                    : ReferenceBinning.categoricalProfile(schema.get(f).name(), categories, column));
        }
        double[] trainingScores = scores(random, TRAINING_ROWS);
        ReferenceProfile reference = new ReferenceProfile(TRAINING_ROWS, profiles,
                ReferenceBinning.numericProfile("score", trainingScores, 10));
        check = DriftCheck.of(schema, reference, 0.3, DriftThresholds.DEFAULTS);

        // Production drifts a little, so every statistic has work to do.
        data = rows(random, ROWS, 0.1);
        scores = scores(random, ROWS);
    }

    /** Features of varied shape: normal, skewed, heavy-tailed, integer-valued; 1% missing; categories 0-4. */
    static float[] rows(SplittableRandom random, int n, double shift) {
        float[] out = new float[n * WIDTH];
        for (int r = 0; r < n; r++) {
            int base = r * WIDTH;
            for (int f = 0; f < NUMERIC; f++) {
                double g = gaussian(random) + shift;
                double v = switch (f % 4) {
                    case 0 -> 50 + 10 * g;
                    case 1 -> Math.exp(0.5 * g);
                    case 2 -> g / Math.max(0.05, random.nextDouble()); // heavy tails
                    default -> Math.floor(Math.abs(3 * g));
                };
                out[base + f] = random.nextDouble() < 0.01 ? Float.NaN : (float) v;
            }
            for (int f = 0; f < CATEGORICAL; f++) {
                double u = random.nextDouble() + shift * 0.2;
                out[base + NUMERIC + f] = u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.85 ? 2 : u < 0.97 ? 3 : 4;
            }
        }
        return out;
    }

    static double[] scores(SplittableRandom random, int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 1 / (1 + Math.exp(1.2 - 1.3 * gaussian(random)));
        }
        return s;
    }

    static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /** Baseline: read every feature value and score once, summing into one accumulator. */
    @Benchmark
    public double readOnceSimpleSum() {
        double sum = 0;
        for (float v : data) {
            sum += v;
        }
        for (double s : scores) {
            sum += s;
        }
        return sum;
    }

    /** Baseline: the same reads with eight independent accumulators, so the loop runs at load speed. */
    @Benchmark
    public double readOnceUnrolledSum() {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        float[] d = data;
        int i = 0;
        for (; i + 8 <= d.length; i += 8) {
            s0 += d[i];
            s1 += d[i + 1];
            s2 += d[i + 2];
            s3 += d[i + 3];
            s4 += d[i + 4];
            s5 += d[i + 5];
            s6 += d[i + 6];
            s7 += d[i + 7];
        }
        for (; i < d.length; i++) {
            s0 += d[i];
        }
        for (double s : scores) {
            s1 += s;
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }

    /** The whole drift check on one thread: one pass to summarise, then the report from the counts. */
    @Benchmark
    public DriftReport driftCheckOneThread() {
        DriftAccumulator acc = check.newAccumulator();
        acc.addRows(data, scores, 0, ROWS);
        return check.report(acc.summary());
    }

    /**
     * {@link #driftCheckOneThread} with scalar binning whatever the JVM offers: the side-by-side figure for the
     * vector binning (ADR 0023), which {@link #driftCheckOneThread} uses when the JVM has the Vector API module.
     */
    @Benchmark
    public DriftReport driftCheckOneThreadScalarBinning() {
        DriftAccumulator acc = check.newAccumulator(DriftAccumulator.Binning.SCALAR);
        acc.addRows(data, scores, 0, ROWS);
        return check.report(acc.summary());
    }

    /** The same with two shards summarised in parallel and merged (the machine has two cores). */
    @Benchmark
    public DriftReport driftCheckTwoShards() {
        return check.report(check.summarise(data, scores, ROWS, 2));
    }
}

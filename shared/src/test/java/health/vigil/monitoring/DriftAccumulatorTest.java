package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.monitoring.DriftAccumulator.Binning;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DriftAccumulatorTest {
    private static final double[][] EDGES = {
        {0, 0.001, 0.002, 0.0025, 5, 1e6}, // uneven: several edges share one grid cell
        {-3, -1, -0.1, 0.1, 0.3, 2}, // 0.1 and 0.3 are not floats: float values sit on both sides
        {0, 1}, // a single bin
        {0, 0.5, 1}, // one interior edge
        {-1, 0, 1e-9, 2e-9, 3e-9, 1e6, 2e6}, // crowded: the grid cannot give every edge a cell of its own
    };

    @Test
    void gridBinningEqualsTheReferenceConventionForEveryValue() {
        DriftCheck check = DriftCheck.of(numericSchema(), numericReference(), 0.5, DriftThresholds.DEFAULTS);
        Random random = new Random(13);
        List<Float> values = new ArrayList<>();
        for (double[] edges : EDGES) {
            for (double e : edges) {
                float f = (float) e;
                Collections.addAll(values, f, Math.nextUp(f), Math.nextDown(f), -f);
            }
        }
        Collections.addAll(values, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
                0f, -0f, Float.MIN_VALUE);
        for (int i = 0; i < 200_000; i++) {
            values.add((float) (random.nextGaussian() * Math.pow(10, random.nextInt(12) - 5)));
        }
        DriftAccumulator acc = check.newAccumulator();
        long[][] expected = new long[EDGES.length][];
        for (int f = 0; f < EDGES.length; f++) {
            expected[f] = new long[EDGES[f].length - 1];
        }
        for (float v : values) {
            acc.add(new float[] {v, v, v, v, v}, 0.5);
            for (int f = 0; f < EDGES.length; f++) {
                expected[f][ReferenceBinning.binOf(EDGES[f], v)]++;
            }
        }
        DriftSummary summary = acc.summary();
        for (int f = 0; f < EDGES.length; f++) {
            assertThat(summary.features().get(f).counts()).as("feature %d", f).containsExactly(expected[f]);
        }
    }

    @Test
    void aMessageCountsOneThingInTheSingularAndTwoInThePlural() {
        DriftAccumulator acc = numericAccumulator();
        assertThatThrownBy(() -> acc.add(new float[1], 0.5)).isInstanceOf(ValidationException.class)
                .hasMessage("a production row has 1 value; the model has 5 input columns");
        assertThatThrownBy(() -> acc.add(new float[2], 0.5)).hasMessageStartingWith("a production row has 2 values;");
        assertThatThrownBy(() -> acc.addRows(new float[1], new double[1], 0, 1))
                .hasMessageEndingWith("got 1 value and 1 score");
        assertThatThrownBy(() -> acc.addRows(new float[2], new double[2], 0, 2))
                .hasMessageEndingWith("got 2 values and 2 scores");
        List<ReferenceBinning.InputColumn> one = List.of(ReferenceBinning.InputColumn.numeric("age"));
        assertThatThrownBy(() -> ReferenceBinning.profile(one, new float[2], 1, new double[] {0.5}))
                .hasMessage("a reference profile of 1 row of 1 input needs 1 value; got 2");
        assertThatThrownBy(() -> ReferenceBinning.profile(List.of(one.get(0), one.get(0)), new float[3], 2,
                new double[] {0.5})).hasMessage("a reference profile of 2 rows of 2 inputs needs 4 values; got 3");
    }

    @Test
    void scoreBinningEqualsTheReferenceConvention() {
        double[] edges = {0.0, 0.05, 0.1, 0.1 + 1e-12, 0.3, 0.30000001, 0.7, 0.999, 1.0};
        ReferenceProfile reference = new ReferenceProfile(1000, numericReference().features(),
                evenProfile("score", edges));
        DriftAccumulator acc = DriftCheck.of(numericSchema(), reference, 0.3, DriftThresholds.DEFAULTS).newAccumulator();
        Random random = new Random(5);
        long[] expected = new long[edges.length - 1];
        List<Double> scores = new ArrayList<>();
        for (double e : edges) {
            Collections.addAll(scores, e, Math.nextUp(e), Math.nextDown(e));
        }
        for (int i = 0; i < 100_000; i++) {
            scores.add(random.nextDouble());
        }
        for (double s : scores) {
            if (s < 0 || s > 1) {
                continue;
            }
            acc.add(new float[5], s);
            expected[ReferenceBinning.binOf(edges, s)]++;
        }
        assertThat(acc.summary().score().counts()).containsExactly(expected);
    }

    @Test
    void blocksOfRowsCountExactlyWhatAPlainPerValueBinningCounts() {
        // Numeric features on the edge sets above, twice (so that features whose cells hold one edge at most are
        // binned both four at a time and alone), two categorical features, scores on uneven bins; values drawn
        // from a mix of ordinary numbers, the edges themselves and their float neighbours, infinities, signed
        // zeros, NaN (missing), and codes that are no category.
        List<Feature> features = new ArrayList<>();
        List<FeatureProfile> profiles = new ArrayList<>();
        double[][] numericEdges = new double[2 * EDGES.length][];
        for (int f = 0; f < numericEdges.length; f++) {
            numericEdges[f] = EDGES[f % EDGES.length];
            features.add(numeric("x" + f));
            profiles.add(evenProfile("x" + f, numericEdges[f]));
        }
        List<String> wards = List.of("a", "b", "c");
        for (String name : List.of("ward", "unit")) {
            features.add(Feature.categorical(name, wards));
            profiles.add(new FeatureProfile(name, null, null, Map.of("a", 0.5, "b", 0.3, "c", 0.2), 0.0));
        }
        double[] scoreEdges = {0.0, 0.05, 0.1, 0.1 + 1e-12, 0.3, 0.30000001, 0.7, 0.999, 1.0};
        ReferenceProfile reference = new ReferenceProfile(1000, profiles, evenProfile("score", scoreEdges));
        DriftCheck check = DriftCheck.of(new FeatureSchema(features), reference, 0.3, DriftThresholds.DEFAULTS);
        int width = features.size();

        List<Float> special = new ArrayList<>();
        for (double[] edges : EDGES) {
            for (double e : edges) {
                float f = (float) e;
                Collections.addAll(special, f, Math.nextUp(f), Math.nextDown(f), -f);
            }
        }
        Collections.addAll(special, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                -Float.MAX_VALUE, 0f, -0f, Float.MIN_VALUE, 1.5f, 3f, -1f, 2.9999998f);
        Random random = new Random(29);
        int n = 5_000 + random.nextInt(300); // not a whole number of blocks
        float[] data = new float[n * width];
        double[] scores = new double[n];
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < width; f++) {
                int pick = random.nextInt(10);
                data[r * width + f] = pick == 0 ? special.get(random.nextInt(special.size()))
                        : pick == 1 ? Float.NaN
                        : f >= numericEdges.length ? random.nextInt(4)
                        : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(10) - 4));
            }
            int pick = random.nextInt(10);
            scores[r] = pick == 0 ? Double.NaN : pick == 1 ? scoreEdges[random.nextInt(scoreEdges.length)]
                    : random.nextDouble();
        }

        // A plain binning of every value, one at a time.
        long[][] expected = new long[width][];
        long[] expectedMissing = new long[width];
        long[] expectedScores = new long[scoreEdges.length - 1];
        long missingScores = 0;
        for (int f = 0; f < width; f++) {
            expected[f] = new long[f < numericEdges.length ? numericEdges[f].length - 1 : wards.size() + 1];
        }
        for (int r = 0; r < n; r++) {
            for (int f = 0; f < width; f++) {
                float x = data[r * width + f];
                if (Float.isNaN(x)) {
                    expectedMissing[f]++;
                } else if (f < numericEdges.length) {
                    expected[f][ReferenceBinning.binOf(numericEdges[f], x)]++;
                } else {
                    boolean known = x == Math.rint(x) && x >= 0 && x < wards.size();
                    expected[f][known ? (int) x : wards.size()]++;
                }
            }
            if (Double.isNaN(scores[r])) {
                missingScores++;
            } else {
                expectedScores[ReferenceBinning.binOf(scoreEdges, scores[r])]++;
            }
        }

        // The same rows through uneven slices of blocks and single rows.
        DriftAccumulator acc = check.newAccumulator();
        int first = 7;
        int middle = 300 + random.nextInt(2_000);
        acc.addRows(data, scores, 0, first);
        acc.add(java.util.Arrays.copyOfRange(data, first * width, (first + 1) * width), scores[first]);
        acc.addRows(data, scores, first + 1, middle);
        acc.addRows(data, scores, middle, n);

        DriftSummary summary = acc.summary();
        for (int f = 0; f < width; f++) {
            assertThat(summary.features().get(f).counts()).as("feature %d", f).containsExactly(expected[f]);
            assertThat(summary.features().get(f).missing()).as("feature %d missing", f).isEqualTo(expectedMissing[f]);
        }
        assertThat(summary.score().counts()).containsExactly(expectedScores);
        assertThat(summary.sketch().total()).isEqualTo(n - missingScores);
        assertThat(summary.rows()).isEqualTo(n);
    }

    /** The binnings this JVM offers: both in the build's test JVMs, which have the Vector API module. */
    static Stream<Binning> binnings() {
        return Arrays.stream(Binning.values()).filter(Binning::available);
    }

    @ParameterizedTest
    @MethodSource("binnings")
    void eachBinningCountsExactlyWhatAPlainPerValueBinningCountsOnAWideRow(Binning binning) {
        WideRows wide = new WideRows(new Random(31), 3_000 + new Random(31).nextInt(300));
        DriftAccumulator acc = wide.check.newAccumulator(binning);
        assertThat(acc.binning()).isEqualTo(binning);
        if (binning == Binning.VECTOR) {
            // Four groups (columns 0, 8, 16 and the last eight, 19-26); column 11 (too many edges), column 26 (too
            // many categories) and the column of no monitored feature are left to the scalar code.
            LaneGroups lanes = acc.lanes();
            assertThat(lanes.column).containsExactly(0, 8, 16, 19);
            List<String> names = wide.check.baseline().entries().stream().map(DriftBaseline.Entry::name).toList();
            for (int f = 0; f < names.size(); f++) {
                assertThat(lanes.covered[f]).as(names.get(f)).isEqualTo(!List.of("x11", "x26").contains(names.get(f)));
            }
        }
        wide.addInUnevenSlices(acc);
        wide.assertCountsExactly(acc.summary());
    }

    @Test
    void vectorAndScalarBinningGiveTheSameSummary() {
        assumeTrue(Binning.VECTOR.available(), "this JVM has no Vector API module or no 256-bit vectors");
        WideRows wide = new WideRows(new Random(47), 2_500);
        DriftAccumulator vector = wide.check.newAccumulator(Binning.VECTOR);
        DriftAccumulator scalar = wide.check.newAccumulator(Binning.SCALAR);
        vector.addRows(wide.data, wide.scores, 0, wide.rows);
        scalar.addRows(wide.data, wide.scores, 0, wide.rows);
        assertThat(vector.summary()).isEqualTo(scalar.summary());
        // And on the blocks test's layout and the drift fixtures (eight numeric columns or more, all on lanes).
        DriftCheck fixtures = DriftCheck.of(DriftFixtures.SCHEMA, DriftFixtures.reference(), DriftFixtures.THRESHOLD,
                DriftThresholds.DEFAULTS);
        float[][] rows = DriftFixtures.rows(new Random(8), 3_000, new DriftFixtures.Shift(3, 0.4, 0.1));
        double[] scores = DriftFixtures.scores(rows);
        DriftAccumulator v = fixtures.newAccumulator(Binning.VECTOR);
        DriftAccumulator s = fixtures.newAccumulator(Binning.SCALAR);
        v.addRows(DriftFixtures.flatten(rows), scores, 0, rows.length);
        s.addRows(DriftFixtures.flatten(rows), scores, 0, rows.length);
        assertThat(v.summary()).isEqualTo(s.summary());
    }

    @Test
    void aJvmWithoutTheVectorModuleOrWithTheSwitchOffBinsWithScalarCode() throws Exception {
        String without = runBestBinning("-XX:TieredStopAtLevel=1");
        assertThat(without).isEqualTo("SCALAR counts exactly; VECTOR refused: vector binning needs the JVM option "
                + "--add-modules=jdk.incubator.vector and a processor with 256-bit vectors\n");
        assertThat(runBestBinning("--add-modules=jdk.incubator.vector", "-Dvigil.drift.vectors=false"))
                .startsWith("SCALAR counts exactly; VECTOR available");
        assertThat(runBestBinning("--add-modules=jdk.incubator.vector", "-XX:TieredStopAtLevel=1"))
                .as("C1 only: vectors would allocate").startsWith("SCALAR counts exactly; VECTOR available");
        if (Binning.VECTOR.available()) {
            assertThat(runBestBinning("--add-modules=jdk.incubator.vector")).startsWith("VECTOR counts exactly");
        }
    }

    private static String runBestBinning(String... options) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BestBinning.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }

    /** Run in a JVM of its own: which binning a new accumulator picks, and whether it counts exactly. */
    static final class BestBinning {
        public static void main(String[] args) {
            WideRows wide = new WideRows(new Random(5), 600);
            DriftAccumulator acc = wide.check.newAccumulator();
            wide.addInUnevenSlices(acc);
            wide.assertCountsExactly(acc.summary());
            System.out.print(acc.binning() + " counts exactly; ");
            try {
                wide.check.newAccumulator(Binning.VECTOR);
                System.out.println("VECTOR available");
            } catch (IllegalArgumentException e) {
                System.out.println("VECTOR refused: " + e.getMessage());
            }
        }
    }

    /**
     * 27 columns: numeric ones on the edge sets above, one numeric with 30 interior edges (column 11), categorical
     * ones at columns 3, 20 and 26 (the last, with 12 categories), and a column no feature of the reference profiles
     * (9); values drawn
     * as in {@link #blocksOfRowsCountExactlyWhatAPlainPerValueBinningCounts}, with the edges of every feature and
     * their float neighbours, and the expected counts from {@link ReferenceBinning#binOf} value by value.
     */
    static final class WideRows {
        static final int WIDTH = 27;
        final DriftCheck check;
        final int rows;
        final float[] data;
        final double[] scores;
        final Random random;
        /** Per column: the edges of a numeric feature, null otherwise. */
        final double[][] edges = new double[WIDTH][];
        /** Per column: the categories of a categorical feature, 0 otherwise. */
        final int[] categories = new int[WIDTH];
        final double[] scoreEdges = {0.0, 0.05, 0.1, 0.1 + 1e-12, 0.3, 0.30000001, 0.7, 0.999, 1.0};

        WideRows(Random random, int rows) {
            this.random = random;
            this.rows = rows;
            List<Feature> features = new ArrayList<>();
            List<FeatureProfile> profiles = new ArrayList<>();
            double[] many = new double[32];
            for (int k = 0; k < many.length; k++) {
                many[k] = -4 + k * 0.25 + (k % 3) * 1e-7;
            }
            for (int c = 0; c < WIDTH; c++) {
                String name = "x" + c;
                if (c == 3 || c == 20 || c == 26) {
                    categories[c] = c == 20 ? 5 : c == 26 ? 12 : 3;
                    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")
                            .subList(0, categories[c]);
                    features.add(Feature.categorical(name, names));
                    Map<String, Double> shares = new java.util.HashMap<>();
                    for (String n : names) {
                        shares.put(n, 1.0 / names.size());
                    }
                    profiles.add(new FeatureProfile(name, null, null, shares, 0.0));
                } else {
                    edges[c] = c == 11 ? many : EDGES[c % EDGES.length];
                    features.add(numeric(name));
                    if (c != 9) {
                        profiles.add(evenProfile(name, edges[c]));
                    }
                }
            }
            ReferenceProfile reference = new ReferenceProfile(1000, profiles, evenProfile("score", scoreEdges));
            check = DriftCheck.of(new FeatureSchema(features), reference, 0.3, DriftThresholds.DEFAULTS);

            List<Float> special = new ArrayList<>();
            for (double[] e : EDGES) {
                addEdges(special, e);
            }
            addEdges(special, many);
            Collections.addAll(special, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                    -Float.MAX_VALUE, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1.5f, 3f, -1f, 2.9999998f, 4f, 5f,
                    (float) (1L << 31), 1e10f, -1e10f);
            data = new float[rows * WIDTH];
            scores = new double[rows];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < WIDTH; c++) {
                    int pick = random.nextInt(10);
                    data[r * WIDTH + c] = pick < 3 ? special.get(random.nextInt(special.size()))
                            : pick == 3 ? Float.NaN
                            : categories[c] > 0 ? random.nextInt(categories[c] + 2) - 1
                            : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(10) - 4));
                }
                int pick = random.nextInt(10);
                scores[r] = pick == 0 ? Double.NaN : pick == 1 ? scoreEdges[random.nextInt(scoreEdges.length)]
                        : random.nextDouble();
            }
        }

        private static void addEdges(List<Float> values, double[] edges) {
            for (double e : edges) {
                float f = (float) e;
                Collections.addAll(values, f, Math.nextUp(f), Math.nextDown(f), -f);
            }
        }

        /** The rows through uneven slices of blocks and single rows. */
        void addInUnevenSlices(DriftAccumulator acc) {
            int first = 5;
            int middle = 260 + random.nextInt(rows - 300);
            acc.addRows(data, scores, 0, first);
            acc.add(Arrays.copyOfRange(data, first * WIDTH, (first + 1) * WIDTH), scores[first]);
            acc.addRows(data, scores, first + 1, middle);
            acc.addRows(data, scores, middle, rows);
        }

        /** Checks the summary against a plain binning of every value, one at a time. */
        void assertCountsExactly(DriftSummary summary) {
            assertThat(summary.rows()).isEqualTo(rows);
            int f = 0;
            for (int c = 0; c < WIDTH; c++) {
                if (c == 9) {
                    continue; // not monitored
                }
                long[] expected = new long[edges[c] != null ? edges[c].length - 1 : categories[c] + 1];
                long missing = 0;
                for (int r = 0; r < rows; r++) {
                    float x = data[r * WIDTH + c];
                    if (Float.isNaN(x)) {
                        missing++;
                    } else if (edges[c] != null) {
                        expected[ReferenceBinning.binOf(edges[c], x)]++;
                    } else {
                        boolean known = x == Math.rint(x) && x >= 0 && x < categories[c];
                        expected[known ? (int) x : categories[c]]++;
                    }
                }
                DriftSummary.FeatureCounts counts = summary.features().get(f++);
                assertThat(counts.name()).isEqualTo("x" + c);
                assertThat(counts.counts()).as("column %d", c).containsExactly(expected);
                assertThat(counts.missing()).as("column %d missing", c).isEqualTo(missing);
            }
            assertThat(f).isEqualTo(summary.features().size());
            long[] expectedScores = new long[scoreEdges.length - 1];
            for (double s : scores) {
                if (!Double.isNaN(s)) {
                    expectedScores[ReferenceBinning.binOf(scoreEdges, s)]++;
                }
            }
            assertThat(summary.score().counts()).containsExactly(expectedScores);
        }
    }

    @Test
    void countsCategoriesUnknownCodesAndMissingValues() {
        FeatureSchema schema = new FeatureSchema(List.of(Feature.categorical("ward", List.of("a", "b", "c"))));
        ReferenceProfile reference = new ReferenceProfile(100, List.of(
                new FeatureProfile("ward", null, null, Map.of("a", 0.5, "b", 0.3, "c", 0.2), 0.0)), null);
        DriftAccumulator acc = DriftCheck.of(schema, reference, 0.5, DriftThresholds.DEFAULTS).newAccumulator();
        float[] values = {0, 1, 1, 2, 2, 2, 3, -1, 1.5f, Float.NaN};
        for (float v : values) {
            acc.add(new float[] {v}, Double.NaN);
        }
        DriftSummary s = acc.summary();
        // a, b, c, then codes that are not categories (3, -1, 1.5)
        assertThat(s.features().get(0).counts()).containsExactly(1, 2, 3, 3);
        assertThat(s.features().get(0).missing()).isEqualTo(1);
        assertThat(s.rows()).isEqualTo(10);
        assertThat(s.sketch().total()).isZero(); // every score was missing
    }

    @Test
    void shardsMergedEqualOnePassAndSurviveJson() {
        DriftCheck check = DriftCheck.of(DriftFixtures.SCHEMA, DriftFixtures.reference(), DriftFixtures.THRESHOLD,
                DriftThresholds.DEFAULTS);
        float[][] rows = DriftFixtures.rows(new Random(3), 10_000, new DriftFixtures.Shift(3, 0.4, 0.1));
        double[] scores = DriftFixtures.scores(rows);
        DriftAccumulator one = check.newAccumulator();
        for (int r = 0; r < rows.length; r++) {
            one.add(rows[r], scores[r]);
        }
        DriftSummary sharded = check.summarise(DriftFixtures.flatten(rows), scores, rows.length, 7);
        DriftSummary single = one.summary();
        assertThat(sharded.features()).isEqualTo(single.features());
        assertThat(sharded.score()).isEqualTo(single.score());
        assertThat(sharded.sketch().counts()).isEqualTo(single.sketch().counts());
        assertThat(sharded.sketch().flagged()).isEqualTo(single.sketch().flagged());
        assertThat(sharded.rows()).isEqualTo(10_000);

        // A day's summary written to JSON, read back and merged with another day's.
        DriftSummary readBack = Json.read("drift summary", Json.writeBytes(single), DriftSummary.class);
        assertThat(readBack).isEqualTo(single);
        DriftAccumulator twoDays = check.newAccumulator();
        twoDays.addAll(readBack);
        twoDays.addAll(single);
        assertThat(twoDays.summary().features().get(0).counts())
                .containsExactly(single.merge(single).features().get(0).counts());
        assertThat(twoDays.summary().rows()).isEqualTo(20_000);
    }

    @Test
    void refusesToMergeSummariesOfDifferentReferences() {
        DriftCheck a = DriftCheck.of(numericSchema(), numericReference(), 0.5, DriftThresholds.DEFAULTS);
        DriftCheck b = DriftCheck.of(numericSchema(), numericReference(), 0.4, DriftThresholds.DEFAULTS);
        DriftSummary sa = a.newAccumulator().summary();
        DriftSummary sb = b.newAccumulator().summary();
        assertThatThrownBy(() -> sa.merge(sb)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("different reference profiles");
        assertThatThrownBy(() -> a.report(sb)).isInstanceOf(ValidationException.class);
    }

    @Test
    void rejectsRowsOfTheWrongWidthAndScoresOutsideZeroToOne() {
        DriftAccumulator acc = numericAccumulator();
        assertThatThrownBy(() -> acc.add(new float[3], 0.5)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("has 3 values; the model has 5 input columns");
        assertThatThrownBy(() -> acc.add(new float[5], 1.5)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("outside 0-1");
        assertThatThrownBy(() -> acc.addRows(new float[10], new double[2], 0, 3)).isInstanceOf(ValidationException.class);
    }

    /** An accumulator of the five numeric features of {@link #numericSchema()} against {@link #numericReference()}. */
    private static DriftAccumulator numericAccumulator() {
        return DriftCheck.of(numericSchema(), numericReference(), 0.5, DriftThresholds.DEFAULTS).newAccumulator();
    }

    private static FeatureSchema numericSchema() {
        List<Feature> features = new ArrayList<>();
        for (int f = 0; f < EDGES.length; f++) {
            features.add(numeric("x" + f));
        }
        return new FeatureSchema(features);
    }

    private static Feature numeric(String name) {
        return new Feature(name, health.vigil.model.FeatureType.NUMERIC, null, null, null, null, false, null);
    }

    /** A numeric profile on the given edges with an even share of the reference in each bin. */
    private static FeatureProfile evenProfile(String name, double[] edges) {
        List<Double> edgeList = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        for (int i = 0; i < edges.length; i++) {
            edgeList.add(edges[i]);
            if (i > 0) {
                shares.add(1.0 / (edges.length - 1));
            }
        }
        return new FeatureProfile(name, edgeList, shares, null, 0.0);
    }

    private static ReferenceProfile numericReference() {
        List<FeatureProfile> profiles = new ArrayList<>();
        for (int f = 0; f < EDGES.length; f++) {
            profiles.add(evenProfile("x" + f, EDGES[f]));
        }
        return new ReferenceProfile(1000, profiles, null);
    }
}

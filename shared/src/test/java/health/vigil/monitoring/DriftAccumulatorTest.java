package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
        DriftAccumulator acc = DriftCheck.of(numericSchema(), numericReference(), 0.5, DriftThresholds.DEFAULTS)
                .newAccumulator();
        assertThatThrownBy(() -> acc.add(new float[3], 0.5)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("has 3 values; the model has 5 input columns");
        assertThatThrownBy(() -> acc.add(new float[5], 1.5)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("outside 0-1");
        assertThatThrownBy(() -> acc.addRows(new float[10], new double[2], 0, 3)).isInstanceOf(ValidationException.class);
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

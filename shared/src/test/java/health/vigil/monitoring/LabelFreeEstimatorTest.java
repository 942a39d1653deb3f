package health.vigil.monitoring;

import health.vigil.statistics.Auroc;
import health.vigil.statistics.ConfusionMatrix;
import health.vigil.statistics.ReliabilityCurve;
import health.vigil.statistics.ScoreSketch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LabelFreeEstimatorTest {
    private static final double THRESHOLD = 0.3;

    @Test
    void expectedValuesEqualTheirDefinitionOverAllPairs() {
        double[] s = {0.05, 0.2, 0.2, 0.35, 0.5, 0.5, 0.5, 0.9};
        double numerator = 0;
        double denominator = 0;
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (i != j) {
                    double w = s[i] * (1 - s[j]); // i positive and j negative
                    denominator += w;
                    numerator += w * (s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0);
                }
            }
        }
        double flaggedSum = 0.35 + 0.5 * 3 + 0.9;
        double total = Arrays.stream(s).sum();
        PerformanceEstimate e = LabelFreeEstimator.estimate(s, THRESHOLD);
        assertThat(e.expectedAuroc()).isCloseTo(numerator / denominator, within(1e-14));
        assertThat(e.expectedPrecision()).isCloseTo(flaggedSum / 5, within(1e-14));
        assertThat(e.expectedRecall()).isCloseTo(flaggedSum / total, within(1e-14));
        assertThat(e.expectedSpecificity()).isCloseTo((3 - (0.05 + 0.4)) / (8 - total), within(1e-14));
        assertThat(e.flaggedRate()).isEqualTo(5 / 8.0);
        assertThat(e.aurocErrorBound()).isZero();
    }

    @Test
    void reliableWhenScoresAreCalibrated() {
        // Outcomes drawn with probability equal to the score: the estimate lands on the realised values.
        Random random = new Random(2024);
        double[] s = scores(random, 50_000);
        boolean[] y = outcomes(random, s, 1.0);
        PerformanceEstimate e = LabelFreeEstimator.estimate(s, THRESHOLD);
        ConfusionMatrix realised = ConfusionMatrix.atThreshold(s, y, THRESHOLD);
        assertThat(e.expectedAuroc()).isCloseTo(Auroc.of(s, y), within(0.01));
        assertThat(e.expectedPrecision()).isCloseTo(realised.precision(), within(0.015));
        assertThat(e.expectedRecall()).isCloseTo(realised.recall(), within(0.015));
    }

    @Test
    void misleadingWhenScoresAreOverconfident() {
        // The true risk is much flatter than the scores claim (logit shrunk by 0.4): the scores alone promise
        // an AUROC near 0.79 and recall near 0.70, while the outcomes give about 0.64 and 0.51.
        Random random = new Random(2024);
        double[] s = scores(random, 50_000);
        boolean[] y = outcomes(random, s, 0.4);
        PerformanceEstimate e = LabelFreeEstimator.estimate(s, THRESHOLD);
        ConfusionMatrix realised = ConfusionMatrix.atThreshold(s, y, THRESHOLD);
        assertThat(e.expectedAuroc() - Auroc.of(s, y)).isGreaterThan(0.1);
        assertThat(e.expectedRecall() - realised.recall()).isGreaterThan(0.1);
        // What flags it once labels arrive: a large calibration error.
        assertThat(ReliabilityCurve.of(s, y, 10).expectedCalibrationError()).isGreaterThan(0.05);
        assertThat(ReliabilityCurve.of(s, outcomes(new Random(1), s, 1.0), 10).expectedCalibrationError())
                .isLessThan(0.02);
    }

    @Test
    void aSketchGivesTheSameRatesAndAnAurocWithinItsBound() {
        Random random = new Random(77);
        double[] s = scores(random, 20_000);
        PerformanceEstimate exact = LabelFreeEstimator.estimate(s, THRESHOLD);
        // Built in two halves and merged, as shards or days would be.
        ScoreSketch merged = ScoreSketch.of(Arrays.copyOfRange(s, 0, 7_000), THRESHOLD)
                .merge(ScoreSketch.of(Arrays.copyOfRange(s, 7_000, s.length), THRESHOLD));
        assertThat(merged.counts()).isEqualTo(ScoreSketch.of(s, THRESHOLD).counts());
        PerformanceEstimate sketched = LabelFreeEstimator.estimate(merged);
        assertThat(sketched.cases()).isEqualTo(20_000);
        assertThat(sketched.expectedPrecision()).isCloseTo(exact.expectedPrecision(), within(1e-12));
        assertThat(sketched.expectedRecall()).isCloseTo(exact.expectedRecall(), within(1e-12));
        assertThat(sketched.flaggedRate()).isEqualTo(exact.flaggedRate());
        assertThat(sketched.aurocErrorBound()).isPositive().isLessThan(0.001);
        assertThat(sketched.expectedAuroc()).isCloseTo(exact.expectedAuroc(), within(sketched.aurocErrorBound()));
    }

    @Test
    void oneScoredCaseHasNoExpectedAurocOnEitherPath() {
        // With one case there is no pair to order: undefined, whatever the score. The sketch path used to answer
        // 0.5 +/- 0.5 for scores whose rounding left a residue in the pair count (0.1 is one).
        for (int i = 1; i < 1000; i++) {
            double score = i / 1000.0;
            PerformanceEstimate exact = LabelFreeEstimator.estimate(new double[] {score}, 0.5);
            PerformanceEstimate sketched = LabelFreeEstimator.estimate(ScoreSketch.of(new double[] {score}, 0.5));
            assertThat(exact.expectedAuroc()).as("exact, score %s", score).isNull();
            assertThat(sketched.expectedAuroc()).as("sketch, score %s", score).isNull();
            assertThat(sketched.aurocErrorBound()).as("sketch bound, score %s", score).isNull();
            assertThat(sketched.expectedPrevalence()).isCloseTo(score, within(1e-12));
        }
    }

    @Test
    void anUndefinedValueIsAbsentFromTheJsonAndAStoredNaNReadsBackAsAbsent() {
        // One score below the threshold: nothing flagged (no precision) and no pair (no AUROC).
        PerformanceEstimate one = LabelFreeEstimator.estimate(new double[] {0.1}, THRESHOLD);
        assertThat(one.expectedPrecision()).isNull();
        assertThat(Json.write(one)).doesNotContain("NaN").doesNotContain("expectedPrecision")
                .doesNotContain("expectedAuroc").contains("\"expectedRecall\":0.0");
        String stored = "{\"threshold\":0.3,\"cases\":1,\"expectedPrevalence\":0.1,\"flaggedRate\":0.0,"
                + "\"expectedPrecision\":\"NaN\",\"expectedRecall\":0.0,\"expectedSpecificity\":1.0,"
                + "\"expectedAuroc\":\"NaN\",\"aurocErrorBound\":0.0}";
        PerformanceEstimate read = Json.read("a stored estimate", stored, PerformanceEstimate.class);
        assertThat(read.expectedAuroc()).isNull();
        assertThat(read.expectedPrecision()).isNull();
        assertThat(read.expectedSpecificity()).isEqualTo(1.0);
    }

    @Test
    void rejectsScoresThatAreNotProbabilities() {
        assertThatThrownBy(() -> LabelFreeEstimator.estimate(new double[] {0.2, 1.5}, THRESHOLD))
                .isInstanceOf(ValidationException.class).hasMessageContaining("outside 0-1");
        assertThatThrownBy(() -> LabelFreeEstimator.estimate(new double[] {0.2}, 1.0))
                .isInstanceOf(ValidationException.class).hasMessageContaining("threshold");
    }

    private static double[] scores(Random random, int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 1 / (1 + Math.exp(-(-1.2 + 1.3 * random.nextGaussian())));
        }
        return s;
    }

    /** Outcomes with true risk sigmoid(slope * logit(score)): slope 1 means the scores are calibrated. */
    private static boolean[] outcomes(Random random, double[] s, double slope) {
        boolean[] y = new boolean[s.length];
        for (int i = 0; i < s.length; i++) {
            double logit = Math.log(s[i] / (1 - s[i]));
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-slope * logit));
        }
        return y;
    }
}

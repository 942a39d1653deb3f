package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.commons.statistics.inference.MannWhitneyUTest;
import org.junit.jupiter.api.Test;

/** AUROC, average precision, Brier score, calibration and threshold metrics against independent references. */
class PerformanceMetricsTest {
    private static final double[] DOC_SCORES = {0.1, 0.4, 0.35, 0.8};
    private static final boolean[] DOC_LABELS = {false, false, true, true};

    @Test
    void aurocOfTheScikitLearnDocumentationExample() {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75 in scikit-learn's documentation:
        // of the 4 positive-negative pairs only (0.35, 0.4) is out of order.
        assertThat(Auroc.of(DOC_SCORES, DOC_LABELS)).isCloseTo(0.75, within(1e-15));
    }

    @Test
    void aurocEqualsAllPairsAndTheMannWhitneyUStatisticWithTies() {
        Random random = new Random(1);
        for (int trial = 0; trial < 30; trial++) {
            int n = 5 + random.nextInt(300);
            double[] scores = new double[n];
            boolean[] labels = new boolean[n];
            for (int i = 0; i < n; i++) {
                labels[i] = random.nextDouble() < 0.3;
                // Rounded to 1 decimal: many ties, within and across classes.
                scores[i] = Math.round((random.nextGaussian() + (labels[i] ? 0.8 : 0)) * 10) / 10.0;
            }
            labels[0] = true;
            labels[1] = false;
            double auroc = Auroc.of(scores, labels);

            double[] pos = IntStream.range(0, n).filter(i -> labels[i]).mapToDouble(i -> scores[i]).toArray();
            double[] neg = IntStream.range(0, n).filter(i -> !labels[i]).mapToDouble(i -> scores[i]).toArray();
            double pairs = 0;
            for (double p : pos) {
                for (double q : neg) {
                    pairs += p > q ? 1 : p == q ? 0.5 : 0;
                }
            }
            assertThat(auroc).isCloseTo(pairs / (pos.length * (double) neg.length), within(1e-12));
            // U from midranks of the pooled sample: U = R_pos - n1 (n1 + 1) / 2.
            double u = midrankSum(scores, labels) - pos.length * (pos.length + 1) / 2.0;
            assertThat(auroc).isCloseTo(u / (pos.length * (double) neg.length), within(1e-12));
            // And Apache Commons Statistics' Mann-Whitney U of positives against negatives.
            double commonsU = MannWhitneyUTest.withDefaults().statistic(pos, neg);
            assertThat(auroc).isCloseTo(commonsU / (pos.length * (double) neg.length), within(1e-12));
        }
    }

    @Test
    void averagePrecisionOfTheScikitLearnDocumentationExample() {
        // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333 in scikit-learn's documentation:
        // 0.8 -> P = 1, R = 0.5; 0.35 -> P = 2/3, R = 1: 0.5 * 1 + 0.5 * 2/3 = 0.8333.
        assertThat(AveragePrecision.of(DOC_SCORES, DOC_LABELS)).isCloseTo(5.0 / 6, within(1e-15));
    }

    @Test
    void averagePrecisionWithoutTiesIsTheMeanPrecisionAtEachPositive() {
        Random random = new Random(2);
        for (int trial = 0; trial < 20; trial++) {
            int n = 10 + random.nextInt(200);
            double[] scores = random.doubles(n).toArray();
            boolean[] labels = new boolean[n];
            for (int i = 0; i < n; i++) {
                labels[i] = random.nextDouble() < scores[i];
            }
            labels[0] = true;
            Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> -scores[i]))
                    .toArray(Integer[]::new);
            double sum = 0;
            int tp = 0;
            int positives = 0;
            for (int k = 0; k < n; k++) {
                if (labels[order[k]]) {
                    tp++;
                    sum += (double) tp / (k + 1);
                }
            }
            for (boolean y : labels) {
                positives += y ? 1 : 0;
            }
            assertThat(AveragePrecision.of(scores, labels)).isCloseTo(sum / positives, within(1e-12));
        }
    }

    @Test
    void averagePrecisionTreatsTiedScoresAsOneThreshold() {
        // Scores 0.9, 0.9, 0.5, 0.5, 0.1 with labels 1, 0, 1, 1, 0. At 0.9: P = 1/2, recall 1/3;
        // at 0.5: P = 3/4, recall 3/3. AP = (1/3)(1/2) + (2/3)(3/4) = 2/3, whatever the order inside ties.
        double[] scores = {0.9, 0.9, 0.5, 0.5, 0.1};
        boolean[] labels = {true, false, true, true, false};
        assertThat(AveragePrecision.of(scores, labels)).isCloseTo(2.0 / 3, within(1e-15));
        double[] swapped = {0.9, 0.9, 0.5, 0.5, 0.1};
        boolean[] swappedLabels = {false, true, true, true, false};
        assertThat(AveragePrecision.of(swapped, swappedLabels)).isCloseTo(2.0 / 3, within(1e-15));
    }

    @Test
    void averagePrecisionWithTiesMatchesItsDefinitionOverEveryDistinctThreshold() {
        for (int trial = 0; trial < 20; trial++) {
            Random random = new Random(100 + trial);
            int n = 300;
            double[] scores = new double[n];
            boolean[] labels = new boolean[n];
            for (int i = 0; i < n; i++) {
                labels[i] = random.nextDouble() < 0.3;
                double raw = 1 / (1 + Math.exp(-(random.nextGaussian() + (labels[i] ? 0.8 : 0))));
                // Every other trial rounded to 1 decimal: many ties, within and across classes.
                scores[i] = trial % 2 == 0 ? Math.round(raw * 10) / 10.0 : raw;
            }
            labels[0] = true;
            // By definition: at each distinct threshold t (highest first), recall gained x precision of s >= t.
            long positives = IntStream.range(0, n).filter(i -> labels[i]).count();
            double[] thresholds = java.util.Arrays.stream(scores).distinct().boxed()
                    .sorted(Comparator.reverseOrder()).mapToDouble(Double::doubleValue).toArray();
            double expected = 0;
            double previousRecall = 0;
            for (double t : thresholds) {
                long flagged = IntStream.range(0, n).filter(i -> scores[i] >= t).count();
                long tp = IntStream.range(0, n).filter(i -> scores[i] >= t && labels[i]).count();
                double recall = (double) tp / positives;
                expected += (recall - previousRecall) * tp / flagged;
                previousRecall = recall;
            }
            assertThat(AveragePrecision.of(scores, labels)).isCloseTo(expected, within(1e-12));
        }
    }

    @Test
    void sixCasesByHand() {
        double[] s = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4};
        boolean[] y = {true, false, true, true, false, false};
        // Positive-negative pairs won: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 -> 7 of 9.
        assertThat(Auroc.of(s, y)).isCloseTo(7.0 / 9.0, within(1e-12));
        // Precision at each positive: 1/1, 2/3, 3/4 -> AP = (1 + 2/3 + 3/4) / 3.
        assertThat(AveragePrecision.of(s, y)).isCloseTo((1 + 2.0 / 3 + 0.75) / 3, within(1e-12));
        assertThat(BrierScore.of(s, y)).isCloseTo((0.01 + 0.64 + 0.09 + 0.16 + 0.3025 + 0.16) / 6, within(1e-12));
        // ECE over ten bins, one case per bin here: |0.9-1| + |0.8-0| + |0.7-1| + |0.6-1| + |0.55-0| + |0.4-0|,
        // over 6 cases.
        assertThat(ReliabilityCurve.of(s, y, 10).expectedCalibrationError())
                .isCloseTo((0.1 + 0.8 + 0.3 + 0.4 + 0.55 + 0.4) / 6, within(1e-12));
        // Two cases in one bin [0.2, 0.3): mean score 0.25 against an observed rate of 0.5 -> 0.25.
        assertThat(ReliabilityCurve.of(new double[] {0.21, 0.29}, new boolean[] {true, false}, 10)
                .expectedCalibrationError()).isCloseTo(0.25, within(1e-12));
        // 0.29 * 100 is 28.999999999999996 in doubles: the score still falls in the bin that starts at 0.29, and
        // every score of a grid falls in the bin whose edges, as the curve reports them, hold it.
        ReliabilityCurve fine = ReliabilityCurve.of(new double[] {0.29}, new boolean[] {true}, 100);
        assertThat(fine.bins().get(0).lower()).isEqualTo(0.29);
        for (int bins : new int[] {10, 100, 1000}) {
            for (int i = 0; i <= 1000; i++) {
                double score = i / 1000.0;
                ReliabilityCurve.Bin bin = ReliabilityCurve.of(new double[] {score}, new boolean[] {true}, bins)
                        .bins().get(0);
                assertThat(score).as("%s in %d bins", score, bins).isGreaterThanOrEqualTo(bin.lower());
                assertThat(score < bin.upper() || score == 1.0).as("%s in %d bins", score, bins).isTrue();
            }
        }
        ConfusionMatrix at = ConfusionMatrix.atThreshold(s, y, 0.6);
        assertThat(at.recall()).isEqualTo(1.0);
        assertThat(at.precision()).isEqualTo(0.75);
    }

    @Test
    void brierScoreByHand() {
        // (0.1-0)^2 + (0.4-0)^2 + (0.35-1)^2 + (0.8-1)^2 = 0.01 + 0.16 + 0.4225 + 0.04 = 0.6325; / 4 = 0.158125
        assertThat(BrierScore.of(DOC_SCORES, DOC_LABELS)).isCloseTo(0.158125, within(1e-15));
    }

    @Test
    void reliabilityCurveAndExpectedCalibrationErrorByHand() {
        // Two bins. [0, 0.5): scores 0.1, 0.2, 0.3 (mean 0.2), outcomes 0, 0, 1 (rate 1/3).
        // [0.5, 1]: scores 0.6, 0.8, 1.0 (mean 0.8), outcomes 1, 1, 1 (rate 1).
        // ECE = 3/6 * |1/3 - 0.2| + 3/6 * |1 - 0.8| = 0.0666667 + 0.1 = 0.1666667
        double[] scores = {0.1, 0.2, 0.3, 0.6, 0.8, 1.0};
        boolean[] labels = {false, false, true, true, true, true};
        ReliabilityCurve curve = ReliabilityCurve.of(scores, labels, 2);
        assertThat(curve.bins()).hasSize(2);
        assertThat(curve.bins().get(0).meanScore()).isCloseTo(0.2, within(1e-15));
        assertThat(curve.bins().get(0).observedRate()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(curve.bins().get(1).count()).isEqualTo(3);
        assertThat(curve.bins().get(1).meanScore()).isCloseTo(0.8, within(1e-15));
        assertThat(curve.expectedCalibrationError()).isCloseTo(1.0 / 6, within(1e-15));
    }

    @Test
    void ratesAtTheDecisionThreshold() {
        // Threshold 0.35 flags 0.4, 0.35 and 0.8 (at or above): TP = 2, FP = 1, TN = 1, FN = 0.
        ConfusionMatrix m = ConfusionMatrix.atThreshold(DOC_SCORES, DOC_LABELS, 0.35);
        assertThat(m).isEqualTo(new ConfusionMatrix(2, 1, 1, 0));
        assertThat(m.precision()).isCloseTo(2.0 / 3, within(1e-15));
        assertThat(m.recall()).isEqualTo(1.0);
        assertThat(m.specificity()).isEqualTo(0.5);
        assertThat(m.plus(m)).isEqualTo(new ConfusionMatrix(4, 2, 2, 0));
        // Nothing flagged: precision is undefined, not zero.
        assertThat(ConfusionMatrix.atThreshold(DOC_SCORES, DOC_LABELS, 0.9).precision()).isNaN();
    }

    @Test
    void twoProportionTestByHandAndAsTheChiSquareOfTheTwoByTwoTable() {
        // 45/100 against 30/100: pooled p = 0.375, SE = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = 0.0684653,
        // z = 0.15 / 0.0684653 = 2.19089, two-sided p = 0.028460.
        TwoProportionTest.Result r = TwoProportionTest.compare(45, 100, 30, 100);
        assertThat(r.z()).isCloseTo(2.1908902, within(1e-7));
        assertThat(r.pValue()).isCloseTo(0.0284597, within(1e-7));
        var chi = org.apache.commons.statistics.inference.ChiSquareTest.withDefaults()
                .test(new long[][] {{45, 55}, {30, 70}});
        assertThat(r.z() * r.z()).isCloseTo(chi.getStatistic(), within(1e-9));
        assertThat(r.pValue()).isCloseTo(chi.getPValue(), within(1e-12));
        assertThat(TwoProportionTest.compare(0, 10, 0, 20).pValue()).isEqualTo(1.0);
        assertThatThrownBy(() -> TwoProportionTest.compare(11, 10, 0, 20))
                .isInstanceOf(ValidationException.class).hasMessageContaining("between 0 and the number of trials");
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> Auroc.of(new double[] {0.1, 0.2}, new boolean[] {true}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("one label per score");
        assertThatThrownBy(() -> Auroc.of(new double[] {0.1, 0.2}, new boolean[] {true, true}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("0 negative");
        assertThatThrownBy(() -> BrierScore.of(new double[] {1.2}, new boolean[] {true}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("outside 0-1");
        assertThatThrownBy(() -> AveragePrecision.of(new double[] {0.3}, new boolean[] {false}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("no positive");
    }

    private static double midrankSum(double[] scores, boolean[] labels) {
        int n = scores.length;
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> scores[i]))
                .toArray(Integer[]::new);
        double[] rank = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double mid = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                rank[order[k]] = mid;
            }
            i = j + 1;
        }
        return IntStream.range(0, n).filter(k -> labels[k]).mapToDouble(k -> rank[k]).sum();
    }
}

package health.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every statistic against a brute-force definition or a hand-computed textbook value. */
class BinaryMetricsTest {

    static double bruteAuroc(double[] s, boolean[] y) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            for (int j = 0; j < s.length; j++) {
                if (y[i] && !y[j]) {
                    pairs++;
                    wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }

    /** Average precision by its definition: over each distinct threshold, recall step x precision there. */
    static double bruteAveragePrecision(double[] s, boolean[] y) {
        long positives = 0;
        for (boolean b : y) {
            positives += b ? 1 : 0;
        }
        double ap = 0;
        double previousRecall = 0;
        for (double t : new TreeSet<>(java.util.Arrays.stream(s).boxed().toList()).descendingSet()) {
            long tp = 0;
            long flagged = 0;
            for (int i = 0; i < s.length; i++) {
                if (s[i] >= t) {
                    flagged++;
                    tp += y[i] ? 1 : 0;
                }
            }
            double recall = (double) tp / positives;
            ap += (recall - previousRecall) * tp / flagged;
            previousRecall = recall;
        }
        return ap;
    }

    static Object[] random(int n, long seed, boolean ties) {
        Random random = new Random(seed);
        double[] s = new double[n];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            y[i] = random.nextDouble() < 0.3;
            double raw = 1 / (1 + Math.exp(-(random.nextGaussian() + (y[i] ? 0.8 : 0))));
            s[i] = ties ? Math.round(raw * 10) / 10.0 : raw;
        }
        return new Object[] {s, y};
    }

    @Test
    void aurocAndAveragePrecisionMatchBruteForceWithAndWithoutTies() {
        for (int trial = 0; trial < 20; trial++) {
            Object[] d = random(300, trial, trial % 2 == 0);
            double[] s = (double[]) d[0];
            boolean[] y = (boolean[]) d[1];
            assertThat(BinaryMetrics.auroc(s, y)).isCloseTo(bruteAuroc(s, y), within(1e-12));
            assertThat(BinaryMetrics.averagePrecision(s, y)).isCloseTo(bruteAveragePrecision(s, y), within(1e-12));
        }
    }

    @Test
    void handComputedExample() {
        double[] s = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4};
        boolean[] y = {true, false, true, true, false, false};
        // Positive-negative pairs won: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 -> 7 of 9.
        assertThat(BinaryMetrics.auroc(s, y)).isCloseTo(7.0 / 9.0, within(1e-12));
        // Precision at each positive: 1/1, 2/3, 3/4 -> AP = (1 + 2/3 + 3/4) / 3.
        assertThat(BinaryMetrics.averagePrecision(s, y)).isCloseTo((1 + 2.0 / 3 + 0.75) / 3, within(1e-12));
        // Brier: (0.01 + 0.64 + 0.09 + 0.16 + 0.3025 + 0.16) / 6.
        assertThat(BinaryMetrics.brier(s, y)).isCloseTo((0.01 + 0.64 + 0.09 + 0.16 + 0.3025 + 0.16) / 6, within(1e-12));
        // ECE, one row per bin here: |0.9-1| + |0.8-0| + |0.7-1| + |0.6-1| + |0.55-0| + |0.4-0|, over 6 rows.
        assertThat(BinaryMetrics.expectedCalibrationError(s, y))
                .isCloseTo((0.1 + 0.8 + 0.3 + 0.4 + 0.55 + 0.4) / 6, within(1e-12));
        // Two rows in one bin [0.2, 0.3): mean score 0.25 vs observed 0.5, weight 2/2 -> 0.25.
        assertThat(BinaryMetrics.expectedCalibrationError(new double[] {0.21, 0.29}, new boolean[] {true, false}))
                .isCloseTo(Math.abs(0.5 - 1) / 2, within(1e-12));
        BinaryMetrics.Confusion at = BinaryMetrics.confusion(s, y, 0.6);
        assertThat(at.recall()).isEqualTo(1.0);
        assertThat(at.precision()).isEqualTo(0.75);
        // F1 by threshold: 0.9 -> 0.5, 0.8 -> 0.4, 0.7 -> 0.667, 0.6 -> 0.857, 0.55 -> 0.75, 0.4 -> 0.667.
        assertThat(BinaryMetrics.thresholdMaximisingF1(s, y)).isEqualTo(0.6);
    }

    @Test
    void undefinedStatisticsAreNaN() {
        double[] s = {0.2, 0.3};
        boolean[] none = {false, false};
        assertThat(BinaryMetrics.auroc(s, none)).isNaN();
        assertThat(BinaryMetrics.averagePrecision(s, none)).isNaN();
        assertThat(BinaryMetrics.confusion(s, none, 0.9).precision()).isNaN();
        assertThat(SegmentMetrics.of("empty-ish", s, none, 0.5).auroc()).isNull();
    }

    @Test
    void segmentsSplitTheTestRowsByGroup() {
        double[] s = {0.9, 0.1, 0.8, 0.3};
        boolean[] y = {true, false, false, true};
        var segments = ModelEvaluation.bySegment(s, y, new String[] {"a", "a", "b", "b"}, java.util.List.of("a", "b", "c"), 0.5);
        assertThat(segments).extracting(SegmentMetrics::segment).containsExactly("a", "b", "c");
        assertThat(segments.get(0).auroc()).isEqualTo(1.0);
        assertThat(segments.get(1).auroc()).isEqualTo(0.0);
        assertThat(segments.get(2).rows()).isZero();
    }
}

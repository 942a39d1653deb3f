package health.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The threshold rule and the per-segment report. The statistics themselves are the monitoring package's,
 * checked against independent references in its {@code PerformanceMetricsTest}.
 */
class ModelEvaluationTest {

    @Test
    void theThresholdMaximisesF1OverTheDistinctScores() {
        double[] s = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4};
        boolean[] y = {true, false, true, true, false, false};
        // F1 by threshold: 0.9 -> 0.5, 0.8 -> 0.4, 0.7 -> 0.667, 0.6 -> 0.857, 0.55 -> 0.75, 0.4 -> 0.667.
        assertThat(ModelEvaluation.thresholdMaximisingF1(s, y)).isEqualTo(0.6);
    }

    @Test
    void aSegmentReportsTheStatisticsAtTheThreshold() {
        double[] s = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4};
        boolean[] y = {true, false, true, true, false, false};
        SegmentMetrics m = SegmentMetrics.of("all", s, y, 0.6);
        assertThat(m.rows()).isEqualTo(6);
        assertThat(m.positives()).isEqualTo(3);
        // Positive-negative pairs won: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 -> 7 of 9.
        assertThat(m.auroc()).isCloseTo(7.0 / 9.0, within(1e-12));
        // Precision at each positive: 1/1, 2/3, 3/4 -> AP = (1 + 2/3 + 3/4) / 3.
        assertThat(m.prAuc()).isCloseTo((1 + 2.0 / 3 + 0.75) / 3, within(1e-12));
        assertThat(m.brier()).isCloseTo((0.01 + 0.64 + 0.09 + 0.16 + 0.3025 + 0.16) / 6, within(1e-12));
        // One row per bin of ten: |0.9-1| + |0.8-0| + |0.7-1| + |0.6-1| + |0.55-0| + |0.4-0|, over 6 rows.
        assertThat(m.expectedCalibrationError()).isCloseTo((0.1 + 0.8 + 0.3 + 0.4 + 0.55 + 0.4) / 6, within(1e-12));
        // Flagged at 0.6 or above: 0.9, 0.8, 0.7, 0.6 -> TP 3, FP 1.
        assertThat(m.recall()).isEqualTo(1.0);
        assertThat(m.precision()).isEqualTo(0.75);
        assertThat(m.flaggedRate()).isCloseTo(4.0 / 6, within(1e-12));
    }

    @Test
    void undefinedStatisticsAreLeftOut() {
        double[] s = {0.2, 0.3};
        boolean[] none = {false, false};
        SegmentMetrics m = SegmentMetrics.of("empty-ish", s, none, 0.9);
        assertThat(m.auroc()).isNull();
        assertThat(m.prAuc()).isNull();
        // Nobody flagged at 0.9: precision is undefined, and recall has no positive to find.
        assertThat(m.precision()).isNull();
        assertThat(m.recall()).isNull();
        assertThat(m.flaggedRate()).isZero();
        assertThat(m.brier()).isCloseTo((0.04 + 0.09) / 2, within(1e-12));
        SegmentMetrics allPositive = SegmentMetrics.of("all positive", s, new boolean[] {true, true}, 0.9);
        assertThat(allPositive.auroc()).isNull();
        assertThat(allPositive.prAuc()).isEqualTo(1.0);
    }

    @Test
    void segmentsSplitTheTestRowsByGroup() {
        double[] s = {0.9, 0.1, 0.8, 0.3};
        boolean[] y = {true, false, false, true};
        var segments = ModelEvaluation.bySegment(s, y, new String[] {"a", "a", "b", "b"}, List.of("a", "b", "c"), 0.5);
        assertThat(segments).extracting(SegmentMetrics::segment).containsExactly("a", "b", "c");
        assertThat(segments.get(0).auroc()).isEqualTo(1.0);
        assertThat(segments.get(1).auroc()).isEqualTo(0.0);
        assertThat(segments.get(2).rows()).isZero();
    }
}

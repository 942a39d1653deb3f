package health.vigil.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.CanaryMetric;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The canary's score-distribution metric: PSI of canary against stable's deciles, failed with a significant KS. */
class CanaryScoreDistributionTest {
    private static final double LEVEL = 0.05;
    private static final double PSI_LIMIT = 0.2;

    /** {@code n} scores: 60 % at {@code low}, then 10 % each at 0.08, 0.15, 0.30 and 0.60 (a points-based score). */
    private static double[] tied(int n, double low) {
        double[] scores = new double[n];
        double[] upper = {0.08, 0.15, 0.30, 0.60};
        for (int i = 0; i < n; i++) {
            int tenth = i * 10 / n;
            scores[i] = tenth < 6 ? low : upper[tenth - 6];
        }
        return scores;
    }

    /**
     * Stable's most common score (60 % at 0.02) moved by the canary to 0.05, 2.5 times the risk for most patients:
     * a bin from 0.02 up to the next decile held both scores and read no shift (PSI 0.003), so the step passed; the
     * tied score has a bin of its own now.
     */
    @Test
    void aShiftOfStablesMostCommonScoreIsSeenThoughThatScoreIsSeveralDeciles() {
        CanaryMetric metric = CanaryAnalysis.scoreDistribution(tied(1_000, 0.05), tied(5_000, 0.02), LEVEL, PSI_LIMIT);

        assertThat(metric.pValue()).isLessThan(1e-100);
        assertThat(metric.canary()).as("PSI").isGreaterThan(3.0);
        assertThat(metric.failed()).isTrue();
    }

    @Test
    void theSameTiedScoresOnBothSidesPassWithAPsiOfNothing() {
        CanaryMetric metric = CanaryAnalysis.scoreDistribution(tied(1_000, 0.02), tied(5_000, 0.02), LEVEL, PSI_LIMIT);

        assertThat(metric.canary()).isCloseTo(0.0, within(1e-12));
        assertThat(metric.failed()).isFalse();
    }

    @Test
    void aTiedDecileGetsABinOfItsOwnAndUntiedDecilesAreCutAsBefore() {
        assertThat(CanaryAnalysis.decileEdges(tied(5_000, 0.02)))
                .containsExactly(0.02, Math.nextUp(0.02), 0.08, 0.15, 0.30, 0.60);
        double[] spread = new SplittableRandom(7).doubles(10_000).toArray();
        double[] sorted = spread.clone();
        Arrays.sort(sorted);
        double[] deciles = new double[9];
        for (int i = 1; i < 10; i++) {
            deciles[i - 1] = sorted[i * 1_000];
        }
        assertThat(CanaryAnalysis.decileEdges(spread)).containsExactly(deciles);
    }
}

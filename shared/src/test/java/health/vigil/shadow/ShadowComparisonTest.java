package health.vigil.shadow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ShadowComparisonTest {

    @Test
    void quantilesInterpolateBetweenOrderStatisticsAsRsDefaultDoes() {
        // R: quantile(c(1, 2, 4, 7, 11), c(0.05, 0.25, 0.5, 0.75, 0.95)) = 1.2, 2, 4, 7, 10.2 (type 7).
        double[] sorted = {1, 2, 4, 7, 11};
        assertThat(ShadowComparison.quantile(sorted, 0.05)).isCloseTo(1.2, within(1e-12));
        assertThat(ShadowComparison.quantile(sorted, 0.25)).isCloseTo(2, within(1e-12));
        assertThat(ShadowComparison.quantile(sorted, 0.5)).isCloseTo(4, within(1e-12));
        assertThat(ShadowComparison.quantile(sorted, 0.75)).isCloseTo(7, within(1e-12));
        assertThat(ShadowComparison.quantile(sorted, 0.95)).isCloseTo(10.2, within(1e-12));
    }

    @Test
    void decisionTableAndRatesFromAHandfulOfPairs() {
        ShadowComparison c = new ShadowComparison();
        c.add(0.8, true, 0.9, true);
        c.add(0.6, true, 0.4, false);
        c.add(0.2, false, 0.7, true);
        c.add(0.1, false, 0.1, false);
        ShadowComparison.Result r = c.result();
        assertThat(r.pairs()).isEqualTo(4);
        assertThat(r.bothFlagged()).isEqualTo(1);
        assertThat(r.liveOnly()).isEqualTo(1);
        assertThat(r.shadowOnly()).isEqualTo(1);
        assertThat(r.neither()).isEqualTo(1);
        assertThat(r.agreement()).isEqualTo(0.5);
        assertThat(r.liveFlagRate()).isEqualTo(0.5);
        assertThat(r.mcnemar().pValue()).isEqualTo(1.0);
        assertThat(r.scoreDifference().mean()).isCloseTo((0.1 - 0.2 + 0.5 + 0) / 4, within(1e-12));
        assertThat(r.scoreDifference().wilcoxonPValue()).as("fewer than 10 non-zero pairs").isNull();
    }
}

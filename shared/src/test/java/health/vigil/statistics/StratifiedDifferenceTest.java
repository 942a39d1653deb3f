package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The comparison of two groups within strata: with one stratum it is the ordinary two-sample test; with several it
 * is not fooled by a stratum mix that differs between the groups (where pooling the rows is); the exact test keeps
 * its level over strata at the boundary of the null.
 */
class StratifiedDifferenceTest {

    @Test
    void oneStratumIsTheOrdinaryTwoProportionTest() {
        StratifiedDifference.Result wald = StratifiedDifference.excess(
                List.of(StratifiedDifference.Stratum.ofRates(9, 200, 40, 20_000)), 0.01);
        TwoProportionTest.Result expected = TwoProportionTest.excess(9, 200, 40, 20_000, 0.01);
        assertThat(wald.difference()).isCloseTo(expected.difference(), within(1e-15));
        assertThat(wald.z()).isCloseTo(expected.z(), within(1e-12));
        assertThat(wald.pValue()).isCloseTo(expected.pValue(), within(1e-15));

        StratifiedDifference.Result exact = StratifiedDifference.excessExact(new long[][] {{9, 40}},
                new long[][] {{200, 20_000}}, 0.005, 1e-4);
        assertThat(exact.pValue()).isCloseTo(TwoProportionTest.excessExact(9, 200, 40, 20_000, 0.005, 1e-4).pValue(),
                within(1e-15));
    }

    @Test
    void aDifferentMixOfStrataIsNoDifferenceWithinThemThoughPoolingTheRowsSaysOtherwise() {
        // Early hours: low-risk patients, few in the canary; later: high-risk patients, half in the canary. Within each
        // stratum both groups flag alike.
        List<StratifiedDifference.Stratum> strata = List.of(
                StratifiedDifference.Stratum.ofRates(10, 100, 1_000, 10_000),
                StratifiedDifference.Stratum.ofRates(300, 1_000, 300, 1_000));

        StratifiedDifference.Result within = StratifiedDifference.beyond(strata, 0.02);
        TwoProportionTest.Result pooled = TwoProportionTest.excess(310, 1_100, 1_300, 11_000, 0.02);

        assertThat(within.difference()).isCloseTo(0, within(1e-12));
        assertThat(within.pValue()).isEqualTo(1.0);
        assertThat(pooled.pValue()).isLessThan(1e-12);
        // Stable's rate is standardised to the canary's mix: 100/1100 at 0.1 and 1000/1100 at 0.3.
        assertThat(within.second()).isCloseTo((100 * 0.1 + 1_000 * 0.3) / 1_100, within(1e-12));
    }

    @Test
    void theWeightsFollowTheFirstGroupAndTheVarianceAddsUpOverTheStrata() {
        List<StratifiedDifference.Stratum> strata = List.of(
                new StratifiedDifference.Stratum(100, 0.5, 0.04, 10_000, 0.4, 0.04),
                new StratifiedDifference.Stratum(300, 0.6, 0.09, 300, 0.55, 0.09));

        StratifiedDifference.Result r = StratifiedDifference.excess(strata, 0.02);

        double difference = 0.25 * 0.1 + 0.75 * 0.05;
        double variance = 0.0625 * (0.04 / 100 + 0.04 / 10_000) + 0.5625 * (0.09 / 300 + 0.09 / 300);
        assertThat(r.difference()).isCloseTo(difference, within(1e-12));
        assertThat(r.standardError()).isCloseTo(Math.sqrt(variance), within(1e-12));
        assertThat(r.z()).isCloseTo((difference - 0.02) / Math.sqrt(variance), within(1e-9));
    }

    @Test
    void theExactTestOverStrataKeepsItsLevelAtTheBoundaryOfTheNull() {
        // Three strata like a ramp's first steps; the canary's rate in each is stable's plus the margin.
        long[][] trials = {{200, 19_800}, {200, 3_800}, {300, 900}};
        double[] stableRate = {0.002, 0.004, 0.003};
        double margin = 0.005;
        int replicates = 4_000;
        int rejected = 0;
        int detected = 0;
        SplittableRandom random = new SplittableRandom(42);
        for (int r = 0; r < replicates; r++) {
            long[][] events = new long[3][];
            long[][] spiked = new long[3][];
            for (int k = 0; k < 3; k++) {
                long stable = binomial(random, trials[k][1], stableRate[k]);
                events[k] = new long[] {binomial(random, trials[k][0], stableRate[k] + margin), stable};
                spiked[k] = new long[] {binomial(random, trials[k][0], 0.05), stable};
            }
            rejected += StratifiedDifference.excessExact(events, trials, margin, 0.0125).pValue() <= 0.05 ? 1 : 0;
            detected += StratifiedDifference.excessExact(spiked, trials, margin, 0.0125).pValue() <= 0.05 ? 1 : 0;
        }
        // At most 5 % (binomial sd 0.34 %); an error rate of 5 % in the canary is found almost always.
        assertThat((double) rejected / replicates).isLessThanOrEqualTo(0.05 + 3 * 0.0034);
        assertThat((double) detected / replicates).isGreaterThan(0.99);
    }

    @Test
    void aStratumWithoutRowsOrWithMoreEventsThanRowsIsRefused() {
        assertThatThrownBy(() -> StratifiedDifference.Stratum.ofRates(1, 0, 0, 10))
                .isInstanceOf(ValidationException.class).hasMessageContaining("at least one trial");
        assertThatThrownBy(() -> StratifiedDifference.Stratum.ofRates(11, 10, 0, 10))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> StratifiedDifference.excess(List.of(), 0.01))
                .isInstanceOf(ValidationException.class).hasMessageContaining("at least one stratum");
    }

    private static long binomial(SplittableRandom random, long n, double p) {
        long k = 0;
        for (long i = 0; i < n; i++) {
            k += random.nextDouble() < p ? 1 : 0;
        }
        return k;
    }
}

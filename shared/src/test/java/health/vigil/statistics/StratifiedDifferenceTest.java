package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.statistics.distribution.BetaDistribution;
import org.apache.commons.statistics.distribution.BinomialDistribution;
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
    void theExactTailOverStrataIsTheFullConvolutionOfTheirBinomials() {
        // Steps of a few thousand canary rows each, stable's rates apart: the tail against every value of the sum,
        // convolved here in full, over the whole range of the canary's count.
        long[][] trials = {{2_000, 40_000}, {5_000, 60_000}, {3_000, 30_000}};
        long[] stableEvents = {80, 300, 60};
        double margin = 0.01;
        double level = 1e-3;
        double[] boundary = new double[3];
        for (int k = 0; k < 3; k++) {
            boundary[k] = BetaDistribution.of(stableEvents[k] + 1.0, trials[k][1] - stableEvents[k])
                    .inverseSurvivalProbability(level / 3) + margin;
        }
        for (long x : new long[] {1, 120, 150, 170, 190, 220}) {
            long[][] events = {{x / 3, stableEvents[0]}, {x - x / 3 - x / 4, stableEvents[1]},
                {x / 4, stableEvents[2]}};
            double p = StratifiedDifference.excessExact(events, trials, margin, level).pValue();
            assertThat(p).as("x %d", x).isCloseTo(Math.min(1, level + fullTail(trials, boundary, x)), within(1e-13));
        }
    }

    @Test
    void stepsOfMoreTrialsThanAnIntHoldsAreTestedAgainstOneBinomialAtTheHighestBound() {
        // No event among stable's rows: each step's bound at level / 2 is 1 - (level / 2)^(1/n). Rates near 1e-9 are
        // Poisson's limit, within the sum of n p^2 (Le Cam).
        long[][] trials = {{3_000_000_000L, 1_000_000_000_000L}, {1L << 31, 250_000_000_000L}};
        double margin = 1e-9;
        double level = 1e-4;
        double[] boundary = new double[2];
        double mean = 0;
        double squares = 0;
        for (int k = 0; k < 2; k++) {
            boundary[k] = -Math.expm1(Math.log(level / 2) / trials[k][1]) + margin;
            mean += trials[k][0] * boundary[k];
            squares += trials[k][0] * boundary[k] * boundary[k];
        }
        double highest = Math.max(boundary[0], boundary[1]);
        long rows = trials[0][0] + trials[1][0];

        double p = StratifiedDifference.excessExact(new long[][] {{7, 0}, {5, 0}}, trials, margin, level).pValue();

        assertThat(p).isCloseTo(level + TwoProportionExactExcessTest.poissonTail(rows * highest, 12),
                within(rows * highest * highest + 1e-12));
        // Never below the exact p-value: the sum's own distribution, Poisson with the steps' summed mean.
        assertThat(p).isGreaterThanOrEqualTo(level + TwoProportionExactExcessTest.poissonTail(mean, 12) - squares);
    }

    @Test
    void aSumTooWideToConvolveIsTestedAgainstOneBinomialAtTheHighestBound() {
        // Two steps of 1.5 million canary rows at rates near 0.3: the sum's range is too wide to convolve.
        long[][] trials = {{1_500_000, 7_500_000}, {1_500_000, 7_500_000}};
        double margin = 0.01;
        double level = 1e-3;
        for (long[] stable : new long[][] {{2_250_000, 2_250_000}, {2_100_000, 2_250_000}}) {
            double[] boundary = new double[2];
            for (int k = 0; k < 2; k++) {
                boundary[k] = BetaDistribution.of(stable[k] + 1.0, trials[k][1] - stable[k])
                        .inverseSurvivalProbability(level / 2) + margin;
            }
            BinomialDistribution atHighest = BinomialDistribution.of(3_000_000, Math.max(boundary[0], boundary[1]));
            BinomialDistribution atLowest = BinomialDistribution.of(3_000_000, Math.min(boundary[0], boundary[1]));
            long centre = Math.round(atHighest.getMean());
            for (long x : new long[] {centre - 20_000, centre, centre + 2_500}) {
                long[][] events = {{x / 2, stable[0]}, {x - x / 2, stable[1]}};

                double p = StratifiedDifference.excessExact(events, trials, margin, level).pValue();

                assertThat(p).isCloseTo(Math.min(1, level + atHighest.survivalProbability((int) x - 1)),
                        within(1e-12));
                // The sum lies between the binomials of all rows at the lowest and at the highest bound.
                assertThat(p).isGreaterThanOrEqualTo(Math.min(1, level + atLowest.survivalProbability((int) x - 1)));
            }
        }
    }

    /** {@code P(X >= x)} for X the sum of independent {@code Binomial(trials[k][0], p[k])}, by the full convolution. */
    private static double fullTail(long[][] trials, double[] p, long x) {
        double[] sum = {1};
        for (int k = 0; k < p.length; k++) {
            BinomialDistribution b = BinomialDistribution.of((int) trials[k][0], p[k]);
            double[] pmf = new double[(int) trials[k][0] + 1];
            for (int j = 0; j < pmf.length; j++) {
                pmf[j] = b.probability(j);
            }
            double[] next = new double[sum.length + pmf.length - 1];
            for (int s = 0; s < sum.length; s++) {
                for (int j = 0; j < pmf.length; j++) {
                    next[s + j] += sum[s] * pmf[j];
                }
            }
            sum = next;
        }
        double tail = 0;
        for (long s = x; s < sum.length; s++) {
            tail += sum[(int) s];
        }
        return tail;
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

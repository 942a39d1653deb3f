package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.junit.jupiter.api.Test;

/**
 * The exact (Berger-Boos) one-sided margin test for rare events: against values computed independently (SciPy's beta
 * and binomial distributions), and its size and power computed exactly by summing over every outcome of both samples.
 */
class TwoProportionExactExcessTest {

    /** P(reject) when the first rate is p1 and the second p2: the sum over both samples' outcomes. */
    private static double rejection(boolean exact, int n1, int n2, double p1, double p2, double margin, double level) {
        BinomialDistribution first = BinomialDistribution.of(n1, p1);
        BinomialDistribution second = BinomialDistribution.of(n2, p2);
        double total = 0;
        for (int x2 = 0; x2 <= n2; x2++) {
            double weight = second.probability(x2);
            if (weight < 1e-15) {
                continue;
            }
            // The p-value falls as x1 rises: find the smallest x1 that rejects.
            int x1 = 0;
            while (x1 <= n1 && pValue(exact, x1, n1, x2, n2, margin, level) > level) {
                x1++;
            }
            total += weight * (x1 > n1 ? 0 : first.survivalProbability(x1 - 1));
        }
        return total;
    }

    private static double pValue(boolean exact, int x1, int n1, int x2, int n2, double margin, double level) {
        return exact ? TwoProportionTest.excessExact(x1, n1, x2, n2, margin, level / 4).pValue()
                : TwoProportionTest.excess(x1, n1, x2, n2, margin).pValue();
    }

    @Test
    void thePValueIsTheBinomialTailAtStablesUpperBoundPlusTheNuisanceLevel() {
        // SciPy: u = beta.isf(1e-4, 41, 19960) = 0.0034566; p = 1e-4 + binom.sf(9, 200, u + 0.01) = 0.00053258.
        TwoProportionTest.Result r = TwoProportionTest.excessExact(10, 200, 40, 20_000, 0.01, 1e-4);
        assertThat(r.pValue()).isCloseTo(0.000532584122363969, within(1e-9));
        assertThat(r.first()).isEqualTo(0.05);
        assertThat(r.second()).isEqualTo(0.002);

        // No event in stable: u = beta.isf(2.5e-5, 1, 600) = 0.017506; p = 2.5e-5 + binom.sf(2, 50, u + 0.02).
        assertThat(TwoProportionTest.excessExact(3, 50, 0, 600, 0.02, 2.5e-5).pValue())
                .isCloseTo(0.2889574306020953, within(1e-9));
        assertThat(TwoProportionTest.excessExact(0, 50, 0, 600, 0.02, 2.5e-5).pValue()).isEqualTo(1.0);
    }

    @Test
    void itNeverRejectsMoreOftenThanItsLevelAtTheBoundaryOfTheNull() {
        // Rates at the boundary p1 = p2 + margin, at the levels and sample sizes of a canary step.
        for (int[] n : new int[][] {{50, 4_950}, {100, 1_900}, {200, 19_800}, {300, 900}}) {
            for (double p2 : new double[] {0, 0.002, 0.01, 0.05}) {
                for (double level : new double[] {1e-4, 5e-4, 0.05}) {
                    double size = rejection(true, n[0], n[1], p2 + 0.01, p2, 0.01, level);
                    assertThat(size).as("n %d/%d, p2 %s, level %s", n[0], n[1], p2, level).isLessThanOrEqualTo(level);
                }
            }
        }
    }

    @Test
    void theWaldTestItHandsOverToKeepsItsLevelForRareEventsInSamplesOfLikeSize() {
        // Where the canary's analysis uses the Wald test instead (stable under five times the canary's rows).
        for (int[] n : new int[][] {{200, 200}, {300, 900}, {600, 600}}) {
            for (double p2 : new double[] {0, 0.002, 0.01, 0.05}) {
                for (double level : new double[] {1e-4, 5e-4}) {
                    double size = rejection(false, n[0], n[1], p2 + 0.01, p2, 0.01, level);
                    assertThat(size).as("n %d/%d, p2 %s, level %s", n[0], n[1], p2, level).isLessThanOrEqualTo(level);
                }
            }
        }
    }

    @Test
    void itHasThePowerToSeeAFivePercentErrorRateInTwoHundredCanaryRequests() {
        // 5 % errors against stable's 0.2 % with a 1-point margin, at 5e-4: SciPy's enumeration gives 0.458 for the
        // exact test and 0.078 for the Wald test on the same samples.
        assertThat(rejection(true, 200, 19_800, 0.05, 0.002, 0.01, 5e-4)).isCloseTo(0.458, within(0.01));
        assertThat(rejection(false, 200, 19_800, 0.05, 0.002, 0.01, 5e-4)).isCloseTo(0.078, within(0.01));
    }

    @Test
    void aCanaryOfMoreTrialsThanAnIntHoldsHasTheTailOfItsBinomialOnEitherSideOfTheLimit() {
        // Stable: no event in 10^12 rows, so its Clopper-Pearson bound is 1 - level^(1/n). Rates of about 2e-9 are
        // Poisson's limit, within n p^2 in every probability (Le Cam), on each side of 2^31 - 1 canary rows alike.
        double level = 1e-4;
        long stableRows = 1_000_000_000_000L;
        double boundary = -Math.expm1(Math.log(level) / stableRows) + 2e-9;
        long[][] canaries = {{Integer.MAX_VALUE, 12}, {1L << 31, 12}, {(1L << 31) + 1, 9}, {5_000_000_000L, 16}};
        for (long[] canary : canaries) {
            long rows = canary[0];
            long events = canary[1];
            double expected = level + poissonTail(rows * boundary, events);

            TwoProportionTest.Result r = TwoProportionTest.excessExact(events, rows, 0, stableRows, 2e-9, level);

            assertThat(r.pValue()).as("%d events in %d rows", events, rows)
                    .isCloseTo(expected, within(rows * boundary * boundary + 1e-12));
            assertThat(r.first()).isEqualTo((double) events / rows);
        }
        assertThat(TwoProportionTest.excessExact(0, 1L << 40, 0, stableRows, 2e-9, level).pValue()).isEqualTo(1.0);
    }

    /** {@code P(X >= x)} for X Poisson with mean {@code mean}: one minus the first x terms of its series. */
    static double poissonTail(double mean, long x) {
        double term = Math.exp(-mean);
        double below = 0;
        for (long k = 0; k < x; k++) {
            below += term;
            term *= mean / (k + 1);
        }
        return 1 - below;
    }

    @Test
    void refusesANuisanceLevelOutsideZeroToOne() {
        assertThatThrownBy(() -> TwoProportionTest.excessExact(1, 10, 1, 10, 0.01, 0))
                .isInstanceOf(ValidationException.class).hasMessageContaining("nuisance level");
    }
}

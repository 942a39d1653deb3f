package health.vigil.statistics;

import health.vigil.monitoring.ReferenceBinning;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.math.BigInteger;
import java.util.Random;
import org.apache.commons.statistics.inference.PValueMethod;
import org.junit.jupiter.api.Test;

class KolmogorovSmirnovTest {

    @Test
    void exactPValueWithTiesEqualsEnumerationOfAllSplits() {
        // Brute force: every way of dealing the pooled values into samples of the original sizes is equally
        // likely under the null; count the splits whose D reaches the observed D.
        double[][][] cases = {
            {{1, 2, 2, 3}, {2, 3, 3, 4, 5}},
            {{0, 0, 1, 1, 1}, {0, 1, 2, 2}},
            {{5, 5, 5}, {5, 5, 6, 7}},
            {{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}, {0.5, 2, 3, 7}},
        };
        for (double[][] c : cases) {
            KolmogorovSmirnov.Result r = KolmogorovSmirnov.twoSample(c[0], c[1], KolmogorovSmirnov.Method.EXACT);
            assertThat(r.statistic()).isCloseTo(naiveD(c[0], c[1]), within(1e-15));
            assertThat(r.pValue()).as("p for %s", (Object) c).isCloseTo(enumeratedPValue(c[0], c[1]), within(1e-12));
        }
    }

    @Test
    void exactPValueWithoutTiesEqualsEnumerationForRandomSmallSamples() {
        Random random = new Random(42);
        for (int trial = 0; trial < 30; trial++) {
            double[] x = random.doubles(1 + random.nextInt(7)).toArray();
            double[] y = random.doubles(1 + random.nextInt(7)).map(v -> v + 0.2).toArray();
            KolmogorovSmirnov.Result r = KolmogorovSmirnov.twoSample(x, y);
            assertThat(r.method()).isEqualTo(KolmogorovSmirnov.Method.EXACT);
            assertThat(r.pValue()).isCloseTo(enumeratedPValue(x, y), within(1e-12));
        }
    }

    @Test
    void equalSizesMatchTheGnedenkoKorolyukFormulaAndPublishedCriticalValues() {
        // For n = m without ties, P(D >= k/n) = 2 sum_{j>=1} (-1)^(j-1) C(2n, n - j k) / C(2n, n)
        // (Gnedenko and Korolyuk 1951). For n = m = 10 it gives P(D >= 6/10) = 0.05245,
        // P(D >= 7/10) = 0.01234, P(D >= 8/10) = 0.00206: critical values 7/10 at 5% and 8/10 at 1%, as in
        // Massey's (1951) table of the two-sample statistic.
        assertThat(gnedenkoKorolyuk(10, 6)).isCloseTo(0.052447, within(1e-6));
        assertThat(gnedenkoKorolyuk(10, 7)).isCloseTo(0.012341, within(1e-6));
        assertThat(gnedenkoKorolyuk(10, 8)).isCloseTo(0.002057, within(1e-6));
        Random random = new Random(5);
        for (int n : new int[] {5, 10, 20, 40}) {
            for (int trial = 0; trial < 5; trial++) {
                double shift = 0.15 * trial;
                double[] x = random.doubles(n).toArray();
                double[] y = random.doubles(n).map(v -> v + shift).toArray();
                KolmogorovSmirnov.Result r = KolmogorovSmirnov.twoSample(x, y);
                int k = (int) Math.round(r.statistic() * n);
                assertThat(r.pValue()).isCloseTo(gnedenkoKorolyuk(n, k), within(1e-12));
            }
        }
    }

    @Test
    void kolmogorovDistributionMatchesPublishedCriticalValues() {
        // Upper quantiles of Kolmogorov's distribution (Smirnov 1948): 1.22385 (10%), 1.35810 (5%),
        // 1.62762 (1%), 1.94947 (0.1%).
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.22385)).isCloseTo(0.10, within(2e-6));
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.35810)).isCloseTo(0.05, within(2e-6));
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.62762)).isCloseTo(0.01, within(2e-6));
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.94947)).isCloseTo(0.001, within(2e-7));
        // Both series agree where they meet, and small lambda means no evidence at all.
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.1799999)).isCloseTo(
                KolmogorovSmirnov.kolmogorovSurvival(1.18), within(1e-6));
        assertThat(KolmogorovSmirnov.kolmogorovSurvival(0.2)).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void agreesWithApacheCommonsStatisticsWithoutTies() {
        // An independent implementation: exact for a moderate sample, asymptotic for a large one.
        Random random = new Random(9);
        double[] x = random.doubles(30).toArray();
        double[] y = random.doubles(45).map(v -> v * 1.3).toArray();
        var reference = org.apache.commons.statistics.inference.KolmogorovSmirnovTest.withDefaults()
                .with(PValueMethod.EXACT).test(x, y);
        KolmogorovSmirnov.Result exact = KolmogorovSmirnov.twoSample(x, y, KolmogorovSmirnov.Method.EXACT);
        assertThat(exact.statistic()).isCloseTo(reference.getStatistic(), within(1e-15));
        assertThat(exact.pValue()).isCloseTo(reference.getPValue(), within(1e-12));

        double[] big1 = random.doubles(1500).toArray();
        double[] big2 = random.doubles(2000).map(v -> v * 1.04).toArray();
        var largeReference = org.apache.commons.statistics.inference.KolmogorovSmirnovTest.withDefaults().test(big1, big2);
        KolmogorovSmirnov.Result asymptotic = KolmogorovSmirnov.twoSample(big1, big2);
        assertThat(asymptotic.method()).isEqualTo(KolmogorovSmirnov.Method.ASYMPTOTIC);
        assertThat(asymptotic.statistic()).isCloseTo(largeReference.getStatistic(), within(1e-15));
        // The limiting distribution (as R's ks.test uses for large samples) is close to the exact one here.
        KolmogorovSmirnov.Result exactLarge = KolmogorovSmirnov.twoSample(big1, big2, KolmogorovSmirnov.Method.EXACT);
        assertThat(exactLarge.pValue()).isCloseTo(largeReference.getPValue(), within(1e-9));
        assertThat(asymptotic.pValue()).isCloseTo(exactLarge.pValue(), within(0.1 * exactLarge.pValue()));
    }

    @Test
    void tinyPValuesKeepTheirPrecision() {
        // Complete separation of n = m = 30: only the two extreme splits reach D = 1, so p = 2 / C(60, 30).
        double[] x = new double[30];
        double[] y = new double[30];
        for (int i = 0; i < 30; i++) {
            x[i] = i;
            y[i] = 100 + i;
        }
        double expected = 2.0 / new BigInteger("118264581564861424").doubleValue();
        assertThat(KolmogorovSmirnov.twoSample(x, y).pValue()).isCloseTo(expected, within(expected * 1e-9));
    }

    @Test
    void binnedStatisticComparesTheCdfsAtTheReferenceEdgesOnly() {
        // Reference 25/25/25/25 from 400 rows; production counts 10/20/30/40 of 100.
        // CDF gaps at the three interior edges: |0.25-0.10|, |0.50-0.30|, |0.75-0.60| -> D = 0.20.
        // Effective size 100*400/500 = 80; lambda = sqrt(80) * 0.2 = 1.78885.
        KolmogorovSmirnov.Result r = KolmogorovSmirnov.binned(new double[] {0.25, 0.25, 0.25, 0.25}, 400,
                new long[] {10, 20, 30, 40});
        assertThat(r.statistic()).isCloseTo(0.20, within(1e-12));
        assertThat(r.pValue()).isCloseTo(KolmogorovSmirnov.kolmogorovSurvival(Math.sqrt(80) * 0.2), within(1e-15));
        assertThat(r.pValue()).isBetween(0.002, 0.005);
    }

    @Test
    void binnedStatisticNeverExceedsTheRawSampleStatistic() {
        Random random = new Random(21);
        for (int trial = 0; trial < 10; trial++) {
            double[] training = random.doubles(2000).map(v -> v * v * 10).toArray();
            double stretch = 10 * (0.8 + 0.05 * trial);
            double[] production = random.doubles(500).map(v -> v * stretch).toArray();
            var profile = ReferenceBinning.numericProfile("x", training, 10);
            double[] edges = profile.binEdges().stream().mapToDouble(Double::doubleValue).toArray();
            double[] shares = profile.proportions().stream().mapToDouble(Double::doubleValue).toArray();
            long[] counts = new long[shares.length];
            for (double v : production) {
                counts[ReferenceBinning.binOf(edges, v)]++;
            }
            double binned = KolmogorovSmirnov.binned(shares, training.length, counts).statistic();
            assertThat(binned).isLessThanOrEqualTo(KolmogorovSmirnov.twoSample(training, production).statistic() + 1e-12);
        }
    }

    @Test
    void rejectsMissingValuesAndEmptySamples() {
        assertThatThrownBy(() -> KolmogorovSmirnov.twoSample(new double[] {1, Double.NaN}, new double[] {1}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> KolmogorovSmirnov.twoSample(new double[0], new double[] {1}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("empty");
    }

    /** D from its definition: the largest ECDF gap, evaluated at every pooled value. */
    private static double naiveD(double[] x, double[] y) {
        double d = 0;
        for (double[] sample : new double[][] {x, y}) {
            for (double t : sample) {
                d = Math.max(d, Math.abs(ecdf(x, t) - ecdf(y, t)));
            }
        }
        return d;
    }

    private static double ecdf(double[] sample, double t) {
        int below = 0;
        for (double v : sample) {
            if (v <= t) {
                below++;
            }
        }
        return (double) below / sample.length;
    }

    private static double enumeratedPValue(double[] x, double[] y) {
        double observed = naiveD(x, y);
        int n = x.length;
        int total = n + y.length;
        double[] pooled = new double[total];
        System.arraycopy(x, 0, pooled, 0, n);
        System.arraycopy(y, 0, pooled, n, y.length);
        long atLeast = 0;
        long splits = 0;
        for (int mask = 0; mask < (1 << total); mask++) {
            if (Integer.bitCount(mask) != n) {
                continue;
            }
            double[] a = new double[n];
            double[] b = new double[total - n];
            int ia = 0;
            int ib = 0;
            for (int i = 0; i < total; i++) {
                if ((mask & (1 << i)) != 0) {
                    a[ia++] = pooled[i];
                } else {
                    b[ib++] = pooled[i];
                }
            }
            splits++;
            if (naiveD(a, b) >= observed - 1e-12) {
                atLeast++;
            }
        }
        return (double) atLeast / splits;
    }

    private static double gnedenkoKorolyuk(int n, int k) {
        BigInteger all = binomial(2 * n, n);
        BigInteger sum = BigInteger.ZERO;
        for (int j = 1; n - j * k >= 0; j++) {
            BigInteger term = binomial(2 * n, n - j * k);
            sum = j % 2 == 1 ? sum.add(term) : sum.subtract(term);
        }
        return new java.math.BigDecimal(sum.shiftLeft(1)).divide(new java.math.BigDecimal(all),
                java.math.MathContext.DECIMAL64).doubleValue();
    }

    private static BigInteger binomial(int n, int k) {
        BigInteger r = BigInteger.ONE;
        for (int i = 0; i < k; i++) {
            r = r.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        return r;
    }
}

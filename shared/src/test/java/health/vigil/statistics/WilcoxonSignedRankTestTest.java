package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.apache.commons.statistics.inference.ContinuityCorrection;
import org.apache.commons.statistics.inference.PValueMethod;
import org.junit.jupiter.api.Test;

class WilcoxonSignedRankTestTest {

    @Test
    void agreesWithApacheCommonsStatisticsOnDataWithoutTies() {
        Random random = new Random(15);
        for (int trial = 0; trial < 30; trial++) {
            int n = 12 + random.nextInt(400);
            double shift = random.nextGaussian() * 0.1;
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = shift + random.nextGaussian();
            }
            WilcoxonSignedRankTest.Result r = WilcoxonSignedRankTest.test(d);
            org.apache.commons.statistics.inference.WilcoxonSignedRankTest.Result oracle =
                    org.apache.commons.statistics.inference.WilcoxonSignedRankTest.withDefaults()
                            .with(PValueMethod.ASYMPTOTIC).with(ContinuityCorrection.ENABLED).test(d);
            assertThat(r.wPlus()).isCloseTo(bruteForceWPlus(d), within(1e-9));
            assertThat(r.pValue()).as("n=%d", n).isCloseTo(oracle.getPValue(), within(1e-9));
        }
    }

    @Test
    void tiesAndZerosWorkedByHand() {
        // Differences 0, 0, 1, -1, 2, 2, 2, -3, 4, 5, 6, 7: the zeros are dropped, leaving 10.
        // |d| ranks: 1,1 -> 1.5 each; 2,2,2 -> 4 each; 3 -> 6; 4..7 -> 7..10.
        // W+ = 1.5 + 4 * 3 + 7 + 8 + 9 + 10 = 47.5; mean 27.5; variance 96.25 - (6 + 24) / 48 = 95.625.
        // z = (20 - 0.5) / sqrt(95.625) = 1.994109; two-sided p = 0.046140.
        double[] d = {0, 0, 1, -1, 2, 2, 2, -3, 4, 5, 6, 7};
        WilcoxonSignedRankTest.Result r = WilcoxonSignedRankTest.test(d);
        assertThat(r.pairs()).isEqualTo(10);
        assertThat(r.zeros()).isEqualTo(2);
        assertThat(r.wPlus()).isEqualTo(47.5);
        assertThat(r.z()).isCloseTo(1.994109, within(1e-6));
        assertThat(r.pValue()).isCloseTo(0.046140, within(1e-6));
    }

    @Test
    void tooFewPairsGiveNoPValue() {
        assertThat(WilcoxonSignedRankTest.test(new double[] {1, 2, -1, 0}).pValue()).isNaN();
    }

    private static double bruteForceWPlus(double[] d) {
        double w = 0;
        for (int i = 0; i < d.length; i++) {
            if (d[i] <= 0) {
                continue;
            }
            double rank = 1;
            for (int j = 0; j < d.length; j++) {
                if (j != i && Math.abs(d[j]) < Math.abs(d[i])) {
                    rank++;
                }
            }
            w += rank;
        }
        return w;
    }
}

package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.apache.commons.statistics.inference.TTest;
import org.junit.jupiter.api.Test;

class PairedTTestTest {

    @Test
    void studentsSleepData() {
        // Cushny and Peebles' sleep data (Student 1908): extra hours of sleep, drug 2 minus drug 1, per patient.
        // Published: t = 4.0621, df = 9, p = 0.002833, 95 % CI 0.7001142 to 2.4598858.
        double[] d = {1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4};
        PairedTTest.Result r = PairedTTest.test(d);
        assertThat(r.meanDifference()).isCloseTo(1.58, within(1e-12));
        assertThat(r.t()).isCloseTo(4.0621, within(5e-5));
        assertThat(r.pValue()).isCloseTo(0.002833, within(5e-7));
        assertThat(r.lower95()).isCloseTo(0.7001142, within(1e-7));
        assertThat(r.upper95()).isCloseTo(2.4598858, within(1e-7));
    }

    @Test
    void agreesWithApacheCommonsStatistics() {
        Random random = new Random(4);
        for (int trial = 0; trial < 20; trial++) {
            int n = 3 + random.nextInt(500);
            double[] live = new double[n];
            double[] shadow = new double[n];
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                live[i] = random.nextDouble();
                shadow[i] = live[i] + 0.01 + 0.05 * random.nextGaussian();
                d[i] = shadow[i] - live[i];
            }
            TTest.Result oracle = TTest.withDefaults().pairedTest(shadow, live);
            PairedTTest.Result r = PairedTTest.test(d);
            assertThat(r.t()).isCloseTo(oracle.getStatistic(), within(1e-9));
            assertThat(r.pValue()).isCloseTo(oracle.getPValue(), within(1e-9));
        }
    }

    @Test
    void aConstantDifferenceHasNoSpreadThoughItsMeanIsRoundedAwayFromIt() {
        // 0.1 three times sums to 0.30000000000000004: the mean is not exactly 0.1, and without a check of the
        // differences themselves the rounding left a spread of 1e-17 and a t near 1e16 with p = 0.
        PairedTTest.Result r = PairedTTest.test(new double[] {0.1, 0.1, 0.1});
        assertThat(r.standardError()).isZero();
        assertThat(r.t()).isNaN();
        assertThat(r.pValue()).isNaN();
        assertThat(r.lower95()).isEqualTo(r.upper95()).isEqualTo(r.meanDifference());
        assertThat(r.meanDifference()).isCloseTo(0.1, within(1e-15));
    }

    @Test
    void identicalScoresHaveNoSpreadAndNoTest() {
        PairedTTest.Result r = PairedTTest.test(new double[] {0, 0, 0});
        assertThat(r.meanDifference()).isZero();
        assertThat(r.pValue()).isNaN();
    }
}

package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class JensenShannonTest {

    @Test
    void matchesAHandComputedDistance() {
        // P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4), base-2 logs:
        // KL(P||M) = 0.5 log2(2/3) + 0.5 log2(2) = 0.207519; KL(Q||M) = log2(4/3) = 0.415037
        // JSD = (0.2075187 + 0.4150375) / 2 = 0.3112781; distance = sqrt(JSD) = 0.5579230
        assertThat(JensenShannon.distance(new double[] {0.5, 0.5}, new double[] {1, 0}))
                .isCloseTo(0.5579230453, within(1e-9));
    }

    @Test
    void isZeroForEqualAndOneForDisjointDistributionsAndSymmetric() {
        double[] p = {0.2, 0.3, 0.5};
        double[] q = {0.5, 0.3, 0.2};
        assertThat(JensenShannon.distance(p, p)).isCloseTo(0.0, within(1e-12));
        assertThat(JensenShannon.distance(new double[] {1, 0}, new double[] {0, 1})).isCloseTo(1.0, within(1e-12));
        assertThat(JensenShannon.distance(p, q)).isCloseTo(JensenShannon.distance(q, p), within(1e-15));
    }

    @Test
    void comparesReferenceSharesWithProductionCounts() {
        assertThat(JensenShannon.distance(new double[] {0.5, 0.5}, new long[] {100, 0}))
                .isCloseTo(0.5579230453, within(1e-9));
    }
}

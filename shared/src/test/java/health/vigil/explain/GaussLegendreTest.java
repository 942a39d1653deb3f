package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GaussLegendreTest {

    @Test
    void smallRulesHaveTheTabulatedNodesAndWeights() {
        GaussLegendre one = GaussLegendre.of(1);
        assertThat(one.node(0)).isCloseTo(0.5, within(1e-16));
        assertThat(one.weight(0)).isCloseTo(1.0, within(1e-16));

        // On [-1, 1]: nodes ±1/sqrt(3), weights 1; mapped to [0, 1] the weights halve.
        GaussLegendre two = GaussLegendre.of(2);
        assertThat(two.node(0)).isCloseTo(0.5 - 0.5 / Math.sqrt(3), within(1e-15));
        assertThat(two.node(1)).isCloseTo(0.5 + 0.5 / Math.sqrt(3), within(1e-15));
        assertThat(two.weight(0)).isCloseTo(0.5, within(1e-15));

        // On [-1, 1]: nodes 0, ±sqrt(3/5), weights 8/9 and 5/9.
        GaussLegendre three = GaussLegendre.of(3);
        assertThat(three.node(0)).isCloseTo(0.5 - 0.5 * Math.sqrt(0.6), within(1e-15));
        assertThat(three.node(1)).isCloseTo(0.5, within(1e-15));
        assertThat(three.weight(0)).isCloseTo(5.0 / 18, within(1e-15));
        assertThat(three.weight(1)).isCloseTo(4.0 / 9, within(1e-15));
    }

    @Test
    void anNPointRuleIntegratesEveryPowerUpTo2nMinus1Exactly() {
        for (int n = 1; n <= 40; n++) {
            GaussLegendre rule = GaussLegendre.of(n);
            for (int k = 0; k <= 2 * n - 1; k++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += rule.weight(i) * Math.pow(rule.node(i), k);
                }
                assertThat(sum).as("n=%d, t^%d", n, k).isCloseTo(1.0 / (k + 1), within(1e-14));
            }
        }
    }

    @Test
    void theShapleyWeightsAreBetaIntegrals() {
        // s! (d - s - 1)! / d! = ∫ t^s (1 - t)^(d - s - 1) dt, the identity TreeShap integrates.
        int d = 9;
        GaussLegendre rule = GaussLegendre.of((d + 1) / 2);
        for (int s = 0; s < d; s++) {
            double integral = 0;
            for (int i = 0; i < rule.size(); i++) {
                double t = rule.node(i);
                integral += rule.weight(i) * Math.pow(t, s) * Math.pow(1 - t, d - s - 1);
            }
            double weight = factorial(s) * factorial(d - s - 1) / factorial(d);
            assertThat(integral).isCloseTo(weight, within(1e-16));
        }
    }

    private static double factorial(int n) {
        double f = 1;
        for (int i = 2; i <= n; i++) {
            f *= i;
        }
        return f;
    }
}

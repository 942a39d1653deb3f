package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TwoProportionIntervalTest {

    @Test
    void waldIntervalWorkedByHand() {
        // 30 of 200 against 20 of 200: difference 0.05; SE = sqrt(0.15 * 0.85 / 200 + 0.10 * 0.90 / 200)
        // = sqrt(0.0010875) = 0.0329773; 95 % CI 0.05 -/+ 1.959964 * 0.0329773 = (-0.0146343, 0.1146343).
        double[] ci = TwoProportionTest.differenceInterval95(30, 200, 20, 200);
        assertThat(ci[0]).isCloseTo(-0.0146343, within(1e-7));
        assertThat(ci[1]).isCloseTo(0.1146343, within(1e-7));
    }
}

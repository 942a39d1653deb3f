package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import org.junit.jupiter.api.Test;

/**
 * The one-sided margin test against values computed independently with the Wald standard error and the normal
 * tail {@code 0.5 * erfc(z / sqrt 2)} (Python's math module, by hand).
 */
class TwoProportionExcessTest {

    @Test
    void aDifferenceBeyondTheMarginIsSignificant() {
        // p1 = 0.3, p2 = 0.2, n = 1000 each, margin 0.05: se = sqrt(0.00021 + 0.00016), z = 2.599376, p = 0.0046697.
        TwoProportionTest.Result r = TwoProportionTest.excess(300, 1000, 200, 1000, 0.05);

        assertThat(r.difference()).isCloseTo(0.1, within(1e-12));
        assertThat(r.z()).isCloseTo(2.59937622455018, within(1e-9));
        assertThat(r.pValue()).isCloseTo(0.004669667620227427, within(1e-9));
    }

    @Test
    void withoutAMarginItIsTheOneSidedWaldTest() {
        // p1 = 0.15 (n 200), p2 = 0.10 (n 400): z = 1.702513, p = 0.0443296.
        TwoProportionTest.Result r = TwoProportionTest.excess(30, 200, 40, 400, 0.0);

        assertThat(r.z()).isCloseTo(1.7025130615174966, within(1e-9));
        assertThat(r.pValue()).isCloseTo(0.04432961604137371, within(1e-9));
    }

    @Test
    void aDifferenceWithinTheMarginIsNotSignificant() {
        // p1 = 0.12, p2 = 0.10, n = 100 each, margin 0.05: z = -0.678323, p = 0.751217.
        TwoProportionTest.Result r = TwoProportionTest.excess(12, 100, 10, 100, 0.05);

        assertThat(r.pValue()).isCloseTo(0.751216682477599, within(1e-9));
    }

    @Test
    void allOrNothingGroupsAreDecidedExactly() {
        assertThat(TwoProportionTest.excess(50, 50, 0, 50, 0.1).pValue()).isZero();
        assertThat(TwoProportionTest.excess(0, 50, 0, 50, 0.1).pValue()).isEqualTo(1.0);
    }

    @Test
    void refusesAMarginOutsideZeroToOne() {
        assertThatThrownBy(() -> TwoProportionTest.excess(1, 10, 1, 10, -0.1))
                .isInstanceOf(ValidationException.class).hasMessageContaining("margin");
    }
}

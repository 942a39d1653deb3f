package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class McNemarTestTest {

    @Test
    void agrestisPresidentialApprovalExample() {
        // Agresti, An Introduction to Categorical Data Analysis (2nd ed.), section 8.1: 1,600 people asked twice;
        // 150 approved then disapproved, 86 disapproved then approved. z = 4.17, z^2 = 17.36, p < 0.001.
        McNemarTest.Result r = McNemarTest.test(150, 86);
        assertThat(r.statistic()).isCloseTo(17.36, within(0.005));
        assertThat(r.exact()).isFalse();
        assertThat(r.pValue()).isLessThan(0.001).isCloseTo(3.09e-5, within(0.01e-5));
    }

    @Test
    void fewDiscordantPairsUseTheExactBinomialComputedFromBinomialCoefficients() {
        for (int b = 0; b <= 12; b++) {
            for (int c = 0; c <= 12; c++) {
                if (b + c == 0 || b + c >= McNemarTest.EXACT_BELOW) {
                    continue;
                }
                McNemarTest.Result r = McNemarTest.test(b, c);
                assertThat(r.exact()).isTrue();
                assertThat(r.pValue()).as("b=%d c=%d", b, c).isCloseTo(exactTwoSided(b, c), within(1e-12));
            }
        }
    }

    @Test
    void noDiscordantPairIsNoEvidenceAndNegativeCountsAreRefused() {
        assertThat(McNemarTest.test(0, 0).pValue()).isEqualTo(1.0);
        assertThatThrownBy(() -> McNemarTest.test(-1, 3)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("cannot be negative");
    }

    /** 2 * P(X <= min(b, c)), X ~ Binomial(b + c, 1/2), from exact binomial coefficients. */
    private static double exactTwoSided(int b, int c) {
        int n = b + c;
        BigInteger tail = BigInteger.ZERO;
        for (int i = 0; i <= Math.min(b, c); i++) {
            tail = tail.add(choose(n, i));
        }
        return Math.min(1.0, 2 * tail.doubleValue() / BigInteger.TWO.pow(n).doubleValue());
    }

    private static BigInteger choose(int n, int k) {
        BigInteger r = BigInteger.ONE;
        for (int i = 0; i < k; i++) {
            r = r.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
        }
        return r;
    }
}

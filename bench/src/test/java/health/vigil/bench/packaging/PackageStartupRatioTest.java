package health.vigil.bench.packaging;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code PackageStartupRatio} refuses arguments it cannot run with before it does any work. */
class PackageStartupRatioTest {
    /**
     * The number of rounds is checked before either package is started. Before, 0 started each package once and
     * then failed on the median of no runs (an index out of bounds).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "baseline candidate 0|ROUNDS is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> PackageStartupRatio.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: PackageStartupRatio BASELINE_STAGING CANDIDATE_STAGING [ROUNDS]; " + message);
    }
}

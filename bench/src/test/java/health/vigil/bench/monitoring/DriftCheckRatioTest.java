package health.vigil.bench.monitoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code DriftCheckRatio} refuses arguments it cannot run with before it does any work. */
class DriftCheckRatioTest {
    /**
     * The number of rounds is checked before the data is generated. Before, 0 failed on the median of no rounds
     * (an index out of bounds) and -1 on a negative array size, both after the set-up.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|rounds is 0 and must be at least 1",
        "-1|rounds is -1 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> DriftCheckRatio.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: DriftCheckRatio [rounds]; " + message);
    }
}

package health.vigil.bench.scoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ScoringRatio} refuses arguments it cannot run with before it does any work. */
class ScoringRatioTest {
    /**
     * Each argument is checked before the fixture starts. Before, rounds 0 failed on the median of no rounds (an index
     * out of bounds) and calls 0 with a division by zero, both after the warm-up, and a misspelt durability ran as
     * process-crash.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|rounds is 0 and must be at least 1",
        "1 process-crash 0|calls per round is 0 and must be at least 1",
        "1 power-lost 10|the durability is \"power-lost\" and must be process-crash or power-loss"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> ScoringRatio.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: ScoringRatio [rounds] [process-crash|power-loss] [calls per round]; " + message);
    }
}

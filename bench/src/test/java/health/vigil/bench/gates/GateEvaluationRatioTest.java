package health.vigil.bench.gates;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code GateEvaluationRatio} refuses arguments it cannot run with before it does any work. */
class GateEvaluationRatioTest {
    /**
     * Each argument is checked before the platform starts. Before, rows 0 was refused only once the platform had
     * started and registered the models (an empty dataset), and repeats 0 ran to the end timing no runs.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 1|rows is 0 and must be at least 1",
        "100 0|repeats is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> GateEvaluationRatio.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: GateEvaluationRatio [rows] [repeats]; " + message);
    }
}

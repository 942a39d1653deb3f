package health.vigil.bench.scoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code DeployToFirstScore} refuses arguments it cannot run with before it does any work. */
class DeployToFirstScoreTest {
    /**
     * The number of rounds is checked before the platform starts. Before, 0 failed on the median of no rounds (an
     * index out of bounds) after registering and deploying the model.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|rounds is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> DeployToFirstScore.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: DeployToFirstScore [rounds]; " + message);
    }
}

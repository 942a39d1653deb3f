package health.vigil.bench.scoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code CanaryRampLatency} refuses arguments it cannot run with before it does any work. */
class CanaryRampLatencyTest {
    /**
     * Each argument is checked before the platform starts. Before, rounds 0 failed on the percentiles of no windows
     * (an index out of bounds) and clients 0 in the thread pool, both after the set-up.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 1|rounds is 0 and must be at least 1",
        "1 0|clients is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> CanaryRampLatency.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: CanaryRampLatency [rounds] [clients]; " + message);
    }
}

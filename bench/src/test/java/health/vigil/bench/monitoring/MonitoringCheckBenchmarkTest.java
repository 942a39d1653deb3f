package health.vigil.bench.monitoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code MonitoringCheckBenchmark} refuses arguments it cannot run with before it does any work. */
class MonitoringCheckBenchmarkTest {
    /**
     * Each argument is checked before the log is loaded. Before, rows 0 failed with a division by zero, rounds 0
     * on the median of no rounds after the load, and a share above 1 ran as if every prediction were labelled.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 0.1 1|rows is 0 and must be at least 1",
        "100 2 1|labelled share is 2.0 and must be from 0.0 to 1.0",
        "100 0.1 0|rounds is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> MonitoringCheckBenchmark.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: MonitoringCheckBenchmark [rows] [labelled share] [rounds]; " + message);
    }
}

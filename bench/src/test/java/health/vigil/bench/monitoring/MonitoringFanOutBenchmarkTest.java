package health.vigil.bench.monitoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MonitoringFanOutBenchmarkTest {

    /**
     * A window of two hours is checked in one invocation, so there is no fan-out to time: the benchmark refuses it
     * before loading anything, naming the least number of hours. Before, it loaded the log, ran the check in one
     * invocation and failed on the fanned-out run's missing pending check (an index out of bounds).
     */
    @Test
    void aWindowTooShortToFanOutIsRefusedWithTheLeastNumberOfHours() {
        assertThatThrownBy(() -> MonitoringFanOutBenchmark.main(new String[] {"1000", "2", "0.1", "1", "1"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("usage: MonitoringFanOutBenchmark [rows] [hours]")
                .hasMessageContaining("hours is 2 and must be at least 3");
    }

    /**
     * Every argument is checked before anything is loaded, with its name and allowed range. Before, rows 0 failed
     * with a division by zero, rounds 0 with a null pointer after the load, and workers 0 in the thread pool.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|8|0.1|1|1|rows is 0 and must be at least 1",
        "-5|8|0.1|1|1|rows is -5 and must be at least 1",
        "1000|8|1.5|1|1|labelled share is 1.5 and must be from 0.0 to 1.0",
        "1000|8|-0.1|1|1|labelled share is -0.1 and must be from 0.0 to 1.0",
        "1000|8|0.1|0|1|rounds is 0 and must be at least 1",
        "1000|8|0.1|1|0|workers is 0 and must be at least 1",
        "1000|8|0.1|1|-2|workers is -2 and must be at least 1",
        "many|8|0.1|1|1|rows is \"many\" and must be a whole number of at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String rows, String hours, String share,
            String rounds, String workers, String message) {
        assertThatThrownBy(() -> MonitoringFanOutBenchmark.main(new String[] {rows, hours, share, rounds, workers}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: MonitoringFanOutBenchmark [rows] [hours] [labelled share] [rounds] [workers]; "
                        + message);
    }
}

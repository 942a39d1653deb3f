package health.vigil.bench.monitoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

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
}

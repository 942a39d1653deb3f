package health.vigil.bench.audit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code AuditEvidenceBenchmark} refuses arguments it cannot run with before it does any work. */
class AuditEvidenceBenchmarkTest {
    /**
     * Each argument is checked before the audit log is filled. Before, days 0 failed with a division by zero, rounds 0
     * on the median of no rounds after the whole fill, and records 0 ran to the end over an empty log.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 1 1|records is 0 and must be at least 1",
        "100 0 1|days is 0 and must be at least 1",
        "100 1 0|rounds is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> AuditEvidenceBenchmark.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: AuditEvidenceBenchmark [records] [days] [rounds]; " + message);
    }
}

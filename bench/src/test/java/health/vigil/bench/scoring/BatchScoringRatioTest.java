package health.vigil.bench.scoring;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code BatchScoringRatio} refuses arguments it cannot run with before it does any work. */
class BatchScoringRatioTest {
    /**
     * Each argument is checked before the file is written or the platform started. Before, workers 0 failed with a
     * division by zero, checkpointChunks 0 in the batch settings after the set-up, and rows 0, rounds 0 or warmups
     * below 0 ran to the end and printed ratios of nothing.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0 1 1 0 1|rows is 0 and must be at least 1",
        "100 0 1 0 1|rounds is 0 and must be at least 1",
        "100 1 0 0 1|workers is 0 and must be at least 1",
        "100 1 1 -1 1|warmups is -1 and must be at least 0",
        "100 1 1 0 0|checkpointChunks is 0 and must be at least 1"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> BatchScoringRatio.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: BatchScoringRatio [rows] [rounds] [workers] [warmups] [checkpointChunks]; "
                        + message);
    }
}

package health.vigil.bench.packaging;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code PackageStartupRatio} refuses arguments it cannot run with before it does any work. */
class PackageStartupRatioTest {
    @TempDir
    Path dir;

    /**
     * The folders and the number of rounds are checked before either package is started. Before, 0 started each
     * package once and then failed on the median of no runs (an index out of bounds); a missing folder argument
     * exited with status 2 and the usage line alone, without saying which argument was missing; a candidate folder
     * that is not there failed only after the baseline had been started.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "baseline candidate 0|ROUNDS is 0 and must be at least 1",
        "''|BASELINE_STAGING is missing and must be a staged Function App folder (the app jar and lib/)",
        "baseline|CANDIDATE_STAGING is missing and must be a staged Function App folder (the app jar and lib/)",
        "{dir} {dir}/absent 1|CANDIDATE_STAGING is \"{dir}/absent\" and must be a staged Function App folder (the"
                + " app jar and lib/)"})
    void anArgumentMissingOrOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        String[] args = arguments.isEmpty() ? new String[0] : arguments.replace("{dir}", dir.toString()).split(" ");
        assertThatThrownBy(() -> PackageStartupRatio.main(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: PackageStartupRatio BASELINE_STAGING CANDIDATE_STAGING [ROUNDS]; "
                        + message.replace("{dir}", dir.toString()));
    }
}

package health.vigil.bench.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code PackageMemory} refuses arguments it cannot run with before it starts any child. */
class PackageMemoryTest {
    /**
     * Each argument, of the run and of a child, is checked before any child starts, with its name and range. Before,
     * parallel 0 or a heap size the JVM does not take started every child and reported "child exited 1" for each,
     * and a child's missing, misspelt or malformed argument ended the child with status 1 and no message.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|parallel is 0 and must be at least 1",
        "two|parallel is \"two\" and must be a whole number of at least 1",
        "2 3|xmx is \"3\" and must be a heap size for -Xmx in megabytes or gigabytes, such as 512m or 3g",
        "2 3gb|xmx is \"3gb\" and must be a heap size for -Xmx in megabytes or gigabytes, such as 512m or 3g",
        "child|KIND is missing and must be one of sample, evaluation-bomb, reference-bomb, model-bomb",
        "child zip-bomb 2|KIND is \"zip-bomb\" and must be one of sample, evaluation-bomb, reference-bomb, model-bomb",
        "child sample|parallel is missing and must be a whole number of at least 1",
        "child sample 0|parallel is 0 and must be at least 1"})
    void anArgumentMissingOrOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> PackageMemory.parse(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: PackageMemory [parallel] [xmx] | child KIND parallel; " + message);
    }

    @Test
    void theDefaultsAndTheDocumentedRunAreRead() {
        assertThat(PackageMemory.parse(new String[0])).isEqualTo(new PackageMemory.Settings(null, 2, "2g"));
        assertThat(PackageMemory.parse(new String[] {"2", "3g"})).isEqualTo(new PackageMemory.Settings(null, 2, "3g"));
        assertThat(PackageMemory.parse(new String[] {"child", "model-bomb", "2"}))
                .isEqualTo(new PackageMemory.Settings("model-bomb", 2, null));
    }
}

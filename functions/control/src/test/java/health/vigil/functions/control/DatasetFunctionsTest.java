package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A dataset's text arrives decoded; what a lenient decoder did to bytes that were not UTF-8 shows in it. */
class DatasetFunctionsTest {

    @Test
    void replacementCharactersAndLoneSurrogatesAreNotTakenForTheFile() {
        assertThat(DatasetFunctions.isWellFormed("age,outcome\n40,1\n")).isTrue();
        assertThat(DatasetFunctions.isWellFormed("site\nBogot\u00e1 \uD83C\uDFE5\n")).as("accents and pairs").isTrue();
        assertThat(DatasetFunctions.isWellFormed("site\nBogot\uFFFD\n")).isFalse();
        assertThat(DatasetFunctions.isWellFormed("site\n\uD800x\n")).isFalse();
        assertThat(DatasetFunctions.isWellFormed("site\nx\uDC00\n")).isFalse();
        assertThat(DatasetFunctions.isWellFormed("site\nx\uD800")).isFalse();
    }
}

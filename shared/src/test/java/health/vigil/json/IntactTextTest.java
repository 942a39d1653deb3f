package health.vigil.json;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Text arrives decoded; what a lenient decoder did to bytes that were not UTF-8 shows in it. */
class IntactTextTest {

    @Test
    void replacementCharactersAndLoneSurrogatesAreNotTakenForWhatWasSent() {
        assertThat(Json.isIntactText("age,outcome\n40,1\n")).isTrue();
        assertThat(Json.isIntactText("site\nBogot\u00e1 \uD83C\uDFE5\n")).as("accents and surrogate pairs").isTrue();
        assertThat(Json.isIntactText("site\nBogot\uFFFD\n")).isFalse();
        assertThat(Json.isIntactText("site\n\uD800x\n")).isFalse();
        assertThat(Json.isIntactText("site\nx\uDC00\n")).isFalse();
        assertThat(Json.isIntactText("site\nx\uD800")).isFalse();
    }
}

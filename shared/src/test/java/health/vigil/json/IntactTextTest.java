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

    @Test
    void printableTextIsJudgedByWholeCharactersAndTheFirstThatIsNotIsFound() {
        assertThat(Json.firstUnprintable("Bogot\u00e1 \uD83C\uDFE5")).as("accents and surrogate pairs").isEqualTo(-1);
        assertThat(Json.firstUnprintable("ab\u202Ecd")).as("a direction override").isEqualTo(2);
        assertThat(Json.firstUnprintable("ab\uDB40\uDC41")).as("a tag character beyond the BMP").isEqualTo(2);
        assertThat(Json.firstUnprintable("ab\uD800")).as("half a surrogate pair").isEqualTo(2);
        assertThat(Json.firstUnprintable("a\uFFFD")).isEqualTo(1);
        assertThat(Json.firstUnprintable("a\tb")).isEqualTo(1);
        assertThat(Json.isPrintableText("ab\uDB40\uDC41")).isFalse();
        assertThat(Json.isPrintableText("Bogot\u00e1 \uD83C\uDFE5")).isTrue();
    }
}

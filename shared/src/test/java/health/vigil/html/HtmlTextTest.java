package health.vigil.html;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTextTest {

    @Test
    void invisibleFormatCharactersAreNamedAsTheBidirectionalOnesAre() {
        assertThat(HtmlText.escape("not\u200B for children")).isEqualTo("not[U+200B] for children");
        assertThat(HtmlText.escape("a\u2060b\uFEFFc\u00ADd")).isEqualTo("a[U+2060]b[U+FEFF]c[U+00AD]d");
        assertThat(HtmlText.escape("x\u202Ey")).isEqualTo("x[U+202E]y");
        // Tag characters lie beyond the BMP: one name per character, not one per half of its surrogate pair.
        String tagged = "ok" + new String(Character.toChars(0xE0041)) + new String(Character.toChars(0xE007F));
        assertThat(HtmlText.escape(tagged)).isEqualTo("ok[U+E0041][U+E007F]");
        assertThat(HtmlText.named(tagged + "\u200B")).isEqualTo("ok[U+E0041][U+E007F][U+200B]");
    }

    @Test
    void visibleTextBeyondTheBmpAndLineBreaksAreKept() {
        String text = "dose \uD835\uDC65 \u2265 2\tmg\nper day, caf\u00E9";
        assertThat(HtmlText.escape(text)).isEqualTo(text);
        assertThat(HtmlText.named("<b>")).isEqualTo("<b>");
        assertThat(HtmlText.escape("<b>")).isEqualTo("&lt;b&gt;");
    }

    @Test
    void halfASurrogatePairAloneIsNamedRatherThanWrittenAsAnUnencodableCharacter() {
        assertThat(HtmlText.escape("a\uD800b")).isEqualTo("a[U+D800]b");
    }
}

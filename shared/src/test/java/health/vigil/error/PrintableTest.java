package health.vigil.error;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void charactersThatBreakALineOrChangeHowItReadsBecomeQuestionMarks() {
        assertThat(Printable.of("model\nINFO granted", 80)).isEqualTo("model?INFO granted");
        assertThat(Printable.of("tab\tand\u0000nul\u007f", 80)).isEqualTo("tab?and?nul?");
        // A right-to-left override makes "exe.txt" of "txt.exe" on screen; a line separator starts a new line in
        // some viewers; a zero-width space hides inside a name.
        assertThat(Printable.of("report\u202Etxt.exe", 80)).isEqualTo("report?txt.exe");
        assertThat(Printable.of("a\u2028b\u2029c\u200Bd", 80)).isEqualTo("a?b?c?d");
        assertThat(Printable.of("Écharpe ünïcode 血糖", 80)).isEqualTo("Écharpe ünïcode 血糖");
    }

    @Test
    void aLongValueIsCutWithoutSplittingACharacter() {
        assertThat(Printable.of("x".repeat(120), 100)).isEqualTo("x".repeat(100) + "...");
        assertThat(Printable.of("x".repeat(100), 100)).isEqualTo("x".repeat(100));
        // U+1F600 is two chars; cutting between them would leave half a character in the message.
        String emoji = new String(Character.toChars(0x1F600));
        assertThat(Printable.of("x".repeat(99) + emoji + "y", 100)).isEqualTo("x".repeat(99) + "...");
        assertThat(Printable.of(null, 100)).isEqualTo("(none)");
    }
}

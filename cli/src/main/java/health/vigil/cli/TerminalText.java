package health.vigil.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectWriter;
import health.vigil.html.HtmlText;
import health.vigil.json.Json;
import java.util.Locale;

/**
 * Text that callers wrote (justifications, reasons, names, messages quoting them) as the CLI prints it on one line
 * of an operator's terminal: every control character, line break and tab, and every character that would reorder
 * or hide what follows (as the cards name them), shown by name as {@code [U+001B]}, so no stored text can move the
 * cursor, rewrite the screen or forge a line of output.
 */
final class TerminalText {
    private TerminalText() {}

    private static final ObjectWriter JSON = Json.mapper().writer().with(new Escapes());
    private static final ObjectWriter PRETTY_JSON = Json.mapper().writerWithDefaultPrettyPrinter().with(new Escapes());

    static String shown(String text) {
        return HtmlText.named(text.replace("\t", "[U+0009]").replace("\r", "[U+000D]").replace("\n", "[U+000A]"));
    }

    /**
     * {@code value} as JSON for a terminal ({@code --json}): the same JSON a parser reads back, with every character
     * {@link #shown} would name written as a JSON escape (a backslash, u and four hex digits) rather than raw (JSON
     * itself escapes only the C0 controls), so stored text cannot reach the terminal as a control sequence or
     * reordering mark. Other text, such as accented letters, is written as it is.
     */
    static String json(Object value, boolean pretty) {
        try {
            return (pretty ? PRETTY_JSON : JSON).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the answer as JSON", e);
        }
    }

    /** JSON's own escapes, plus DEL and the characters {@link HtmlText#disguises} as JSON escapes. */
    private static final class Escapes extends CharacterEscapes {
        private final int[] ascii;

        Escapes() {
            ascii = standardAsciiEscapesForJSON();
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return HtmlText.disguises(ch) ? new SerializedString(String.format(Locale.ROOT, "\\u%04X", ch)) : null;
        }
    }
}

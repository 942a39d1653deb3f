package health.vigil.html;

import java.util.Locale;

/**
 * The one place Vigil makes text safe for HTML, for every page it draws (model cards, the clinician's view, the
 * local dashboard): safe in element content and in attribute values in double or single quotes.
 */
public final class HtmlText {
    private HtmlText() {}

    /**
     * A moment in a {@code time} element: to the second in UTC for people ("2024-05-01 10:15:30 UTC"), with the exact
     * instant in its {@code datetime} for machines. The pages' and the model card's one way of writing a time.
     */
    public static String time(java.time.Instant moment) {
        return "<time datetime=\"" + moment + "\">" + health.vigil.text.Words.time(moment) + "</time>";
    }

    /**
     * The text as markup-free HTML. Characters that would make a page show other words than the text holds are
     * named instead, as {@code [U+202E]}: the bidirectional controls and marks, which reverse or move what follows
     * them (an uploader's "not for use in children" could read as something else to the approver signing it), the
     * other invisible format characters (zero width space and joiners, word joiner, byte order mark, soft hyphen, tag
     * characters: Unicode's category Cf, which hide inside a word that looks whole), line and paragraph separators,
     * control characters other than tab and line breaks, and half a surrogate pair alone. Characters beyond the BMP
     * are read whole, so a tag character is named once and never cut in two.
     */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> appendNamed(out, c);
            }
        });
        return out.toString();
    }

    /**
     * The text with the same characters named as {@link #escape} names them, and nothing else changed: for text
     * shown other than as HTML, such as the Markdown model card printed on a terminal.
     */
    public static String named(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> appendNamed(out, c));
        return out.toString();
    }

    private static void appendNamed(StringBuilder out, int c) {
        if (disguises(c)) {
            out.append("[U+").append(String.format(Locale.ROOT, "%04X", c)).append(']');
        } else {
            out.appendCodePoint(c);
        }
    }

    /**
     * Whether {@code c} is one of the characters {@link #escape} and {@link #named} name rather than show: a control
     * character other than tab and line breaks, an invisible format character (bidirectional ones included), a line
     * or paragraph separator, or half a surrogate pair.
     */
    public static boolean disguises(int c) {
        boolean control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f);
        int type = Character.getType(c);
        // Cf holds the bidirectional controls and marks (U+061C, U+200E-200F, U+202A-202E, U+2066-2069) too.
        boolean invisible = type == Character.FORMAT || type == Character.SURROGATE;
        return control || invisible || c == 0x2028 || c == 0x2029;
    }
}

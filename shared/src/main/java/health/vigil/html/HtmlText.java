package health.vigil.html;

import java.util.Locale;

/**
 * The one place Vigil makes text safe for HTML, for every page it draws (model cards, the clinician's view, the
 * local dashboard): safe in element content and in attribute values in double or single quotes.
 */
public final class HtmlText {
    private HtmlText() {}

    /**
     * The text as markup-free HTML. Characters that would make a page show other words than the text holds are
     * named instead, as {@code [U+202E]}: the bidirectional controls and marks, which reverse or move what follows
     * them (an uploader's "not for use in children" could read as something else to the approver signing it), line
     * and paragraph separators, and control characters other than tab and line breaks.
     */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> appendNamed(out, c);
            }
        }
        return out.toString();
    }

    /**
     * The text with the same characters named as {@link #escape} names them, and nothing else changed: for text
     * shown other than as HTML, such as the Markdown model card printed on a terminal.
     */
    public static String named(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            appendNamed(out, text.charAt(i));
        }
        return out.toString();
    }

    private static void appendNamed(StringBuilder out, char c) {
        if (disguises(c)) {
            out.append("[U+").append(String.format(Locale.ROOT, "%04X", (int) c)).append(']');
        } else {
            out.append(c);
        }
    }

    private static boolean disguises(char c) {
        boolean control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f);
        boolean bidirectional = c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069);
        return control || bidirectional || c == 0x2028 || c == 0x2029;
    }
}

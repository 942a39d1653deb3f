package health.vigil.html;

/**
 * The one place Vigil makes text safe for HTML, for every page it draws (model cards, the clinician's view, the
 * local dashboard): safe in element content and in attribute values in double or single quotes.
 */
public final class HtmlText {
    private HtmlText() {}

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
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

package health.vigil.error;

import java.util.regex.Pattern;

/**
 * A caller's text (a name in an uploaded package, a container, a pipeline id) made fit to quote in an error message:
 * characters that would break a log line or change how it reads (control characters, line and paragraph separators,
 * invisible formatting such as bidirectional overrides) become {@code ?}, and a long value is cut.
 */
public final class Printable {
    private static final Pattern HIDDEN = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]");

    private Printable() {
    }

    /** {@code value} with hidden characters replaced and at most {@code max} characters, then "..."; null as "(none)". */
    public static String of(String value, int max) {
        if (value == null) {
            return "(none)";
        }
        String clean = HIDDEN.matcher(value).replaceAll("?");
        if (clean.length() <= max) {
            return clean;
        }
        int end = Character.isHighSurrogate(clean.charAt(max - 1)) ? max - 1 : max;
        return clean.substring(0, end) + "...";
    }
}

package health.vigil.audit;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of audit evidence read exactly as docs/audit-evidence-format.md writes them: whole numbers, days,
 * hours, times and text. Java's own readers accept more ({@code Long.parseLong} takes {@code +5}, {@code 007} and other
 * scripts' digits, {@code Instant.parse} takes {@code t}, {@code z}, offsets and leap seconds), and a verifier
 * that accepted what the format refuses would pass evidence another verifier of the same format fails.
 */
final class EvidenceValues {
    private static final Pattern WHOLE_NUMBER = Pattern.compile("0|[1-9][0-9]{0,18}");
    private static final Pattern DAY = Pattern.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})");
    private static final Pattern HOUR = Pattern.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2})Z");
    private static final Pattern TIME = Pattern.compile(
            "([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.([0-9]{1,9}))?Z");

    private EvidenceValues() {}

    /** A whole number (ASCII digits, no sign, no leading zero, at most 2^63 - 1), or -1 when the text is not one. */
    static long wholeNumber(String text) {
        if (text == null || !WHOLE_NUMBER.matcher(text).matches()) {
            return -1;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException tooLarge) {
            return -1;
        }
    }

    /** A day written {@code yyyy-MM-dd}, or null when the text is not one. */
    static LocalDate day(String text) {
        Matcher m = text == null ? null : DAY.matcher(text);
        if (m == null || !m.matches()) {
            return null;
        }
        try {
            return LocalDate.of(year(m), number(m, 2), number(m, 3));
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The start of an hour written {@code yyyy-MM-ddTHHZ} (UTC, an anchor's hour), or null when the text is not one. */
    static Instant hour(String text) {
        Matcher m = text == null ? null : HOUR.matcher(text);
        if (m == null || !m.matches()) {
            return null;
        }
        try {
            return LocalDateTime.of(year(m), number(m, 2), number(m, 3), number(m, 4), 0).toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** A time written {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z} (UTC, no leap second), or null when the text is not one. */
    static Instant time(String text) {
        Matcher m = text == null ? null : TIME.matcher(text);
        if (m == null || !m.matches()) {
            return null;
        }
        String fraction = m.group(7) == null ? "" : m.group(7);
        try {
            return LocalDateTime.of(year(m), number(m, 2), number(m, 3), number(m, 4), number(m, 5),
                    number(m, 6), Integer.parseInt((fraction + "000000000").substring(0, 9))).toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** Whether the text can be written as UTF-8: a JSON escape such as {@code \ud800} gives text that cannot. */
    static boolean isUnicode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** The text of UTF-8 bytes, or null when they are not UTF-8 (a byte order mark is kept: it is not JSON). */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * The year of a day, hour or time: 0001 to 9999. {@code LocalDate} takes the year 0000, but the format's calendar
     * has no year 0 (nor has Python's {@code datetime}, which the reference verifier reads with), and no audit record
     * is that old: 0000 is not a year, so that both verifiers give the same verdict.
     */
    private static int year(Matcher m) {
        int year = number(m, 1);
        if (year < 1) {
            throw new DateTimeException("the year 0000 is not a year of the format");
        }
        return year;
    }

    private static int number(Matcher m, int group) {
        return Integer.parseInt(m.group(group));
    }
}

package health.vigil.text;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The one place Vigil words counts, durations and measured values for people, in the sentences its pages, reports,
 * reasons and command lines print: "1 day", "3 days", never "1 days" or "day(s)"; "1 min 20 s", never
 * {@code PT1M20S}; "1", never "1.0000". Fields read by machines (JSON) keep their own formats.
 */
public final class Words {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Words() {}

    /** A moment as people read it, to the second in UTC: "2024-05-01 10:15:30 UTC", not {@code 2024-05-01T10:15:30.123456789Z}. */
    public static String time(Instant moment) {
        return TIME.format(moment);
    }

    /**
     * {@link #time(Instant)} of a moment written as an ISO-8601 instant (a JSON field); text that is not one is
     * returned as it is, so a line never loses what it was given.
     */
    public static String time(String instant) {
        try {
            return time(Instant.parse(instant));
        } catch (DateTimeParseException notAnInstant) {
            return instant;
        }
    }

    /**
     * A measured value, such as a gate check's, as people read it: a whole number as one ("1", "5000", not "1.000"),
     * any other to four significant digits ("0.6728", "0.61"), and below a thousandth in scientific form
     * ("1.874e-06") so a tiny error or p-value never reads as zero.
     */
    public static String number(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        if (value != 0 && Math.abs(value) < 1e-3) {
            return String.format(Locale.ROOT, "%.3e", value);
        }
        return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** {@code n} and the noun, made plural by an "s" unless {@code n} is one: "1 record", "0 records". */
    public static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }

    /** {@code n} and the noun, for a noun whose plural is not made by an "s": "1 analysis", "2 analyses". */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /**
     * A duration as people say it: rounded to the second, in days, hours, minutes and seconds with the zero ones left
     * out ("1 min 20 s", "1 h", "2 days 3 h"); under half a second, in milliseconds to one decimal ("3.2 ms").
     */
    public static String duration(Duration duration) {
        if (duration.isZero()) {
            return "0 s";
        }
        Duration d = duration.abs();
        String sign = duration.isNegative() ? "-" : "";
        if (d.compareTo(Duration.ofMillis(500)) < 0) {
            BigDecimal millis = BigDecimal.valueOf(d.toNanos()).movePointLeft(6).setScale(1, RoundingMode.HALF_UP)
                    .stripTrailingZeros();
            return sign + millis.toPlainString() + " ms";
        }
        long seconds = d.plusMillis(500).getSeconds();
        StringBuilder text = new StringBuilder(sign);
        append(text, seconds / 86_400, count(seconds / 86_400, "day"));
        append(text, seconds / 3_600 % 24, seconds / 3_600 % 24 + " h");
        append(text, seconds / 60 % 60, seconds / 60 % 60 + " min");
        append(text, seconds % 60, seconds % 60 + " s");
        return text.toString();
    }

    private static void append(StringBuilder text, long amount, String words) {
        if (amount > 0) {
            text.append(text.isEmpty() || text.charAt(text.length() - 1) == '-' ? "" : " ").append(words);
        }
    }
}

package health.vigil.host;

import health.vigil.error.ValidationException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A TimerTrigger schedule in NCRONTAB form, the six-field cron dialect of Azure Functions:
 * {@code second minute hour day month day-of-week}, each field a list of {@code *}, values, ranges and
 * {@code /step}s, with month (JAN-DEC) and day names (SUN-SAT). Written here because no Java library reads
 * this dialect: unlike classic cron, a restricted day of month and day of week must BOTH match (NCrontab's
 * rule), and there is a seconds field.
 */
final class NCrontabSchedule {
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");
    /** A schedule that matches nothing in this span (e.g. 30 February) never fires. */
    private static final int SEARCH_YEARS = 8;

    private final String expression;
    private final BitSet seconds;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet daysOfWeek;

    private NCrontabSchedule(String expression, BitSet[] fields) {
        this.expression = expression;
        this.seconds = fields[0];
        this.minutes = fields[1];
        this.hours = fields[2];
        this.days = fields[3];
        this.months = fields[4];
        this.daysOfWeek = fields[5];
    }

    static NCrontabSchedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new ValidationException("the timer schedule is empty; write six NCRONTAB fields, e.g. \"0 */5 * * * *\"");
        }
        String[] parts = expression.trim().split("\\s+");
        if (parts.length != 6) {
            throw new ValidationException("the timer schedule \"" + expression + "\" has " + parts.length
                    + " fields; NCRONTAB needs six: second minute hour day month day-of-week");
        }
        BitSet[] fields = {
            field(expression, "second", parts[0], 0, 59, null),
            field(expression, "minute", parts[1], 0, 59, null),
            field(expression, "hour", parts[2], 0, 23, null),
            field(expression, "day", parts[3], 1, 31, null),
            field(expression, "month", parts[4], 1, 12, MONTHS),
            field(expression, "day-of-week", parts[5], 0, 6, DAYS),
        };
        return new NCrontabSchedule(expression.trim(), fields);
    }

    private static BitSet field(String expression, String name, String text, int min, int max, List<String> names) {
        BitSet bits = new BitSet(max + 1);
        for (String item : text.split(",", -1)) {
            if (item.isEmpty()) {
                throw invalid(expression, name, "has an empty list item");
            }
            int step = 1;
            String range = item;
            int slash = item.indexOf('/');
            if (slash >= 0) {
                range = item.substring(0, slash);
                step = number(expression, name, item.substring(slash + 1), 1, max - min + 1, null);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = max;
            } else {
                int dash = range.indexOf('-');
                if (dash > 0) {
                    from = number(expression, name, range.substring(0, dash), min, max, names);
                    to = number(expression, name, range.substring(dash + 1), min, max, names);
                    if (to < from) {
                        throw invalid(expression, name, "has the range " + range + ", which runs backwards");
                    }
                } else {
                    from = number(expression, name, range, min, max, names);
                    // "a/n" means from a to the end of the field in steps of n, as in NCrontab.
                    to = slash >= 0 ? max : from;
                }
            }
            for (int v = from; v <= to; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String expression, String field, String text, int min, int max, List<String> names) {
        if (names != null) {
            int index = names.indexOf(text.toUpperCase(Locale.ROOT));
            if (index >= 0) {
                return index + min;
            }
        }
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw invalid(expression, field, "has \"" + text + "\", which is not a number"
                    + (names == null ? "" : " or a name (" + names.get(0) + "-" + names.get(names.size() - 1) + ")"));
        }
        if (value < min || value > max) {
            throw invalid(expression, field, "has " + value + "; allowed range is " + min + "-" + max);
        }
        return value;
    }

    private static ValidationException invalid(String expression, String field, String problem) {
        return new ValidationException("the timer schedule \"" + expression + "\" is not valid NCRONTAB: its " + field
                + " field " + problem);
    }

    /** The first time strictly after {@code after} that the schedule fires, in the given zone; empty if it never does. */
    Optional<Instant> next(Instant after, ZoneId zone) {
        LocalDateTime t = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        LocalDateTime limit = t.plusYears(SEARCH_YEARS);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
            } else if (!days.get(t.getDayOfMonth()) || !daysOfWeek.get(t.getDayOfWeek().getValue() % 7)) {
                t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
            } else if (!hours.get(t.getHour())) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
            } else if (!minutes.get(t.getMinute())) {
                t = t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
            } else if (!seconds.get(t.getSecond())) {
                t = t.plusSeconds(1);
            } else {
                ZonedDateTime zoned = t.atZone(zone);
                Instant candidate = zoned.toInstant();
                // A local time skipped by a daylight-saving jump is moved forward by the zone; never go back.
                if (candidate.isAfter(after)) {
                    return Optional.of(candidate);
                }
                t = t.plusSeconds(1);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return expression;
    }
}

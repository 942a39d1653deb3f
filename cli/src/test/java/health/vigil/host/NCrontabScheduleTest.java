package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Next fire times worked out by hand from the calendar (weekdays checked with date(1)). */
class NCrontabScheduleTest {

    @ParameterizedTest(name = "\"{0}\" after {1} fires at {2}")
    @CsvSource(delimiter = '|', value = {
        // every five minutes, on the minute
        "0 */5 * * * *         | 2026-03-01T10:02:30Z | 2026-03-01T10:05:00Z",
        // strictly after: a fire time is not its own next
        "0 */5 * * * *         | 2026-03-01T10:05:00Z | 2026-03-01T10:10:00Z",
        // seconds step rolls over into the next minute
        "*/15 * * * * *        | 2026-03-01T10:00:59Z | 2026-03-01T10:01:00Z",
        // 'a/n' runs from a to the end of the field: seconds 5, 25, 45
        "5/20 * * * * *        | 2026-03-01T10:00:46Z | 2026-03-01T10:01:05Z",
        // hour range with a step: 9, 13, 17
        "0 0 9-17/4 * * *      | 2026-03-01T14:00:00Z | 2026-03-01T17:00:00Z",
        "0 0 9-17/4 * * *      | 2026-03-01T17:00:00Z | 2026-03-02T09:00:00Z",
        // weekdays by name: Friday 6 March 2026 after 09:30 -> Monday 9 March
        "30 15 9 * * MON-FRI   | 2026-03-06T10:00:00Z | 2026-03-09T09:15:30Z",
        // Sunday 1 March 2026 is not a weekday either
        "30 15 9 * * mon-fri   | 2026-02-28T12:00:00Z | 2026-03-02T09:15:30Z",
        // day of month AND day of week (NCrontab): the first Friday the 13th of 2026 is 13 February
        "0 0 12 13 * FRI       | 2026-01-01T00:00:00Z | 2026-02-13T12:00:00Z",
        "0 0 12 13 * 5         | 2026-02-13T12:00:00Z | 2026-03-13T12:00:00Z",
        // 29 February: the next one is in 2028
        "0 0 0 29 2 *          | 2026-03-01T00:00:00Z | 2028-02-29T00:00:00Z",
        // month names and lists
        "0 0 0 1 jan,jul *     | 2026-02-01T00:00:00Z | 2026-07-01T00:00:00Z",
        // year rollover
        "0 30 23 31 DEC *      | 2026-12-31T23:30:00Z | 2027-12-31T23:30:00Z",
        // sub-second part of 'after' is dropped, not rounded up past a fire time
        "* * * * * *           | 2026-03-01T10:00:00.900Z | 2026-03-01T10:00:01Z",
        // lists mixing values and ranges
        "0 0,30 8,12-13 * * *  | 2026-03-01T12:45:00Z | 2026-03-01T13:00:00Z",
    })
    void nextFireTime(String expression, String after, String expected) {
        NCrontabSchedule schedule = NCrontabSchedule.parse(expression.trim());

        assertThat(schedule.next(Instant.parse(after.trim()), ZoneOffset.UTC)).contains(Instant.parse(expected.trim()));
    }

    @Test
    void aScheduleThatMatchesNoDateNeverFires() {
        assertThat(NCrontabSchedule.parse("0 0 0 31 2 *").next(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC)).isEmpty();
    }

    @Test
    void consecutiveFiresOfAnEverySecondScheduleAreOneSecondApart() {
        NCrontabSchedule schedule = NCrontabSchedule.parse("* * * * * *");
        Instant t = Instant.parse("2026-03-01T23:59:58Z");
        t = schedule.next(t, ZoneOffset.UTC).orElseThrow();
        assertThat(t).isEqualTo(Instant.parse("2026-03-01T23:59:59Z"));
        t = schedule.next(t, ZoneOffset.UTC).orElseThrow();
        assertThat(t).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
    }

    @ParameterizedTest(name = "\"{0}\" is refused: {1}")
    @CsvSource(delimiter = '|', value = {
        "0 */5 * * *        | has 5 fields",
        "61 * * * * *       | second field has 61; allowed range is 0-59",
        "0 0 0 * * 7        | day-of-week field has 7; allowed range is 0-6",
        "0 0 0 0 * *        | day field has 0; allowed range is 1-31",
        "0 0 0 * FOO *      | month field has \"FOO\", which is not a number or a name (JAN-DEC)",
        "0 0 17-9 * * *     | hour field has the range 17-9, which runs backwards",
        "0 0 0 * * MON,     | day-of-week field has an empty list item",
        "*/0 * * * * *      | second field has 0; allowed range is 1-60",
    })
    void invalidExpressionsAreRefusedWithTheFieldAndTheRule(String expression, String message) {
        assertThatThrownBy(() -> NCrontabSchedule.parse(expression.trim()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(message.trim());
    }
}

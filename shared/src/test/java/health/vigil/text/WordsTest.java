package health.vigil.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordsTest {

    @Test
    void oneIsSingularAndEveryOtherCountPlural() {
        assertThat(Words.count(1, "day")).isEqualTo("1 day");
        assertThat(Words.count(0, "day")).isEqualTo("0 days");
        assertThat(Words.count(2, "day")).isEqualTo("2 days");
        assertThat(Words.count(-1, "day")).isEqualTo("-1 days");
        assertThat(Words.count(1, "analysis", "analyses")).isEqualTo("1 analysis");
        assertThat(Words.count(3, "analysis", "analyses")).isEqualTo("3 analyses");
    }

    @Test
    void aMeasuredValueIsWholeWhenWholeFourSignificantDigitsOtherwiseAndScientificWhenTiny() {
        // A presence check's 1 and a count's 2 are not "1.0000" and "2.0000"; a p-value is not "0.0000".
        Map<Double, String> shown = Map.of(1.0, "1", 2.0, "2", 5000.0, "5000", 0.0, "0", 0.672834, "0.6728", 0.61,
                "0.61", 0.0225, "0.0225", -0.0108512, "-0.01085", 1.6601e-6, "1.660e-06", Double.NaN, "NaN");
        shown.forEach((value, text) -> assertThat(Words.number(value)).as("%s", value).isEqualTo(text));
    }

    @Test
    void aDurationReadsInItsLargestUnitsAndOmitsTheZeroOnes() {
        assertThat(Words.duration(Duration.ofSeconds(80))).isEqualTo("1 min 20 s");
        assertThat(Words.duration(Duration.ofMinutes(10))).isEqualTo("10 min");
        assertThat(Words.duration(Duration.ofHours(1))).isEqualTo("1 h");
        assertThat(Words.duration(Duration.ofSeconds(3_723))).isEqualTo("1 h 2 min 3 s");
        assertThat(Words.duration(Duration.ofDays(1).plusHours(2))).isEqualTo("1 day 2 h");
        assertThat(Words.duration(Duration.ofDays(7))).isEqualTo("7 days");
        assertThat(Words.duration(Duration.ZERO)).isEqualTo("0 s");
    }

    @Test
    void aDurationIsRoundedToTheSecondAndUnderASecondShownInMilliseconds() {
        assertThat(Words.duration(Duration.ofSeconds(1, 999_999_999))).isEqualTo("2 s");
        assertThat(Words.duration(Duration.ofSeconds(600, 1))).isEqualTo("10 min");
        assertThat(Words.duration(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(Words.duration(Duration.ofNanos(3_200_000))).isEqualTo("3.2 ms");
    }

    @Test
    void aMomentReadsToTheSecondInUtcAndTextThatIsNoneIsKept() {
        assertThat(Words.time(java.time.Instant.parse("2026-12-05T21:36:37.011830600Z"))).isEqualTo("2026-12-05 21:36:37 UTC");
        assertThat(Words.time("2024-05-01T10:15:30Z")).isEqualTo("2024-05-01 10:15:30 UTC");
        assertThat(Words.time("yesterday")).isEqualTo("yesterday");
    }
}

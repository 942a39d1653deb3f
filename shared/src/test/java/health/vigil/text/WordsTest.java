package health.vigil.text;

import static org.assertj.core.api.Assertions.assertThat;

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
}

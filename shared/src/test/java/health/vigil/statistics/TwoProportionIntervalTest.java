package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The experiment report's interval of a difference of proportions: Newcombe's hybrid score interval. */
class TwoProportionIntervalTest {

    @Test
    void matchesNewcombesPublishedExamples() {
        // Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10: 56/70 - 48/80 and 9/10 - 3/10.
        double[] a = TwoProportionTest.differenceInterval95(56, 70, 48, 80);
        assertThat(a[0]).isCloseTo(0.0524, within(5e-5));
        assertThat(a[1]).isCloseTo(0.3339, within(5e-5));
        double[] b = TwoProportionTest.differenceInterval95(9, 10, 3, 10);
        assertThat(b[0]).isCloseTo(0.1705, within(5e-5));
        assertThat(b[1]).isCloseTo(0.8090, within(5e-5));
    }

    @Test
    void workedByHandFromTheTwoWilsonIntervals() {
        // 30 of 200: Wilson (0.1071359, 0.2060558); 20 of 200: (0.0656704, 0.1494058). Difference 0.05; lower
        // 0.05 - sqrt((0.15 - 0.1071359)^2 + (0.1494058 - 0.10)^2) = -0.0154084, upper
        // 0.05 + sqrt((0.2060558 - 0.15)^2 + (0.10 - 0.0656704)^2) = 0.1157326.
        double[] ci = TwoProportionTest.differenceInterval95(30, 200, 20, 200);
        assertThat(ci[0]).isCloseTo(-0.0154084, within(1e-7));
        assertThat(ci[1]).isCloseTo(0.1157326, within(1e-7));
    }

    @Test
    void noEventInEitherGroupStillHasAnIntervalAndEveryIntervalStaysWithinMinusOneAndOne() {
        // The Wald interval was 0 to 0 here: certainty from 90 patients without an event.
        double[] none = TwoProportionTest.differenceInterval95(0, 40, 0, 50);
        assertThat(none[0]).isCloseTo(-0.0713476, within(1e-7));
        assertThat(none[1]).isCloseTo(0.0876216, within(1e-7));
        double[] extreme = TwoProportionTest.differenceInterval95(40, 40, 0, 50);
        assertThat(extreme[1]).isEqualTo(1.0);
        assertThat(extreme[0]).isCloseTo(0.8870043, within(1e-7));
    }
}

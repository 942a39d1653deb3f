package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DaysCoveredTest {

    @Test
    void earlyRefillIsShiftedNotDoubleCounted() {
        // Day 0: 30 days (covers 0-29); day 20: 30 more, shifted to 30-59; window of 90 days -> 60/90.
        DaysCovered covered = DaysCovered.of(new int[] {0, 20}, new int[] {30, 30});
        assertThat(covered.coveredDays(0, 90)).isEqualTo(60);
        assertThat(covered.proportion(0, 90)).isEqualTo(60.0 / 90.0);
        assertThat(covered.supplyEndsOn()).isEqualTo(60);
        assertThat(covered.longestGap(0, 90)).isEqualTo(30);
    }

    @Test
    void gapsBetweenFillsAndSupplyBeforeTheWindowAreCountedPerDay() {
        // Fill at -10 for 30 days covers -10..19; next at 40 for 30 covers 40..69. Window [0, 60).
        DaysCovered covered = DaysCovered.of(new int[] {40, -10}, new int[] {30, 30});
        assertThat(covered.coveredDays(0, 60)).isEqualTo(20 + 20);
        assertThat(covered.longestGap(0, 60)).isEqualTo(20);
        assertThat(covered.fills()).isEqualTo(2);
    }

    @Test
    void agreesWithADayByDayStockpileSimulation() {
        Random random = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int n = 1 + random.nextInt(8);
            int[] day = new int[n];
            int[] supply = new int[n];
            for (int i = 0; i < n; i++) {
                day[i] = -200 + random.nextInt(300);
                supply[i] = 1 + random.nextInt(90);
            }
            int start = -180 + random.nextInt(60);
            int end = start + 1 + random.nextInt(200);
            int expectedCovered = 0;
            int expectedGap = 0;
            int run = 0;
            long stock = 0;
            for (int d = -400; d < end; d++) {
                for (int i = 0; i < n; i++) {
                    if (day[i] == d) {
                        stock += supply[i];
                    }
                }
                boolean covered = stock > 0;
                if (covered) {
                    stock--;
                }
                if (d >= start) {
                    if (covered) {
                        expectedCovered++;
                        run = 0;
                    } else {
                        run++;
                        expectedGap = Math.max(expectedGap, run);
                    }
                }
            }
            DaysCovered covered = DaysCovered.of(day, supply);
            assertThat(covered.coveredDays(start, end)).as("trial %d", trial).isEqualTo(expectedCovered);
            assertThat(covered.longestGap(start, end)).as("trial %d", trial).isEqualTo(expectedGap);
        }
    }

    @Test
    void rejectsAFillWithoutSupplyAndAnEmptyWindow() {
        assertThatThrownBy(() -> DaysCovered.of(new int[] {0}, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DaysCovered.of(new int[] {0}, new int[] {30}).proportion(5, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import health.vigil.monitoring.MonitoringPolicy;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A canary reason's counts of predictions with an outcome follow the monitoring report's small-cell rule, and a ramp
 * stored before the rule, whose reasons still give a few patients' outcomes, reads as one written now.
 */
class CanaryOutcomeCountsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");
    private static final String OLD = "step 1 (1 %) passed: no metric differed beyond its margin; not tested yet, each"
            + " side needs 50 over the ramp: calibration_error and auroc (3 canary, 40 stable predictions with an"
            + " outcome, each side needing two of each outcome in a step)";

    @Test
    void aCountOfOneToOneLessThanTheCellSizeIsFewerThanItAndZeroStaysZero() {
        assertThat(CanaryOutcomeCounts.words(3, 40, 11)).isEqualTo("fewer than 11 canary, 40 stable predictions with"
                + " an outcome");
        assertThat(CanaryOutcomeCounts.words(0, 10, 11)).isEqualTo("0 canary, fewer than 11 stable predictions with"
                + " an outcome");
        assertThat(CanaryOutcomeCounts.words(11, 1, 0)).isEqualTo("11 canary, 1 stable predictions with an outcome");
        assertThat(CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE).isEqualTo(MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
    }

    @Test
    void aRampStoredBeforeTheRuleReadsItsReasonsWithAFewOutcomesWithheld() {
        StepAnalysis step = new StepAnalysis(0, 100, T0, T0.plusSeconds(600), 120, 11_880, StepAnalysis.PASS, OLD,
                List.of());
        // As ramps were kept before the rule: without minCellSize, and with the count in its reasons.
        CanaryRamp stored = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 1, T0.plusSeconds(600), T0.plusSeconds(1200), 0, "ops", T0, "stepped",
                OLD + "; moving to 5 %", List.of(step));

        CanaryRamp read = Json.read("ramp", Json.write(stored), CanaryRamp.class);

        for (CanaryRamp ramp : List.of(stored, read)) {
            assertThat(ramp.reason()).contains("(fewer than 11 canary, 40 stable predictions with an outcome")
                    .doesNotContain("(3 canary").endsWith("; moving to 5 %");
            assertThat(ramp.analyses()).singleElement().satisfies(a -> assertThat(a.reason())
                    .contains("(fewer than 11 canary, 40 stable").doesNotContain("(3 canary"));
        }
    }

    @Test
    void aRampKeepsTheCellSizeItStartedWith() {
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 1, T0, T0.plusSeconds(600), 0, "ops", T0, "stepped", OLD, List.of(), null, 5);

        CanaryRamp read = Json.read("ramp", Json.write(ramp), CanaryRamp.class);

        assertThat(read.minCellSize()).isEqualTo(5);
        assertThat(read.reason()).contains("(fewer than 5 canary, 40 stable predictions with an outcome");
        assertThat(read.with(CanaryStatus.RUNNING, 1, T0, T0, 1, "extended", OLD, null).reason())
                .contains("(fewer than 5 canary");
    }

    @Test
    void aRampWhoseReasonsHaveNothingToWithholdKeepsThemAsTheyAreWhenRead() {
        String shown = "step 1 (1 %) passed; not tested yet: calibration_error and auroc (12 canary, 40 stable"
                + " predictions with an outcome, each side needing two of each outcome in a step)";
        StepAnalysis plain = new StepAnalysis(0, 100, T0, T0.plusSeconds(600), 120, 11_880, StepAnalysis.PASS,
                "step 1 (1 %) passed: no metric differed beyond its margin", List.of());
        StepAnalysis counted = new StepAnalysis(0, 100, T0, T0.plusSeconds(600), 120, 11_880, StepAnalysis.EXTEND,
                shown, List.of());

        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 1, T0, T0.plusSeconds(600), 0, "ops", T0, "stepped", shown,
                List.of(plain, counted), null, 11);

        // Every read of the deployment builds its ramp: an analysis with nothing to reword is not copied.
        assertThat(ramp.reason()).isSameAs(shown);
        assertThat(ramp.analyses()).hasSize(2);
        assertThat(ramp.analyses().get(0)).isSameAs(plain);
        assertThat(ramp.analyses().get(1)).isSameAs(counted);
    }
}

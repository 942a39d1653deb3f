package health.vigil.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.StepAnalysis;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The looks within a step and the spending of the false-rollback budget over them: what each look spends, that a step
 * may fail before its minimum sample but pass only at it, the simulated false-rollback rate of whole ramps under the
 * null, and the power of an early look against a known effect.
 */
class CanarySequentialTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private static CanaryRamp ramp(CanaryPolicy policy) {
        return new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, policy, CanaryStatus.RUNNING, 0, T0,
                T0.plusSeconds(600), 0, "test", T0, "started", "", List.of());
    }

    /** A policy at the boundary of every null: no margin, and the PSI guard out of the way. */
    private static CanaryPolicy boundary(double falseRollbackRate) {
        return new CanaryPolicy(falseRollbackRate, 200, 0, 0, 1e-9, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    }

    /** One step's window, filled a request at a time: canary and stable alike unless told otherwise. */
    private static final class Window {
        final WindowSample canary = new WindowSample(50_000, 1);
        final WindowSample stable = new WindowSample(50_000, 2);
        final LabelledSample canaryLabelled = new LabelledSample(50_000, 3);
        final LabelledSample stableLabelled = new LabelledSample(50_000, 4);
        final long[] canaryRequests = new long[2];
        final long[] stableRequests = new long[2];
        final SplittableRandom random;
        final double canaryMissing;

        Window(long seed, double canaryMissing) {
            this.random = new SplittableRandom(seed);
            this.canaryMissing = canaryMissing;
        }

        void add(boolean toCanary) {
            boolean failed = random.nextDouble() < 0.002;
            long[] requests = toCanary ? canaryRequests : stableRequests;
            if (failed) {
                requests[1]++;
                return;
            }
            requests[0]++;
            double risk = Math.pow((random.nextDouble() + random.nextDouble()) / 2, 1.3);
            boolean missing = random.nextDouble() < (toCanary ? canaryMissing : 0.01);
            (toCanary ? canary : stable).add(risk, risk >= 0.5, missing);
            (toCanary ? canaryLabelled : stableLabelled).add(risk, random.nextDouble() < risk);
        }

        StepAnalysis judge(CanaryRamp ramp) {
            return CanaryAnalysis.judge(ramp, canary, stable,
                    new RequestSample(canaryRequests[0], 0, canaryRequests[1], LatencyHistogram.empty()),
                    new RequestSample(stableRequests[0], 0, stableRequests[1], LatencyHistogram.empty()),
                    canaryLabelled, stableLabelled, T0, T0.plusSeconds(60));
        }
    }

    @Test
    void aStepLooksAtAQuarterAndHalfOfItsMinimumAndSpendsEachMetricsShareExactlyOnce() {
        assertThat(CanaryAnalysis.looks(200)).containsExactly(50, 100, 200);
        assertThat(CanaryAnalysis.looks(60)).containsExactly(50, 50, 60);
        assertThat(CanaryAnalysis.looks(20)).containsExactly(20, 20, 20);
        assertThat(CanaryAnalysis.SHARES.values().stream().mapToDouble(Double::doubleValue).sum())
                .isCloseTo(1.0, within(1e-12));

        // A healthy canary looked at every 7 canary rows (the controller's ticks) until the step passes.
        CanaryRamp ramp = ramp(CanaryPolicy.DEFAULT);
        Window window = new Window(7, 0.01);
        int looksThatTested = 0;
        StepAnalysis analysis;
        do {
            for (int i = 0; i < 7; i++) {
                window.add(true);
                for (int j = 0; j < 99; j++) {
                    window.add(false);
                }
            }
            analysis = window.judge(ramp);
            looksThatTested += analysis.metrics().isEmpty() ? 0 : 1;
            ramp = CanaryAnalysis.advance(ramp, analysis, T0);
        } while (ramp.step() == 0 && ramp.status() == CanaryStatus.RUNNING);

        assertThat(analysis.decision()).isEqualTo(StepAnalysis.PASS);
        assertThat(looksThatTested).isEqualTo(3);
        double budget = 0.01 / 4;
        for (String metric : List.of("score_distribution", "flag_rate", "missing_input_rate", "server_error_rate",
                "refused_rate", "calibration_error", "auroc")) {
            List<Double> levels = ramp.analyses().stream().filter(a -> a.step() == 0)
                    .flatMap(a -> a.metrics().stream()).filter(m -> m.name().equals(metric))
                    .map(CanaryMetric::level).toList();
            double share = budget * CanaryAnalysis.SHARES.get(metric);
            assertThat(levels).as(metric).hasSize(3);
            assertThat(levels.get(0)).isCloseTo(share / 4, within(1e-15));
            assertThat(levels.get(1)).isCloseTo(share / 4, within(1e-15));
            assertThat(levels.get(2)).isCloseTo(share / 2, within(1e-15));
        }
        // No latency was recorded: latency_p99 spent nothing.
        assertThat(ramp.analyses().stream().flatMap(a -> a.metrics().stream()))
                .noneMatch(m -> m.name().equals("latency_p99"));
    }

    @Test
    void aBadCanaryFailsAtItsFirstLookAndAHealthyOneIsExtendedUntilItsMinimum() {
        Window bad = new Window(11, 0.6);
        Window healthy = new Window(11, 0.01);
        for (int i = 0; i < 50; i++) {
            bad.add(true);
            healthy.add(true);
            for (int j = 0; j < 99; j++) {
                bad.add(false);
                healthy.add(false);
            }
        }

        StepAnalysis failed = bad.judge(ramp(CanaryPolicy.DEFAULT));
        StepAnalysis extended = healthy.judge(ramp(CanaryPolicy.DEFAULT));

        assertThat(failed.decision()).isEqualTo(StepAnalysis.FAIL);
        assertThat(failed.canaryCount()).isLessThan(200);
        assertThat(failed.reason()).contains("missing_input_rate");
        assertThat(extended.decision()).isEqualTo(StepAnalysis.EXTEND);
        assertThat(extended.metrics()).isNotEmpty();
        assertThat(extended.reason()).contains("interim look").contains("needs 200 to pass");
    }

    @Test
    void wholeRampsOfHealthyCanariesAtTheBoundaryOfEveryNullAreRolledBackAtMostAtTheConfiguredRate() {
        // A generous rate so that a simulation can measure it: 0.2 over the ramp, margins 0, canary = stable.
        int ramps = 300;
        int rolledBack = 0;
        for (int r = 0; r < ramps; r++) {
            CanaryRamp ramp = ramp(boundary(0.2));
            SplittableRandom router = new SplittableRandom(1_000 + r);
            Window window = new Window(5_000 + r, 0.01);
            while (ramp.status() == CanaryStatus.RUNNING) {
                int step = ramp.step();
                for (int i = 0; i < 300; i++) {
                    window.add(router.nextInt(10_000) < ramp.weightBasisPoints());
                }
                ramp = CanaryAnalysis.advance(ramp, window.judge(ramp), T0);
                if (ramp.step() != step) {
                    window = new Window(9_000 + 31L * r + step, 0.01);
                }
            }
            rolledBack += ramp.status() == CanaryStatus.ROLLED_BACK ? 1 : 0;
        }
        // Union bound: at most 0.2; binomial sd at 0.2 over 300 ramps is 0.023.
        assertThat((double) rolledBack / ramps).isLessThanOrEqualTo(0.2 + 3 * 0.023);
        assertThat(rolledBack).isPositive();
    }

    @Test
    void theFirstLookOfTheFirstStepSeesATenfoldMissingInputRateInAQuarterOfTheRamps() {
        // 10 % of canary rows missing an input against stable's 1 %, default policy: power at the look with 100 rows.
        int trials = 200;
        int detected = 0;
        for (int t = 0; t < trials; t++) {
            Window window = new Window(20_000 + t, 0.10);
            for (int i = 0; i < 100; i++) {
                window.add(true);
                for (int j = 0; j < 99; j++) {
                    window.add(false);
                }
            }
            detected += StepAnalysis.FAIL.equals(window.judge(ramp(CanaryPolicy.DEFAULT)).decision()) ? 1 : 0;
        }
        assertThat((double) detected / trials).isBetween(0.15, 0.6);
    }

    @Test
    void aFullListOfAnalysesDropsExtensionsThatTestedNothingBeforeTheLooksTheStepHasSpentOn() {
        CanaryRamp ramp = ramp(CanaryPolicy.DEFAULT);
        CanaryMetric tested = new CanaryMetric("server_error_rate", 0, 0, 0, 1, 1e-4, false, "test");
        for (int i = 0; i < 2; i++) {
            ramp = CanaryAnalysis.advance(ramp, new StepAnalysis(0, 100, T0, T0, 60, 6_000, StepAnalysis.EXTEND,
                    "interim look", List.of(tested)), T0);
        }
        for (int i = 0; i < 100; i++) {
            ramp = CanaryAnalysis.advance(ramp, new StepAnalysis(0, 100, T0, T0, 10, 1_000, StepAnalysis.EXTEND,
                    "too little evidence", List.of()), T0);
        }

        assertThat(ramp.analyses()).hasSize(64);
        assertThat(CanaryAnalysis.spent(ramp, "server_error_rate")).isCloseTo(2e-4, within(1e-18));
    }
}

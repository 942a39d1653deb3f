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
 * The looks over a ramp and the spending of the false-rollback budget over them: the schedule, what each look spends,
 * that a step may fail before its minimum sample but pass only at it, that later looks use the evidence of the steps
 * passed, and the simulated false-rollback rate of whole ramps under the null.
 */
class CanarySequentialTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private static CanaryRamp ramp(CanaryPolicy policy) {
        return new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, policy, CanaryStatus.RUNNING, 0, T0,
                T0.plusSeconds(600), 0, "test", T0, "started", "", List.of());
    }

    /** A policy at the boundary of every null: no margin, and the PSI guard out of the way. */
    private static CanaryPolicy boundary(double falseRollbackRate) {
        return new CanaryPolicy(falseRollbackRate, 200, 0, 0, 1e-9, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0);
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
            return judge(ramp, List.of());
        }

        StepAnalysis judge(CanaryRamp ramp, List<StepEvidence> earlier) {
            return CanaryAnalysis.judge(ramp, earlier, evidence(), T0, T0.plusSeconds(60));
        }

        StepEvidence evidence() {
            return new StepEvidence(canary, stable,
                    new RequestSample(canaryRequests[0], 0, canaryRequests[1], LatencyHistogram.empty()),
                    new RequestSample(stableRequests[0], 0, stableRequests[1], LatencyHistogram.empty()),
                    canaryLabelled, stableLabelled);
        }
    }

    @Test
    void theLooksFollowTheScheduleAndEachSpendsAFixedPartOfWhatItsMetricHasLeft() {
        assertThat(java.util.stream.IntStream.rangeClosed(1, 10).mapToLong(i -> CanaryAnalysis.lookSize(200, i)).toArray())
                .containsExactly(50L, 100L, 150L, 200L, 300L, 400L, 600L, 800L, 1200L, 1600L);
        assertThat(java.util.stream.IntStream.rangeClosed(1, 4).mapToLong(i -> CanaryAnalysis.lookSize(60, i)).toArray())
                .containsExactly(50L, 60L, 90L, 120L);
        assertThat(java.util.stream.IntStream.rangeClosed(1, 3).mapToLong(i -> CanaryAnalysis.lookSize(20, i)).toArray())
                .containsExactly(50L, 60L, 80L);
        assertThat(CanaryAnalysis.lookReached(49, 200)).isZero();
        assertThat(CanaryAnalysis.lookReached(399, 200)).isEqualTo(5);
        assertThat(CanaryAnalysis.spentBy(1)).isCloseTo(0.3, within(1e-15));
        assertThat(CanaryAnalysis.spentBy(4)).isCloseTo(1 - 0.7 * 0.7 * 0.7 * 0.7, within(1e-15));
        assertThat(CanaryAnalysis.spentBy(200)).isLessThanOrEqualTo(1.0);
        assertThat(CanaryAnalysis.SHARES.values().stream().mapToDouble(Double::doubleValue).sum())
                .isCloseTo(1.0, within(1e-12));

        // A healthy canary looked at every 7 canary rows (the controller's ticks) until the first step passes.
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
        assertThat(looksThatTested).isEqualTo(4);
        for (String metric : List.of("score_distribution", "mean_score", "flag_rate", "missing_input_rate",
                "server_error_rate", "refused_rate", "calibration_error", "auroc")) {
            List<Double> levels = ramp.analyses().stream().flatMap(a -> a.metrics().stream())
                    .filter(m -> m.name().equals(metric)).map(CanaryMetric::level).toList();
            double share = 0.01 * CanaryAnalysis.SHARES.get(metric);
            assertThat(levels).as(metric).hasSize(4);
            for (int look = 1; look <= 4; look++) {
                assertThat(levels.get(look - 1)).as(metric + " at look " + look)
                        .isCloseTo(share * 0.3 * Math.pow(0.7, look - 1), within(1e-15));
            }
            assertThat(CanaryAnalysis.spent(ramp, metric)).isCloseTo(share * CanaryAnalysis.spentBy(4),
                    within(1e-15));
        }
        // No latency was recorded: latency_p99 spent nothing.
        assertThat(ramp.analyses().stream().flatMap(a -> a.metrics().stream()))
                .noneMatch(m -> m.name().equals("latency_p99"));
    }

    @Test
    void aLookAfterTheFirstStepUsesItsEvidenceSoAnExcessTooSmallToSeeInEitherStepIsSeenInBoth() {
        // Each step: 200 canary rows of which 7 failed with a server error (3.5 %), stable's rate 0.2 %.
        CanaryPolicy policy = CanaryPolicy.DEFAULT;
        StepEvidence first = failures(7, 200, 40, 20_000);
        StepEvidence second = failures(7, 200, 8, 3_800);
        CanaryRamp atFirst = ramp(policy);
        StepAnalysis firstLook = CanaryAnalysis.judge(atFirst, List.of(), first, T0, T0);
        assertThat(firstLook.decision()).isEqualTo(StepAnalysis.PASS);

        CanaryRamp atSecond = CanaryAnalysis.advance(atFirst, firstLook, T0);
        StepAnalysis alone = CanaryAnalysis.judge(ramp(policy), List.of(), second, T0, T0);
        StepAnalysis together = CanaryAnalysis.judge(atSecond, List.of(first), second, T0, T0);

        assertThat(alone.decision()).isEqualTo(StepAnalysis.PASS);
        assertThat(together.decision()).isEqualTo(StepAnalysis.FAIL);
        assertThat(together.reason()).contains("server_error_rate").contains("with the 1 earlier step");
        CanaryMetric errors = together.metrics().stream().filter(m -> m.name().equals("server_error_rate"))
                .findFirst().orElseThrow();
        assertThat(errors.canary()).isCloseTo(0.035, within(1e-12));
        // The sixth look (400 rows over the ramp) spends its part of what the first four left.
        assertThat(errors.level()).isCloseTo(0.01 * 0.2 * (CanaryAnalysis.spentBy(6) - CanaryAnalysis.spentBy(4)),
                within(1e-15));
    }

    @Test
    void stepsOfMoreRowsThanAnIntHoldsAreJudgedByTheExactTest() {
        // Three billion canary rows in a step, stable five times as many: the exact test, past 2^31 - 1 rows.
        long canaryRows = 3_000_000_000L;
        long stableRows = 15_000_000_000L;
        StepEvidence bad = failures(canaryRows / 20, canaryRows, stableRows / 500, stableRows);
        StepEvidence healthy = failures(canaryRows / 500, canaryRows, stableRows / 500, stableRows);
        CanaryRamp first = ramp(CanaryPolicy.DEFAULT);

        StepAnalysis failed = CanaryAnalysis.judge(first, List.of(), bad, T0, T0);
        StepAnalysis passed = CanaryAnalysis.judge(first, List.of(), healthy, T0, T0);
        // The second step, judged on both steps' evidence.
        StepAnalysis failedLater = CanaryAnalysis.judge(CanaryAnalysis.advance(first, passed, T0), List.of(healthy),
                bad, T0, T0);
        StepAnalysis passedLater = CanaryAnalysis.judge(CanaryAnalysis.advance(first, passed, T0), List.of(healthy),
                healthy, T0, T0);

        for (StepAnalysis a : List.of(failed, failedLater)) {
            assertThat(a.decision()).isEqualTo(StepAnalysis.FAIL);
            assertThat(a.reason()).contains("server_error_rate");
        }
        for (StepAnalysis a : List.of(passed, passedLater)) {
            assertThat(a.decision()).as(a.reason()).isEqualTo(StepAnalysis.PASS);
        }
        assertThat(failedLater.metrics()).filteredOn(m -> m.name().equals("server_error_rate")).singleElement()
                .satisfies(m -> {
                    assertThat(m.test()).startsWith("exact one-sided test");
                    assertThat(m.canary()).isCloseTo((0.002 + 0.05) / 2, within(1e-12));
                });
    }

    /** A step's evidence of request counts alone: canary and stable rows, of which some failed. */
    private static StepEvidence failures(long canaryFailed, long canaryRows, long stableFailed, long stableRows) {
        WindowSample none = new WindowSample(0, 0);
        return new StepEvidence(none, new WindowSample(0, 0),
                new RequestSample(canaryRows - canaryFailed, 0, canaryFailed, LatencyHistogram.empty()),
                new RequestSample(stableRows - stableFailed, 0, stableFailed, LatencyHistogram.empty()),
                CanaryAnalysis.NO_OUTCOMES, CanaryAnalysis.NO_OUTCOMES);
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
        assertThat(extended.reason()).contains("interim look").contains("needs 200 in this step to pass");
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
            List<StepEvidence> earlier = new java.util.ArrayList<>();
            while (ramp.status() == CanaryStatus.RUNNING) {
                int step = ramp.step();
                for (int i = 0; i < 300; i++) {
                    window.add(router.nextInt(10_000) < ramp.weightBasisPoints());
                }
                ramp = CanaryAnalysis.advance(ramp, window.judge(ramp, earlier), T0);
                if (ramp.step() != step) {
                    earlier.add(window.evidence());
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
    void aLookAtOneHundredRowsSeesATenfoldMissingInputRateInAboutHalfOfTheRamps() {
        // 10 % of canary rows missing an input against stable's 1 %, default policy (margin 0.01): power of a first
        // test at the look with 100 rows, which may spend what the first two looks allow (0.015 x 0.51 = 7.7e-4).
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
        // Measured 0.61 on these seeds (binomial sd about 0.035); well below would mean lost power, well above a
        // level larger than the budget allows.
        assertThat((double) detected / trials).isBetween(0.45, 0.8);
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

        assertThat(ramp.analyses()).hasSize(96);
        assertThat(CanaryAnalysis.spent(ramp, "server_error_rate")).isCloseTo(2e-4, within(1e-18));
    }
}

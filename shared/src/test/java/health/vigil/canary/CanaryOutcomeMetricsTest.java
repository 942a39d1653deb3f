package health.vigil.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.StepAnalysis;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The outcome metrics of a canary step, checked against values computed independently (simulation, arithmetic). */
class CanaryOutcomeMetricsTest {
    private static final double LEVEL = 0.01 / 32;

    /** Patients with a true risk; the model predicts logistic(logit(risk) + shift); the outcome follows the risk. */
    private static LabelledSample cohort(int n, double shift, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        LabelledSample sample = new LabelledSample(50_000, seed);
        for (int i = 0; i < n; i++) {
            double margin = -1.2 + 1.1 * random.nextGaussian();
            double risk = 1 / (1 + Math.exp(-margin));
            double predicted = 1 / (1 + Math.exp(-(margin + shift + noise * random.nextGaussian())));
            sample.add(predicted, random.nextDouble() < risk);
        }
        return sample;
    }

    /** One step's evidence holding only the two slots' labelled predictions. */
    private static List<StepEvidence> step(LabelledSample canary, LabelledSample stable) {
        return List.of(new StepEvidence(new WindowSample(0, 0), new WindowSample(0, 0), RequestSample.NONE,
                RequestSample.NONE, canary, stable));
    }

    @Test
    void aCalibratedTwinPassesAndRisksRunningHighFailCalibration() {
        LabelledSample stable = cohort(4_000, 0, 0, 1);

        CanaryMetric twin = CanaryAnalysis.calibration(step(cohort(1_000, 0, 0, 2), stable), LEVEL, 0.03);
        CanaryMetric high = CanaryAnalysis.calibration(step(cohort(1_000, 0.8, 0, 3), stable), LEVEL, 0.03);

        assertThat(twin.failed()).isFalse();
        assertThat(twin.canary()).isCloseTo(0, within(0.03));
        assertThat(high.failed()).isTrue();
        // Mean predicted risk minus observed rate, computed by hand: risks up 0.8 log-odds raise the mean by about 0.1.
        assertThat(high.canary()).isBetween(0.07, 0.16);
        assertThat(high.stable()).isCloseTo(0, within(0.02));
    }

    @Test
    void aCanaryThatRanksWorseFailsAurocAndAShiftedButEquallyRankingOneDoesNot() {
        LabelledSample stable = cohort(4_000, 0, 0, 4);

        CanaryMetric noisy = CanaryAnalysis.auroc(step(cohort(2_000, 0, 2.0, 5), stable), LEVEL, 0.05);
        CanaryMetric shifted = CanaryAnalysis.auroc(step(cohort(2_000, 0.8, 0, 6), stable), LEVEL, 0.05);

        assertThat(noisy.failed()).isTrue();
        assertThat(noisy.canary()).isLessThan(noisy.stable() - 0.1);
        assertThat(shifted.failed()).isFalse();
        assertThat(shifted.canary()).isCloseTo(shifted.stable(), within(0.03));
    }

    /**
     * A rare outcome counted twice in a step larger than the reservoir may have none of its predictions left in the
     * sample the AUROC is computed on: DeLong's test then threw, and the step could never be judged (every controller
     * pass failed on it). The AUROC now leaves such a step out and says so; calibration, on the exact sums, still runs.
     */
    @Test
    void aStepWhoseSampleLostARareOutcomeIsJudgedWithoutItsAuroc() {
        LabelledSample rare = new LabelledSample(100, 9);
        for (int i = 0; i < 4; i++) {
            rare.add(0.0002, true);
        }
        for (int i = 0; i < 20_000; i++) {
            rare.add(0.0002, false);
        }
        assertThat(rare.positives()).isEqualTo(4);
        assertThat(rare.sampleHasTwoOfEach()).isFalse();
        assertThat(cohort(1_000, 0, 0, 10).sampleHasTwoOfEach()).isTrue();
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, t0, t0.plusSeconds(600), 0, "test", t0, "started", "", List.of());

        // Both slots answered alike, enough for every look.
        WindowSample canary = new WindowSample(50_000, 12);
        WindowSample stable = new WindowSample(50_000, 13);
        SplittableRandom random = new SplittableRandom(14);
        for (int i = 0; i < 20_004; i++) {
            canary.add(random.nextDouble() * 0.5, false, false);
            stable.add(random.nextDouble() * 0.5, false, false);
        }
        StepEvidence evidence = new StepEvidence(canary, stable, RequestSample.NONE, RequestSample.NONE, rare,
                cohort(30_000, 0, 0, 11));

        StepAnalysis analysis = CanaryAnalysis.judge(ramp, List.of(), evidence, t0, t0.plusSeconds(600));

        assertThat(analysis.metrics()).extracting(CanaryMetric::name).contains("calibration_error")
                .doesNotContain("auroc");
        assertThat(analysis.decision()).as(analysis.reason()).isEqualTo(StepAnalysis.PASS);
        assertThat(analysis.reason()).contains("auroc (the steps' samples");
    }

    /**
     * A step judged before enough outcomes arrive gives each side's predictions with an outcome in its reason; a few
     * patients' outcomes (1 to the cell size less one, 11 by default) are given as fewer than the cell size.
     */
    @Test
    void anUntestedStepGivesAFewPatientsOutcomesAsFewerThanTheCellSize() {
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, t0, t0.plusSeconds(600), 0, "test", t0, "started", "", List.of());
        WindowSample canary = new WindowSample(1_000, 12);
        WindowSample stable = new WindowSample(1_000, 13);
        // Enough predictions for the step to pass, whose reason names what is not tested yet.
        for (int i = 0; i < 200; i++) {
            canary.add(0.2, false, false);
            stable.add(0.2, false, false);
        }
        StepEvidence evidence = new StepEvidence(canary, stable, RequestSample.NONE, RequestSample.NONE,
                cohort(3, 0, 0, 15), cohort(40, 0, 0, 16));

        StepAnalysis analysis = CanaryAnalysis.judge(ramp, List.of(), evidence, t0, t0.plusSeconds(600));

        assertThat(analysis.reason()).contains("calibration_error and auroc (fewer than 11 canary, 40 stable"
                + " predictions with an outcome, each side needing two of each outcome in a step)")
                .doesNotContain("(3 canary");
    }

    @Test
    void theAurocTestHoldsItsLevelWhenCanaryAndStableRankAlikeAndRejectsAKnownLoss() {
        int replicates = 2_000;
        int rejected = 0;
        int detected = 0;
        for (int r = 0; r < replicates; r++) {
            LabelledSample stable = cohort(300, 0, 0, 100 + 2L * r);
            rejected += CanaryAnalysis.auroc(step(cohort(300, 0, 0, 101 + 2L * r), stable), 0.05, 0).failed() ? 1 : 0;
            detected += CanaryAnalysis.auroc(step(cohort(300, 0, 3.0, 50_101 + 2L * r), stable), 0.05, 0).failed() ? 1 : 0;
        }

        // DeLong's variance of each AUROC (the A/B report's test): the one-sided test at 5 % with no margin rejects
        // about 5 % of canaries that rank as stable does (binomial sd 0.5 %), and almost every canary whose log-odds
        // carry noise with a standard deviation of 3.
        assertThat((double) rejected / replicates).isBetween(0.035, 0.065);
        assertThat((double) detected / replicates).isGreaterThan(0.9);
    }
}

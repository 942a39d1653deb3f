package health.vigil.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.CanaryMetric;
import health.vigil.statistics.Auroc;
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

    @Test
    void aCalibratedTwinPassesAndRisksRunningHighFailCalibration() {
        LabelledSample stable = cohort(4_000, 0, 0, 1);

        CanaryMetric twin = CanaryAnalysis.calibration(cohort(1_000, 0, 0, 2), stable, LEVEL, 0.03);
        CanaryMetric high = CanaryAnalysis.calibration(cohort(1_000, 0.8, 0, 3), stable, LEVEL, 0.03);

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

        CanaryMetric noisy = CanaryAnalysis.auroc(cohort(2_000, 0, 2.0, 5), stable, LEVEL, 0.05);
        CanaryMetric shifted = CanaryAnalysis.auroc(cohort(2_000, 0.8, 0, 6), stable, LEVEL, 0.05);

        assertThat(noisy.failed()).isTrue();
        assertThat(noisy.canary()).isLessThan(noisy.stable() - 0.1);
        assertThat(shifted.failed()).isFalse();
        assertThat(shifted.canary()).isCloseTo(shifted.stable(), within(0.03));
    }

    @Test
    void theHanleyMcNeilVarianceCoversTheSpreadOfAurocsOverRepeatedSamples() {
        int replicates = 2_000;
        double sum = 0;
        double squares = 0;
        LabelledSample last = null;
        for (int r = 0; r < replicates; r++) {
            last = cohort(300, 0, 0, 100 + r);
            double a = Auroc.of(last.scores(), last.labels());
            sum += a;
            squares += a * a;
        }
        double mean = sum / replicates;
        double empirical = (squares - replicates * mean * mean) / (replicates - 1);

        double formula = CanaryAnalysis.hanleyMcNeilVariance(mean, last.labels());

        // The formula assumes exponential score distributions; on these logistic-normal risks it overstates the
        // variance (by about 30 %), which only makes the test conservative: it never understates it.
        assertThat(formula / empirical).isBetween(1.0, 1.45);
    }
}

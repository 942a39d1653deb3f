package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.Random;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

class SampleSizeTest {

    @Test
    void twoProportionsMatchesTheTextbookFigure() {
        // Fleiss, Levin and Paik (3rd ed.), without continuity correction: 10 % against 15 %, alpha 0.05
        // two-sided, power 0.80, equal arms: 686 per arm.
        SampleSize.Plan plan = SampleSize.twoProportions(0.10, 0.05, 0.05, 0.80, 0.5);
        assertThat(plan.control()).isEqualTo(686);
        assertThat(plan.treatment()).isEqualTo(686);
    }

    @Test
    void twoProportionsReachesThePowerInSimulation() {
        // 20 % treatment share: the z-test at the planned sizes, simulated 4,000 times under the alternative,
        // rejects about 80 % of the time, and about 5 % of the time under the null.
        SampleSize.Plan plan = SampleSize.twoProportions(0.20, 0.04, 0.05, 0.80, 0.2);
        assertThat(plan.treatment()).isCloseTo(plan.control() / 4, within(1L));
        Random random = new Random(3);
        assertThat(rejectionRate(plan, 0.20, 0.24, random)).isCloseTo(0.80, within(0.025));
        assertThat(rejectionRate(plan, 0.20, 0.20, random)).isCloseTo(0.05, within(0.012));
    }

    @Test
    void aurocPlanReachesThePowerOfDeLongsTestInSimulation() {
        // Binormal scores with equal variances: AUROC = Phi(mu / sqrt 2). Control 0.70, treatment 0.78, 30 %
        // positives. DeLong's test for independent samples at the planned sizes, simulated 2,000 times.
        SampleSize.Plan plan = SampleSize.auroc(0.70, 0.08, 0.30, 0.05, 0.80, 0.5);
        assertThat(plan.control()).isBetween(300L, 3_000L);
        Random random = new Random(11);
        int rejected = 0;
        int runs = 2_000;
        for (int run = 0; run < runs; run++) {
            Sample a = binormal(plan.control(), 0.30, 0.70, random);
            Sample b = binormal(plan.treatment(), 0.30, 0.78, random);
            if (DeLongTest.independent(b.scores, b.labels, a.scores, a.labels).pValue() < 0.05) {
                rejected++;
            }
        }
        // Hanley and McNeil's variance assumes exponential scores; under binormal scores the achieved power lands
        // near the target, slightly above.
        assertThat(rejected / (double) runs).isBetween(0.77, 0.88);
    }

    @Test
    void badPlansAreRefusedWithTheirReason() {
        assertThatThrownBy(() -> SampleSize.twoProportions(0.95, 0.1, 0.05, 0.8, 0.5))
                .isInstanceOf(ValidationException.class).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> SampleSize.auroc(0.7, 0.0001, 0.3, 0.05, 0.8, 0.5))
                .isInstanceOf(ValidationException.class).hasMessageContaining("larger minimum detectable effect");
        assertThatThrownBy(() -> SampleSize.twoProportions(0.1, 0.05, 0.7, 0.8, 0.5))
                .isInstanceOf(ValidationException.class).hasMessageContaining("alpha");
    }

    private static double rejectionRate(SampleSize.Plan plan, double p1, double p2, Random random) {
        int rejected = 0;
        int runs = 4_000;
        for (int run = 0; run < runs; run++) {
            long x1 = binomial(plan.control(), p1, random);
            long x2 = binomial(plan.treatment(), p2, random);
            if (TwoProportionTest.compare(x2, plan.treatment(), x1, plan.control()).pValue() < 0.05) {
                rejected++;
            }
        }
        return rejected / (double) runs;
    }

    private static long binomial(long n, double p, Random random) {
        long x = 0;
        for (long i = 0; i < n; i++) {
            if (random.nextDouble() < p) {
                x++;
            }
        }
        return x;
    }

    private record Sample(double[] scores, boolean[] labels) {}

    private static Sample binormal(long n, double prevalence, double auroc, Random random) {
        double mu = Math.sqrt(2) * NormalDistribution.of(0, 1).inverseCumulativeProbability(auroc);
        double[] scores = new double[(int) n];
        boolean[] labels = new boolean[(int) n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextDouble() < prevalence;
            scores[i] = (labels[i] ? mu : 0) + random.nextGaussian();
        }
        labels[0] = true;
        labels[1] = false;
        labels[2] = true;
        labels[3] = false;
        return new Sample(scores, labels);
    }
}

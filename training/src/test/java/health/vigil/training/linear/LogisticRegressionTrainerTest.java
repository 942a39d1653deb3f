package health.vigil.training.linear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.training.data.FeatureMatrix;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogisticRegressionTrainerTest {

    @Test
    void unregularisedFitSolvesTheScoreEquations() {
        // The maximum-likelihood estimate makes sum (p_i - y_i) x_ij = 0 for every column and the intercept.
        Random random = new Random(3);
        int n = 2_000;
        float[] values = new float[n * 3];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            values[i * 3] = (float) (random.nextGaussian() * 10 + 50);
            values[i * 3 + 1] = random.nextInt(2);
            values[i * 3 + 2] = (float) random.nextGaussian();
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-(-3 + 0.05 * values[i * 3] + 0.7 * values[i * 3 + 1])));
        }
        FeatureMatrix x = FeatureMatrix.copyOf(values, n, List.of("a", "b", "c"));
        LogisticModel model = new LogisticRegressionTrainer(0.0, 100, 1e-12).fit(x, y, i -> { });
        double[] score = new double[4];
        for (int i = 0; i < n; i++) {
            double[] row = x.row(i);
            double r = model.probability(row) - (y[i] ? 1 : 0);
            score[0] += r;
            for (int j = 0; j < 3; j++) {
                score[j + 1] += r * row[j];
            }
        }
        for (double s : score) {
            assertThat(s).isCloseTo(0.0, within(1e-6 * n));
        }
    }

    @Test
    void recoversKnownCoefficientsOnLargeSimulatedData() {
        Random random = new Random(9);
        int n = 60_000;
        float[] values = new float[n * 3];
        boolean[] y = new boolean[n];
        for (int i = 0; i < n; i++) {
            values[i * 3] = (float) random.nextGaussian();
            values[i * 3 + 1] = (float) (random.nextGaussian() * 5);
            values[i * 3 + 2] = 4f; // constant: gets no coefficient
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-(-1.0 + 0.8 * values[i * 3] - 0.1 * values[i * 3 + 1])));
        }
        LogisticModel model = LogisticRegressionTrainer.defaults()
                .fit(FeatureMatrix.copyOf(values, n, List.of("a", "b", "constant")), y, i -> { });
        assertThat(model.intercept()).isCloseTo(-1.0, within(0.05));
        assertThat(model.coefficients()[0]).isCloseTo(0.8, within(0.05));
        assertThat(model.coefficients()[1]).isCloseTo(-0.1, within(0.01));
        assertThat(model.coefficients()[2]).isZero();
    }

    @Test
    void sameDataGivesTheSameCoefficientsBitForBit() {
        Random random = new Random(1);
        float[] values = new float[500 * 2];
        boolean[] y = new boolean[500];
        for (int i = 0; i < 500; i++) {
            values[2 * i] = (float) random.nextGaussian();
            values[2 * i + 1] = (float) random.nextGaussian();
            y[i] = random.nextBoolean();
        }
        FeatureMatrix x = FeatureMatrix.copyOf(values, 500, List.of("a", "b"));
        LogisticModel a = LogisticRegressionTrainer.defaults().fit(x, y, i -> { });
        LogisticModel b = LogisticRegressionTrainer.defaults().fit(x, y, i -> { });
        assertThat(a.coefficients()).containsExactly(b.coefficients());
        assertThat(a.intercept()).isEqualTo(b.intercept());
    }
}

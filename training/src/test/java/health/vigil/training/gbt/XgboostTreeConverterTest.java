package health.vigil.training.gbt;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.TreeEnsemble;
import health.vigil.training.data.FeatureMatrix;
import java.util.List;
import java.util.Random;
import ml.dmlc.xgboost4j.java.Booster;
import org.junit.jupiter.api.Test;

class XgboostTreeConverterTest {

    /** 12,000 rows, 6 columns, a fifth of the values of two columns missing, a nonlinear signal. */
    static Object[] data(int rows, long seed) {
        Random random = new Random(seed);
        int width = 6;
        float[] values = new float[rows * width];
        boolean[] y = new boolean[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < width; j++) {
                values[i * width + j] = (float) random.nextGaussian();
            }
            values[i * width + 5] = random.nextInt(2);
            double margin = 1.2 * values[i * width] - 0.8 * values[i * width + 1] * values[i * width + 2]
                    + (values[i * width + 3] > 0.5 ? 1.0 : -0.5) + 0.7 * values[i * width + 5];
            y[i] = random.nextDouble() < 1 / (1 + Math.exp(-margin));
            if (random.nextDouble() < 0.2) {
                values[i * width] = Float.NaN;
            }
            if (random.nextDouble() < 0.2) {
                values[i * width + 3] = Float.NaN;
            }
        }
        List<String> columns = List.of("a", "b", "c", "d", "e", "flag");
        return new Object[] {FeatureMatrix.copyOf(values, rows, columns), y};
    }

    @Test
    void convertedEnsembleReproducesXgboostPredictionsIncludingMissingValues() {
        Object[] d = data(12_000, 11);
        FeatureMatrix x = (FeatureMatrix) d[0];
        boolean[] y = (boolean[]) d[1];
        GbtSettings settings = GbtSettings.defaults().withRounds(60);
        Booster booster = XgboostTrainer.trainBooster(x, y, settings, 42, round -> { });
        try {
            TreeEnsemble ensemble = XgboostTreeConverter.convert(booster, x.width());
            float[] expected = XgboostTrainer.predict(booster, x);
            assertThat(ensemble.trees()).hasSize(60);
            double worst = 0;
            int withMissing = 0;
            for (int i = 0; i < x.rows(); i++) {
                double[] row = x.row(i);
                if (Double.isNaN(row[0]) || Double.isNaN(row[3])) {
                    withMissing++;
                }
                worst = Math.max(worst, Math.abs(ensemble.probability(row) - expected[i]));
            }
            assertThat(withMissing).isGreaterThan(3_000);
            assertThat(worst).isLessThan(1e-5);
            // Some branch must send missing values right and some left, or the test proves little.
            long missingLeft = ensemble.trees().stream().flatMap(t -> java.util.stream.IntStream.range(0, t.size())
                    .filter(n -> !t.isLeaf(n) && t.missingTracksTrue()[n]).boxed()).count();
            long branches = ensemble.trees().stream().mapToLong(t -> java.util.stream.IntStream.range(0, t.size())
                    .filter(n -> !t.isLeaf(n)).count()).sum();
            assertThat(missingLeft).isBetween(1L, branches - 1);
            // Cover: a parent's cover is the sum of its children's.
            TreeEnsemble.Tree first = ensemble.trees().get(0);
            for (int n = 0; n < first.size(); n++) {
                if (!first.isLeaf(n)) {
                    assertThat(first.cover()[first.trueChild()[n]] + first.cover()[first.falseChild()[n]])
                            .isCloseTo(first.cover()[n], org.assertj.core.api.Assertions.within(1e-3 * first.cover()[n]));
                }
            }
        } finally {
            booster.dispose();
        }
    }

    @Test
    void sameDataSettingsAndSeedGiveTheSameTrees() {
        Object[] d = data(3_000, 5);
        FeatureMatrix x = (FeatureMatrix) d[0];
        boolean[] y = (boolean[]) d[1];
        GbtSettings settings = GbtSettings.defaults().withRounds(30);
        TreeEnsemble a = XgboostTrainer.train(x, y, settings, 7, r -> { }).ensemble();
        TreeEnsemble b = XgboostTrainer.train(x, y, settings, 7, r -> { }).ensemble();
        TreeEnsemble c = XgboostTrainer.train(x, y, settings, 8, r -> { }).ensemble();
        double[] row = x.row(0);
        assertThat(a.baseMargin()).isEqualTo(b.baseMargin());
        for (int t = 0; t < a.trees().size(); t++) {
            assertThat(a.trees().get(t).threshold()).containsExactly(b.trees().get(t).threshold());
            assertThat(a.trees().get(t).leafValue()).containsExactly(b.trees().get(t).leafValue());
        }
        boolean anyDifferent = false;
        for (int i = 0; i < 200 && !anyDifferent; i++) {
            anyDifferent = a.probability(x.row(i)) != c.probability(x.row(i));
        }
        assertThat(anyDifferent).as("a different seed subsamples differently").isTrue();
        assertThat(a.probability(row)).isEqualTo(b.probability(row));
    }
}

package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearShapTest {

    @Test
    void equalsBruteForceShapleyOfTheInterventionalGameOverTheBackground() {
        Random rng = new Random(21);
        int features = 9;
        double[] weights = new double[features];
        for (int i = 0; i < features; i++) {
            weights[i] = rng.nextGaussian();
        }
        double intercept = -1.3;
        double[][] background = new double[40][features];
        for (double[] row : background) {
            for (int i = 0; i < features; i++) {
                // Correlated inputs: the interventional game ignores the correlation, and so does LinearShap.
                row[i] = i == 0 ? rng.nextGaussian() : row[0] * 0.8 + rng.nextGaussian() * 0.3 + i;
            }
        }
        LinearShap shap = LinearShap.withBackground(weights, intercept, background);
        for (int trial = 0; trial < 10; trial++) {
            double[] x = new double[features];
            for (int i = 0; i < features; i++) {
                x[i] = rng.nextGaussian() * 2 + i;
            }
            // v(S): the mean margin over background rows with the coalition's inputs replaced by x's.
            double[] expected = BruteForceShapley.shapley(features, mask -> {
                double sum = 0;
                for (double[] b : background) {
                    double margin = intercept;
                    for (int i = 0; i < features; i++) {
                        margin += weights[i] * ((mask & (1 << i)) != 0 ? x[i] : b[i]);
                    }
                    sum += margin;
                }
                return sum / background.length;
            });
            double[] actual = new double[features];
            double margin = shap.explain(x, actual);
            for (int i = 0; i < features; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-9));
            }
            assertThat(Arrays.stream(actual).sum()).isCloseTo(margin - shap.expectedMargin(), within(1e-9));
        }
    }

    @Test
    void contributionsAreWeightTimesDistanceFromTheMean() {
        LinearShap shap = new LinearShap(new double[] {0.5, -2.0, 0.0}, 0.25, new double[] {10, 1, 7});
        double[] phi = new double[3];
        double margin = shap.explain(new double[] {14, 3, -100}, phi);
        assertThat(phi).containsExactly(new double[] {2.0, -4.0, 0.0}, within(1e-15));
        assertThat(margin).isEqualTo(0.25 + 7 - 6);
        assertThat(shap.expectedMargin()).isEqualTo(0.25 + 5 - 2);
    }

    @Test
    void aMissingInputIsAClientErrorThatSaysToImpute() {
        LinearShap shap = new LinearShap(new double[] {1, 1}, 0, new double[] {0, 0});
        assertThatThrownBy(() -> shap.contributions(new double[] {1, Double.NaN}))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE))
                .hasMessageContaining("model input 1 is missing")
                .hasMessageContaining("impute it in the feature pipeline");
        assertThatThrownBy(() -> shap.contributions(new double[] {1}))
                .isInstanceOf(ValidationException.class)
                .hasMessage("the row has 1 values but the model takes 2 inputs");
    }

    @Test
    void aModelAndBackgroundThatDoNotFitAreRejected() {
        assertThatThrownBy(() -> new LinearShap(new double[] {1, 2}, 0, new double[] {0}))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACKAGE))
                .hasMessageContaining("2 weights but the background has 1 means");
        assertThatThrownBy(() -> LinearShap.withBackground(new double[] {1}, 0, new double[][] {{Double.NaN}}))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("background row 0 has a missing or non-finite value at model input 0");
        assertThatThrownBy(() -> new LinearShap(new double[] {Double.POSITIVE_INFINITY}, 0, new double[] {0}))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("weight of model input 0 is not a finite number");
    }
}

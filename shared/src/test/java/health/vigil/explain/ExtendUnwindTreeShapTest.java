package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.explain.RandomTrees.Shape;
import health.vigil.model.TreeEnsemble;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Algorithm 2 reference is only a reference if it agrees with the definition. */
class ExtendUnwindTreeShapTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("health.vigil.explain.TreeShapTest#namedShapes")
    void agreesWithBruteForceShapleyOnRandomTrees(String name, Shape shape, int trees) {
        Random rng = new Random(name.hashCode() + 1);
        for (int model = 0; model < 3; model++) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, trees);
            ExtendUnwindTreeShap shap = new ExtendUnwindTreeShap(ensemble);
            for (int r = 0; r < 10; r++) {
                double[] row = RandomTrees.row(rng, shape.features(), 0.2);
                double[] expected = BruteForceShapley.explain(ensemble, row);
                double[] actual = shap.contributions(row);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("%s, model %d, row %d, feature %d", name, model, r, i)
                            .isCloseTo(expected[i], within(1e-9));
                }
            }
        }
    }
}

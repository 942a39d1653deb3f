package health.vigil.adapter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OnnxModelWriterTest {
    private static final int ROWS = 10_000;

    @Test
    void onnxRuntimeScoresTheTreeEnsembleExactlyLikeTheJavaModelIncludingMissingValuesAndTies() {
        int features = 8;
        TreeEnsemble ensemble = RandomEnsembles.ensemble(7, features, 40, 5);
        float[] rows = RandomEnsembles.rows(8, ROWS, features);

        float[][] probabilities = OrtTestSupport.run(OnnxModelWriter.treeEnsemble(ensemble), rows, features,
                OnnxModelWriter.PROBABILITIES);

        assertThat(probabilities).hasNumberOfRows(ROWS);
        int missing = 0;
        for (int r = 0; r < ROWS; r++) {
            double[] row = RandomEnsembles.row(rows, r, features);
            double expected = ensemble.probability(row);
            assertThat((double) probabilities[r][1]).as("row %d", r).isCloseTo(expected, within(1e-5));
            assertThat((double) probabilities[r][0]).as("row %d", r).isCloseTo(1 - expected, within(1e-5));
            for (double v : row) {
                missing += Double.isNaN(v) ? 1 : 0;
            }
        }
        assertThat(missing).as("the rows must exercise missing values").isGreaterThan(ROWS / 2);
    }

    @Test
    void everyNodeModeAndMissingSideIsScoredAsTheTreeEnsembleDefinesIt() {
        // One split per mode and missing side, on inputs below, at and above the threshold, and NaN.
        float[] inputs = {0.25f, 0.5f, 0.75f, Float.NaN};
        for (NodeMode mode : List.of(NodeMode.BRANCH_LEQ, NodeMode.BRANCH_LT, NodeMode.BRANCH_GTE, NodeMode.BRANCH_GT,
                NodeMode.BRANCH_EQ, NodeMode.BRANCH_NEQ)) {
            for (boolean missingTrue : new boolean[] {false, true}) {
                TreeEnsemble.Tree stump = new TreeEnsemble.Tree(
                        new NodeMode[] {mode, NodeMode.LEAF, NodeMode.LEAF}, new int[] {0, -1, -1},
                        new double[] {0.5, 0, 0}, new int[] {1, -1, -1}, new int[] {2, -1, -1},
                        new boolean[] {missingTrue, false, false}, new double[] {0, 2.0, -2.0}, new double[] {10, 4, 6});
                TreeEnsemble ensemble = new TreeEnsemble(1, 0.0, List.of(stump));
                float[][] p = OrtTestSupport.run(OnnxModelWriter.treeEnsemble(ensemble), inputs, 1, OnnxModelWriter.PROBABILITIES);
                for (int i = 0; i < inputs.length; i++) {
                    boolean goesTrue = stump.goesTrue(0, inputs[i]);
                    assertThat(p[i][1] > 0.5).as("%s, missing values %s, input %s", mode,
                            missingTrue ? "true" : "false", inputs[i]).isEqualTo(goesTrue);
                }
            }
        }
    }

    @Test
    void thresholdsThatAreNotFloatsKeepTheirDoubleComparison() {
        // 0.1f is just above the double 0.1: x <= 0.1 is false for it, although x <= (float) 0.1 holds.
        TreeEnsemble.Tree stump = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LEQ, NodeMode.LEAF, NodeMode.LEAF}, new int[] {0, -1, -1},
                new double[] {0.1, 0, 0}, new int[] {1, -1, -1}, new int[] {2, -1, -1},
                new boolean[] {false, false, false}, new double[] {0, 3.0, -3.0}, new double[] {10, 4, 6});
        TreeEnsemble ensemble = new TreeEnsemble(1, 0.0, List.of(stump));

        float[][] p = OrtTestSupport.run(OnnxModelWriter.treeEnsemble(ensemble), new float[] {0.1f, Math.nextDown(0.1f)},
                1, OnnxModelWriter.PROBABILITIES);

        assertThat((double) p[0][1]).isCloseTo(ensemble.probability(new double[] {0.1f}), within(1e-6)).isLessThan(0.5);
        assertThat((double) p[1][1]).isCloseTo(ensemble.probability(new double[] {Math.nextDown(0.1f)}), within(1e-6))
                .isGreaterThan(0.5);
    }

    @Test
    void probabilitiesStayLogisticWhenNoLeafValueIsNegative() {
        // ORT treats "all weights non-negative" specially for its label; the probabilities must not change.
        int features = 4;
        TreeEnsemble ensemble = RandomEnsembles.ensemble(11, features, 10, 3, true);
        float[] rows = RandomEnsembles.rows(12, 2_000, features);

        float[][] p = OrtTestSupport.run(OnnxModelWriter.treeEnsemble(ensemble), rows, features, OnnxModelWriter.PROBABILITIES);

        for (int r = 0; r < 2_000; r++) {
            assertThat((double) p[r][1]).isCloseTo(ensemble.probability(RandomEnsembles.row(rows, r, features)), within(1e-5));
        }
    }

    @Test
    void theLabelOutputIsThePositiveClassWhenItsProbabilityIsAboveOneHalf() {
        int features = 6;
        TreeEnsemble ensemble = RandomEnsembles.ensemble(5, features, 20, 4);
        float[] rows = RandomEnsembles.rows(6, 2_000, features);
        byte[] onnx = OnnxModelWriter.treeEnsemble(ensemble);

        long[] labels = OrtTestSupport.labels(onnx, rows, features);

        for (int r = 0; r < labels.length; r++) {
            double margin = ensemble.margin(RandomEnsembles.row(rows, r, features));
            if (Math.abs(margin) > 1e-6) {
                assertThat(labels[r]).as("row %d", r).isEqualTo(margin > 0 ? 1L : 0L);
            }
        }
    }

    @Test
    void onnxRuntimeScoresTheLogisticRegressionLikeTheLogisticFormula() {
        int width = 5;
        double[] coefficients = {0.8, -1.2, 0.05, 2.0, -0.3};
        double intercept = -0.7;
        SplittableRandom random = new SplittableRandom(3);
        float[] rows = new float[ROWS * width];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) (random.nextDouble() * 4 - 2);
        }

        float[][] p = OrtTestSupport.run(OnnxModelWriter.logisticRegression(coefficients, intercept), rows, width,
                OnnxModelWriter.PROBABILITIES);

        for (int r = 0; r < ROWS; r++) {
            double margin = intercept;
            for (int c = 0; c < width; c++) {
                margin += coefficients[c] * rows[r * width + c];
            }
            double expected = 1 / (1 + Math.exp(-margin));
            assertThat((double) p[r][1]).as("row %d", r).isCloseTo(expected, within(1e-5));
            assertThat((double) p[r][0]).as("row %d", r).isCloseTo(1 - expected, within(1e-5));
        }
    }

    @Test
    void theLogisticRegressionReplacesMissingValuesWithTheGivenValues() {
        double[] coefficients = {0.5, 0.25, -1.0};
        double[] replacements = {5.0, 7.0, -1.0};
        SplittableRandom random = new SplittableRandom(4);
        int rowsCount = 10_000;
        float[] rows = new float[rowsCount * 3];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = random.nextDouble() < 0.2 ? Float.NaN : (float) (random.nextDouble() * 10);
        }

        float[][] p = OrtTestSupport.run(OnnxModelWriter.logisticRegression(coefficients, -0.1, replacements), rows, 3,
                OnnxModelWriter.PROBABILITIES);

        for (int r = 0; r < rowsCount; r++) {
            double margin = -0.1;
            for (int c = 0; c < 3; c++) {
                float v = rows[r * 3 + c];
                margin += coefficients[c] * (Float.isNaN(v) ? replacements[c] : v);
            }
            assertThat((double) p[r][1]).as("row %d", r).isCloseTo(1 / (1 + Math.exp(-margin)), within(1e-5));
        }
    }

    @Test
    void theSameArgumentsGiveByteIdenticalFiles() {
        TreeEnsemble ensemble = RandomEnsembles.ensemble(21, 5, 15, 4);
        TreeEnsemble sameAgain = RandomEnsembles.ensemble(21, 5, 15, 4);
        double[] coefficients = {0.1, 0.2, 0.3};

        assertThat(OnnxModelWriter.treeEnsemble(ensemble)).isEqualTo(OnnxModelWriter.treeEnsemble(sameAgain));
        assertThat(OnnxModelWriter.logisticRegression(coefficients, 0.5, new double[] {1, 2, 3}))
                .isEqualTo(OnnxModelWriter.logisticRegression(coefficients.clone(), 0.5, new double[] {1, 2, 3}));
        assertThat(OnnxModelWriter.treeEnsemble(ensemble))
                .isNotEqualTo(OnnxModelWriter.treeEnsemble(RandomEnsembles.ensemble(22, 5, 15, 4)));
        assertThat(OnnxModelWriter.logisticRegression(coefficients, 0.5))
                .isNotEqualTo(OnnxModelWriter.logisticRegression(coefficients, 0.6));
    }

    @Test
    void modelsDeclareTheInputAndOutputsVigilExpects() {
        try (OrtModelRuntime runtime = new OrtModelRuntime()) {
            for (byte[] onnx : List.of(OnnxModelWriter.logisticRegression(new double[] {1, 2, 3, 4}, 0),
                    OnnxModelWriter.treeEnsemble(RandomEnsembles.ensemble(1, 4, 2, 2)))) {
                var signature = runtime.inspect(onnx);
                assertThat(signature.inputs()).singleElement().satisfies(in -> {
                    assertThat(in.name()).isEqualTo("input");
                    assertThat(in.elementType()).isEqualTo("float");
                    assertThat(in.shape()).containsExactly(-1, 4);
                });
                assertThat(signature.outputs()).extracting(t -> t.name() + ":" + t.elementType() + ":"
                        + java.util.Arrays.toString(t.shape()) + ":" + t.isMap())
                        .containsExactly("label:int64:[-1]:false", "probabilities:float:[-1, 2]:false");
            }
        }
    }

    @Test
    void refusesWhatItCannotWriteFaithfully() {
        TreeEnsemble.Tree nanLeaf = new TreeEnsemble.Tree(new NodeMode[] {NodeMode.LEAF}, new int[] {-1}, new double[1],
                new int[] {-1}, new int[] {-1}, new boolean[1], new double[] {Double.NaN}, new double[] {1});
        assertThatThrownBy(() -> OnnxModelWriter.treeEnsemble(new TreeEnsemble(2, 0, List.of())))
                .isInstanceOf(ValidationException.class).hasMessageContaining("at least one tree");
        assertThatThrownBy(() -> OnnxModelWriter.treeEnsemble(new TreeEnsemble(2, 0, List.of(nanLeaf))))
                .isInstanceOf(ValidationException.class).hasMessageContaining("leaf 0");
        assertThatThrownBy(() -> OnnxModelWriter.logisticRegression(new double[] {1, Double.NaN}, 0))
                .isInstanceOf(ValidationException.class).hasMessageContaining("coefficient 1");
        assertThatThrownBy(() -> OnnxModelWriter.logisticRegression(new double[] {1, 2}, 0, new double[] {1}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("one per input column");
        assertThatThrownBy(() -> OnnxModelWriter.logisticRegression(new double[0], 0))
                .isInstanceOf(ValidationException.class).hasMessageContaining("at least one coefficient");
    }
}

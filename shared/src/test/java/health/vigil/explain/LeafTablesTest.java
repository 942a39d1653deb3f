package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.explain.RandomTrees.Shape;
import health.vigil.explain.TreeShap.Arithmetic;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TreeSHAP from per-leaf tables against brute-force Shapley values and against the passes on the same models (a
 * budget of 0 tabulates nothing), on every depth the tables take, and at the edge of what they take.
 */
class LeafTablesTest {

    private static final double EXACT = 1e-9;
    private static final long UNLIMITED = Long.MAX_VALUE;

    /** Depths 1 to 8, each as balanced, repeated-feature and mixed (uncovered nodes, chains) trees, all modes. */
    static Stream<Arguments> depths() {
        return IntStream.rangeClosed(1, 8).boxed().flatMap(depth -> Stream.of(
                Arguments.of(depth, Shape.balanced(9, depth)),
                Arguments.of(depth, Shape.repeated(4, depth)),
                Arguments.of(depth, Shape.mixed(10, depth)),
                Arguments.of(depth, new Shape(8, depth, 0, 0, 0.5, true, 0.1))));
    }

    @ParameterizedTest(name = "depth {0}: {1}")
    @MethodSource("depths")
    void tablesGiveTheBruteForceShapleyValuesAtEveryDepthUpToEight(int depth, Shape shape) {
        Random rng = new Random(31L * depth + shape.hashCode());
        for (int model = 0; model < 3; model++) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, 4);
            TreeShap tables = new TreeShap(ensemble, Arithmetic.SCALAR, UNLIMITED);
            TreeShap passes = new TreeShap(ensemble, Arithmetic.SCALAR, 0);
            assertThat(tables.tabulatedTrees()).isEqualTo(4);
            assertThat(passes.tabulatedTrees()).isZero();
            for (int r = 0; r < 10; r++) {
                // Many missing values, so that both missing-value directions are taken on most paths.
                double[] row = RandomTrees.row(rng, shape.features(), 0.3);
                double[] expected = BruteForceShapley.explain(ensemble, row);
                double[] fromTables = new double[shape.features()];
                double[] fromPasses = new double[shape.features()];
                assertThat(tables.explain(row, fromTables)).isEqualTo(ensemble.margin(row))
                        .isEqualTo(passes.explain(row, fromPasses));
                for (int i = 0; i < expected.length; i++) {
                    assertThat(fromTables[i]).as("depth %d, model %d, row %d, feature %d", depth, model, r, i)
                            .isCloseTo(expected[i], within(EXACT))
                            .isCloseTo(fromPasses[i], within(1e-12));
                }
            }
        }
    }

    @Test
    void everySplitOperatorAndMissingDirectionIsFollowedAsTheEnsembleFollowsIt() {
        for (NodeMode mode : TreeShapTest.BRANCH_MODES) {
            for (double threshold : TreeShapTest.EDGE_THRESHOLDS) {
                for (boolean missingTrue : new boolean[] {true, false}) {
                    // The root splits on feature 0 and its true child on feature 0 again (with the opposite
                    // missing direction) and its false child on feature 1: a repeated feature and a second one.
                    TreeEnsemble.Tree tree = new TreeEnsemble.Tree(
                            new NodeMode[] {mode, mode, NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF,
                                NodeMode.LEAF, NodeMode.LEAF},
                            new int[] {0, 0, 1, 0, 0, 0, 0}, new double[] {threshold, threshold, 1.5, 0, 0, 0, 0},
                            new int[] {1, 3, 5, 0, 0, 0, 0}, new int[] {2, 4, 6, 0, 0, 0, 0},
                            new boolean[] {missingTrue, !missingTrue, missingTrue, false, false, false, false},
                            new double[] {0, 0, 0, -1, 2, 0.5, -0.25}, new double[] {12, 5, 7, 2, 3, 4, 3});
                    TreeEnsemble ensemble = new TreeEnsemble(2, 0.1, List.of(tree));
                    TreeShap shap = new TreeShap(ensemble, Arithmetic.SCALAR, UNLIMITED);
                    assertThat(shap.tabulatedTrees()).isEqualTo(1);
                    for (double x : TreeShapTest.EDGE_VALUES) {
                        for (double y : TreeShapTest.EDGE_VALUES) {
                            double[] row = {x, y};
                            double[] phi = new double[2];
                            assertThat(shap.explain(row, phi)).as("%s %s x=%s y=%s", mode, threshold, x, y)
                                    .isEqualTo(ensemble.margin(row));
                            assertThat(phi).as("%s %s x=%s y=%s", mode, threshold, x, y)
                                    .containsExactly(BruteForceShapley.explain(ensemble, row), within(EXACT));
                        }
                    }
                }
            }
        }
    }

    @Test
    void treesAreTabulatedInOrderWhileTheirTablesFitTheBudget() {
        Random rng = new Random(41);
        // Full trees of depth 4 on distinct features: four quads (the leaves below each branch of depth 2), each of
        // 2^3 masks x 8 directions rows of 5 features (3 above, and the two children's: the same feature here,
        // but new on each path), so 4 x 8 x 8 x 5 doubles = 10 KiB a tree.
        List<TreeEnsemble.Tree> trees = new ArrayList<>();
        for (int t = 0; t < 10; t++) {
            trees.add(levelled(rng, 4, 4 * t));
        }
        TreeEnsemble ensemble = new TreeEnsemble(40, -0.5, trees);
        long perTree = 4L * 8 * 8 * 5 * 8;
        assertThat(new TreeShap(ensemble, Arithmetic.SCALAR, 3 * perTree).tabulatedTrees()).isEqualTo(3);
        assertThat(new TreeShap(ensemble, Arithmetic.SCALAR, 3 * perTree - 1).tabulatedTrees()).isEqualTo(2);
        for (Arithmetic arithmetic : Arithmetic.values()) {
            if (!arithmetic.available()) {
                continue;
            }
            // Partly tabulated: the passes' trees and the tables' trees add to the same contributions.
            TreeShap partly = new TreeShap(ensemble, arithmetic, 5 * perTree);
            assertThat(partly.tabulatedTrees()).isEqualTo(5);
            ExtendUnwindTreeShap reference = new ExtendUnwindTreeShap(ensemble);
            for (int r = 0; r < 20; r++) {
                double[] row = RandomTrees.row(rng, 40, 0.2);
                assertThat(partly.contributions(row)).as("%s, row %d", arithmetic, r)
                        .containsExactly(reference.contributions(row), within(EXACT));
            }
        }
    }

    @Test
    void aTreeWithALeafOfMoreThanEightDistinctFeaturesIsLeftToThePasses() {
        Random rng = new Random(43);
        // One level per feature: the leaves of a depth-9 tree have 9 distinct features, of a depth-8 tree 8.
        TreeEnsemble nine = new TreeEnsemble(10, 0, List.of(levelled(rng, 8, 0), levelled(rng, 9, 0)));
        TreeEnsemble eight = new TreeEnsemble(10, 0, List.of(levelled(rng, 8, 0), levelled(rng, 8, 2)));
        assertThat(new TreeShap(eight, Arithmetic.SCALAR, UNLIMITED).tabulatedTrees()).isEqualTo(2);
        TreeShap shap = new TreeShap(nine, Arithmetic.SCALAR, UNLIMITED);
        assertThat(shap.tabulatedTrees()).isEqualTo(1);
        for (int r = 0; r < 5; r++) {
            double[] row = RandomTrees.row(rng, 10, 0.2);
            assertThat(shap.contributions(row)).containsExactly(BruteForceShapley.explain(nine, row), within(EXACT));
        }
    }

    @Test
    void theDefaultBudgetTabulatesAReadmissionSizedModelWhole() {
        Random rng = new Random(47);
        // As the readmission model: 300 trees of depth 4 over 80 columns.
        TreeEnsemble readmission = RandomTrees.ensemble(rng, Shape.xgboostLike(80, 4), 300);
        TreeShap shap = new TreeShap(readmission);
        assertThat(shap.tabulatedTrees()).isEqualTo(300);
        // The benchmark model's 200 trees of depth 6 take up to 192 KiB each: the budget holds about 21 of them.
        TreeShap deeper = new TreeShap(RandomTrees.ensemble(rng, Shape.xgboostLike(30, 6), 200));
        assertThat(deeper.tabulatedTrees()).isBetween(21, 40);
    }

    /**
     * A full tree of the given depth whose level k splits on feature {@code first + k} (so every leaf has
     * {@code depth} distinct features), with random modes, thresholds, missing directions, covers and values.
     */
    private static TreeEnsemble.Tree levelled(Random rng, int depth, int first) {
        int n = (1 << (depth + 1)) - 1;
        NodeMode[] modes = new NodeMode[n];
        int[] feature = new int[n];
        double[] threshold = new double[n];
        int[] yes = new int[n];
        int[] no = new int[n];
        boolean[] missingTrue = new boolean[n];
        double[] value = new double[n];
        double[] cover = new double[n];
        // Heap order: node i's children are 2 i + 1 and 2 i + 2, after it as TreeEnsemble asks.
        for (int i = n - 1; i >= 0; i--) {
            int level = 31 - Integer.numberOfLeadingZeros(i + 1);
            if (level == depth) {
                modes[i] = NodeMode.LEAF;
                value[i] = (float) rng.nextGaussian();
                cover[i] = 1 + rng.nextInt(50);
                continue;
            }
            modes[i] = NodeMode.values()[rng.nextInt(NodeMode.values().length - 1)];
            feature[i] = first + level;
            threshold[i] = rng.nextInt(5);
            yes[i] = 2 * i + 1;
            no[i] = 2 * i + 2;
            missingTrue[i] = rng.nextBoolean();
            cover[i] = cover[yes[i]] + cover[no[i]];
        }
        return new TreeEnsemble.Tree(modes, feature, threshold, yes, no, missingTrue, value, cover);
    }
}

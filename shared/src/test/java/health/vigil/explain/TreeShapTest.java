package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.explain.RandomTrees.Shape;
import health.vigil.explain.TreeShap.Arithmetic;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TreeShapTest {

    private static final double EXACT = 1e-9;

    /** Thresholds and values at the edges of comparison: NaN, the infinities, and values at a threshold. */
    static final double[] EDGE_THRESHOLDS = {1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    static final double[] EDGE_VALUES = {Double.NaN, Double.NEGATIVE_INFINITY, 0.5, 1.0, 2.0, Double.POSITIVE_INFINITY};
    static final List<NodeMode> BRANCH_MODES =
            Arrays.stream(NodeMode.values()).filter(mode -> mode != NodeMode.LEAF).toList();

    /**
     * Every arithmetic this JVM can run: the build's test JVMs have the Vector API module, so both; a JVM without
     * it runs the scalar one only (see {@link #aJvmWithoutTheVectorModuleExplainsWithScalarArithmetic}).
     */
    static Stream<Arithmetic> arithmetics() {
        return Arrays.stream(Arithmetic.values()).filter(Arithmetic::available);
    }

    static Stream<Arguments> shapes() {
        return arithmetics().flatMap(arithmetic -> namedShapes()
                .map(shape -> Arguments.of(arithmetic, shape.get()[0], shape.get()[1], shape.get()[2])));
    }

    /** The random tree shapes, each with a name and a number of trees per model. */
    static Stream<Arguments> namedShapes() {
        return Stream.of(
                Arguments.of("balanced depth 4", Shape.balanced(12, 4), 5),
                Arguments.of("balanced depth 7, few features", Shape.balanced(5, 7), 3),
                Arguments.of("unbalanced and deep", Shape.unbalanced(12, 14), 4),
                Arguments.of("features repeated along paths", Shape.repeated(6, 9), 4),
                Arguments.of("mixed, with uncovered nodes", Shape.mixed(12, 8), 6),
                Arguments.of("single feature", Shape.repeated(1, 6), 3),
                Arguments.of("xgboost-like", Shape.xgboostLike(10, 6), 8));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("shapes")
    void agreesWithBruteForceShapleyOnRandomTrees(Arithmetic arithmetic, String name, Shape shape, int trees) {
        Random rng = new Random(name.hashCode());
        for (int model = 0; model < 4; model++) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, trees);
            TreeShap shap = new TreeShap(ensemble, arithmetic);
            for (int r = 0; r < 12; r++) {
                double[] row = RandomTrees.row(rng, shape.features(), 0.2);
                double[] expected = BruteForceShapley.explain(ensemble, row);
                double[] actual = shap.contributions(row);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("%s, model %d, row %d, feature %d", name, model, r, i)
                            .isCloseTo(expected[i], within(EXACT));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void agreesWithLundbergsAlgorithm2OnWideDeepModels(Arithmetic arithmetic) {
        Random rng = new Random(5);
        for (Shape shape : List.of(Shape.xgboostLike(30, 8), Shape.unbalanced(30, 40), Shape.repeated(10, 16),
                Shape.mixed(40, 12))) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, 60);
            TreeShap shap = new TreeShap(ensemble, arithmetic);
            ExtendUnwindTreeShap reference = new ExtendUnwindTreeShap(ensemble);
            assertThat(shap.expectedMargin()).isCloseTo(reference.expectedMargin(), within(1e-12));
            for (int r = 0; r < 40; r++) {
                double[] row = RandomTrees.row(rng, shape.features(), 0.15);
                double[] expected = reference.contributions(row);
                double[] actual = shap.contributions(row);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("%s, row %d, feature %d", shape, r, i)
                            .isCloseTo(expected[i], within(EXACT));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void contributionsSumToMarginMinusExpectedMarginOnLargeEnsembles(Arithmetic arithmetic) {
        Random rng = new Random(6);
        for (Shape shape : List.of(Shape.xgboostLike(30, 6), Shape.mixed(30, 10), Shape.repeated(8, 12))) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, 120);
            TreeShap shap = new TreeShap(ensemble, arithmetic);
            double[] phi = new double[shape.features()];
            for (int r = 0; r < 300; r++) {
                double[] row = RandomTrees.row(rng, shape.features(), 0.1);
                double margin = shap.explain(row, phi);
                assertThat(margin).isEqualTo(ensemble.margin(row));
                assertThat(Arrays.stream(phi).sum())
                        .isCloseTo(ensemble.margin(row) - shap.expectedMargin(), within(EXACT));
            }
        }
    }

    @Test
    void expectedMarginIsTheBaseMarginPlusEachTreesCoverWeightedMeanLeafValue() {
        Random rng = new Random(7);
        TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.repeated(9, 9), 40);
        double expected = ensemble.baseMargin();
        for (TreeEnsemble.Tree tree : ensemble.trees()) {
            // The generator's covers add up (a node's cover is its children's sum), so the mean over the
            // training rows is the sum over reachable leaves of value * cover / root cover.
            boolean[] reachable = new boolean[tree.size()];
            reachable[0] = true;
            double weighted = 0;
            for (int i = 0; i < tree.size(); i++) {
                if (!reachable[i]) {
                    continue;
                }
                if (tree.isLeaf(i)) {
                    weighted += tree.leafValue()[i] * tree.cover()[i];
                } else {
                    reachable[tree.trueChild()[i]] = true;
                    reachable[tree.falseChild()[i]] = true;
                }
            }
            expected += weighted / tree.cover()[0];
        }
        assertThat(new TreeShap(ensemble).expectedMargin()).isCloseTo(expected, within(1e-12));
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void featuresTheTreesNeverSplitOnGetExactlyZero(Arithmetic arithmetic) {
        Random rng = new Random(8);
        // Trees over features 0-4 of a 9-feature model.
        List<TreeEnsemble.Tree> trees = new ArrayList<>(
                RandomTrees.ensemble(rng, Shape.mixed(5, 6), 10).trees());
        TreeEnsemble ensemble = new TreeEnsemble(9, 0, trees);
        double[] phi = new TreeShap(ensemble, arithmetic).contributions(RandomTrees.row(rng, 9, 0.1));
        assertThat(Arrays.copyOfRange(phi, 5, 9)).containsOnly(0.0);
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void everyNodeModeRoutesEdgeValuesAsTheEnsembleDoes(Arithmetic arithmetic) {
        for (NodeMode mode : BRANCH_MODES) {
            for (double threshold : EDGE_THRESHOLDS) {
                for (boolean missingTrue : new boolean[] {true, false}) {
                    TreeEnsemble.Tree stump = new TreeEnsemble.Tree(
                            new NodeMode[] {mode, NodeMode.LEAF, NodeMode.LEAF}, new int[] {0, 0, 0},
                            new double[] {threshold, 0, 0}, new int[] {1, 0, 0}, new int[] {2, 0, 0},
                            new boolean[] {missingTrue, false, false}, new double[] {0, -1, 2},
                            new double[] {5, 2, 3});
                    TreeEnsemble ensemble = new TreeEnsemble(1, 0, List.of(stump));
                    TreeShap shap = new TreeShap(ensemble, arithmetic);
                    for (double x : EDGE_VALUES) {
                        double[] phi = new double[1];
                        double margin = shap.explain(new double[] {x}, phi);
                        assertThat(margin).as("%s %s x=%s", mode, threshold, x)
                                .isEqualTo(ensemble.margin(new double[] {x}));
                        assertThat(phi[0]).isCloseTo(
                                BruteForceShapley.explain(ensemble, new double[] {x})[0], within(EXACT));
                    }
                }
            }
        }
    }

    @Test
    void aSingleLeafTreeAddsToTheExpectedMarginAndToNoFeature() {
        TreeEnsemble.Tree leaf = new TreeEnsemble.Tree(new NodeMode[] {NodeMode.LEAF}, new int[1], new double[1],
                new int[1], new int[1], new boolean[1], new double[] {0.75}, new double[] {10});
        TreeShap shap = new TreeShap(new TreeEnsemble(3, -1, List.of(leaf)));
        assertThat(shap.expectedMargin()).isEqualTo(-0.25);
        double[] phi = new double[3];
        assertThat(shap.explain(new double[] {1, 2, 3}, phi)).isEqualTo(-0.25);
        assertThat(phi).containsOnly(0.0);
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void aFloatBatchRowGivesTheSameContributionsAsTheDoubleRow(Arithmetic arithmetic) {
        Random rng = new Random(9);
        TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.xgboostLike(6, 5), 20);
        TreeShap shap = new TreeShap(ensemble, arithmetic);
        float[] batch = new float[3 * 6];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = (float) RandomTrees.row(rng, 1, 0.15)[0];
        }
        double[] fromBatch = new double[6];
        double margin = shap.explain(batch, 6, fromBatch);
        double[] row = new double[6];
        for (int i = 0; i < 6; i++) {
            row[i] = batch[6 + i];
        }
        assertThat(fromBatch).containsExactly(shap.contributions(row));
        assertThat(margin).isEqualTo(ensemble.margin(row));
    }

    @ParameterizedTest
    @MethodSource("arithmetics")
    void concurrentCallersGetTheSameAnswersAsOneCaller(Arithmetic arithmetic) throws Exception {
        Random rng = new Random(10);
        TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.mixed(12, 8), 50);
        TreeShap shap = new TreeShap(ensemble, arithmetic);
        double[][] rows = new double[64][];
        double[][] sequential = new double[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = RandomTrees.row(rng, 12, 0.1);
            sequential[r] = shap.contributions(rows[r]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[][]>> futures = new ArrayList<>();
            for (int task = 0; task < 8; task++) {
                futures.add(pool.submit(() -> {
                    double[][] result = new double[rows.length][12];
                    for (int repeat = 0; repeat < 20; repeat++) {
                        for (int r = 0; r < rows.length; r++) {
                            shap.explain(rows[r], result[r]);
                        }
                    }
                    return result;
                }));
            }
            for (Future<double[][]> future : futures) {
                assertThat(future.get()).isDeepEqualTo(sequential);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void explainingARowAllocatesNothingOnceTheThreadsWorkspaceExists() {
        Random rng = new Random(11);
        TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.xgboostLike(30, 6), 50);
        // The scalar passes only: the vector ones allocate nothing once C2 has compiled them (the benchmarks run
        // them without a collection), but until then every vector is an object, and a test cannot tell when C2 is done.
        TreeShap shap = new TreeShap(ensemble, Arithmetic.SCALAR);
        double[] row = RandomTrees.row(rng, 30, 0.1);
        double[] phi = new double[30];
        shap.explain(row, phi);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 2_000; i++) {
            shap.explain(row, phi);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        // Reading the counter itself allocates a little; 2,000 rows of 50 trees allocating anything per row or
        // per node would be far above this.
        assertThat(allocated).isLessThan(2_000);
    }

    @Test
    void vectorAndScalarArithmeticGiveTheSameContributionsToTheLastBitsOfRounding() {
        assumeTrue(Arithmetic.VECTOR.available(), "this JVM has no Vector API module or no 256-bit vectors");
        Random rng = new Random(13);
        for (Shape shape : List.of(Shape.xgboostLike(30, 6), Shape.repeated(6, 9), Shape.mixed(12, 8),
                Shape.unbalanced(12, 14))) {
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, shape, 40);
            TreeShap scalar = new TreeShap(ensemble, Arithmetic.SCALAR);
            TreeShap vector = new TreeShap(ensemble, Arithmetic.VECTOR);
            double[] fromScalar = new double[shape.features()];
            double[] fromVector = new double[shape.features()];
            for (int r = 0; r < 50; r++) {
                double[] row = RandomTrees.row(rng, shape.features(), 0.15);
                assertThat(vector.explain(row, fromVector)).isEqualTo(scalar.explain(row, fromScalar));
                for (int i = 0; i < fromScalar.length; i++) {
                    assertThat(fromVector[i]).as("%s, row %d, feature %d", shape, r, i)
                            .isCloseTo(fromScalar[i], within(1e-12));
                }
            }
        }
    }

    @Test
    void aJvmWithoutTheVectorModuleExplainsWithScalarArithmetic() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), WithoutVectorModule.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        assertThat(output).isEqualTo("SCALAR agrees with brute force; VECTOR refused: vector arithmetic needs the "
                + "JVM option --add-modules=jdk.incubator.vector and a processor with 256-bit vectors\n");
    }

    /** Run in a JVM started without {@code --add-modules=jdk.incubator.vector}. */
    static final class WithoutVectorModule {
        public static void main(String[] args) {
            Random rng = new Random(14);
            TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.repeated(6, 9), 4);
            TreeShap shap = new TreeShap(ensemble);
            for (int r = 0; r < 12; r++) {
                double[] row = RandomTrees.row(rng, 6, 0.2);
                double[] expected = BruteForceShapley.explain(ensemble, row);
                double[] actual = shap.contributions(row);
                for (int i = 0; i < expected.length; i++) {
                    if (Math.abs(actual[i] - expected[i]) > EXACT) {
                        throw new AssertionError("row " + r + ", feature " + i + ": " + actual[i] + " != " + expected[i]);
                    }
                }
            }
            System.out.print(shap.arithmetic() + " agrees with brute force; ");
            try {
                new TreeShap(ensemble, Arithmetic.VECTOR);
                System.out.print("VECTOR accepted\n");
            } catch (IllegalArgumentException e) {
                System.out.print("VECTOR refused: " + e.getMessage() + "\n");
            }
        }
    }

    @Test
    void aRowOfTheWrongWidthIsRejectedWithTheWidths() {
        TreeShap shap = new TreeShap(RandomTrees.ensemble(new Random(12), Shape.balanced(4, 3), 2));
        assertThatThrownBy(() -> shap.contributions(new double[3]))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE))
                .hasMessage("the row has 3 values but the model takes 4 inputs");
        assertThatThrownBy(() -> shap.explain(new float[7], 4, new double[4]))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("no complete row at offset 4");
    }

    @Test
    void aModelWithoutTrainingCoversCannotBeExplained() {
        TreeEnsemble.Tree noCover = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF},
                new int[] {0, 0, 0}, new double[] {1, 0, 0}, new int[] {1, 0, 0}, new int[] {2, 0, 0},
                new boolean[3], new double[] {0, -1, 1}, new double[3]);
        assertThatThrownBy(() -> new TreeShap(new TreeEnsemble(1, 0, List.of(noCover))))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACKAGE))
                .hasMessageContaining("tree 0, node 0 has children with no training cover");
    }

    @Test
    void aNegativeCoverOrANonFiniteLeafIsRejected() {
        TreeEnsemble.Tree negative = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF},
                new int[] {0, 0, 0}, new double[] {1, 0, 0}, new int[] {1, 0, 0}, new int[] {2, 0, 0},
                new boolean[3], new double[] {0, -1, 1}, new double[] {1, 2, -1});
        assertThatThrownBy(() -> new TreeShap(new TreeEnsemble(1, 0, List.of(negative))))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("negative or not a finite number");
        TreeEnsemble.Tree infinite = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF},
                new int[] {0, 0, 0}, new double[] {1, 0, 0}, new int[] {1, 0, 0}, new int[] {2, 0, 0},
                new boolean[3], new double[] {0, Double.POSITIVE_INFINITY, 1}, new double[] {2, 1, 1});
        assertThatThrownBy(() -> new TreeShap(new TreeEnsemble(1, 0, List.of(infinite))))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("tree 0, leaf 1 has a value that is not a finite number");
    }
}

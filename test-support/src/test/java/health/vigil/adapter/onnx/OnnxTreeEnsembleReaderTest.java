package health.vigil.adapter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import health.vigil.testing.samples.SampleModels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class OnnxTreeEnsembleReaderTest {

    @Test
    void readingWhatTheWriterWroteGivesTheOriginalEnsemble() {
        for (long seed = 1; seed <= 5; seed++) {
            TreeEnsemble original = RandomEnsembles.ensemble(seed, 7, 25, 5);

            TreeEnsemble read = OnnxTreeEnsembleReader.read(OnnxModelWriter.treeEnsemble(original));

            assertSameEnsemble(read, canonical(original));
        }
    }

    @Test
    void theSampleEnsembleRoundTripsExactly() {
        TreeEnsemble sample = SampleModels.readmissionTreeEnsemble();

        TreeEnsemble read = OnnxTreeEnsembleReader.read(SampleModels.readmissionTrees().onnx());

        assertSameEnsemble(read, canonical(sample));
    }

    @Test
    void theEnsembleReadBackScoresEveryRowLikeTheOriginal() {
        int features = 6;
        TreeEnsemble original = RandomEnsembles.ensemble(31, features, 30, 5);
        TreeEnsemble read = OnnxTreeEnsembleReader.read(OnnxModelWriter.treeEnsemble(original));
        float[] rows = RandomEnsembles.rows(32, 10_000, features);

        for (int r = 0; r < 10_000; r++) {
            double[] row = RandomEnsembles.row(rows, r, features);
            assertThat(read.margin(row)).as("row %d", r).isEqualTo(original.margin(row));
        }
    }

    @Test
    void readsAnExporterStyleModelWithFloatAttributesAndShuffledNodeIdsAsOnnxRuntimeScoresIt() {
        int features = 5;
        TreeEnsemble source = RandomEnsembles.ensemble(41, features, 20, 4);
        byte[] onnx = floatStyleModel(source, 42);
        float[] rows = RandomEnsembles.rows(43, 10_000, features);

        TreeEnsemble read = OnnxTreeEnsembleReader.read(onnx);
        float[][] ort = OrtTestSupport.run(onnx, rows, features, OnnxModelWriter.PROBABILITIES);

        assertThat(read.trees()).hasSize(20);
        for (int r = 0; r < 10_000; r++) {
            assertThat(read.probability(RandomEnsembles.row(rows, r, features))).as("row %d", r)
                    .isCloseTo(ort[r][1], within(1e-5));
        }
        for (int t = 0; t < read.trees().size(); t++) {
            TreeEnsemble.Tree tree = read.trees().get(t);
            assertThat(tree.size()).isEqualTo(source.trees().get(t).size());
            for (int i = 0; i < tree.size(); i++) {
                if (!tree.isLeaf(i)) {
                    assertThat(tree.trueChild()[i]).isGreaterThan(i);
                    assertThat(tree.cover()[i]).as("a split's cover is its children's")
                            .isCloseTo(tree.cover()[tree.trueChild()[i]] + tree.cover()[tree.falseChild()[i]], within(1e-2));
                }
            }
        }
    }

    @Test
    void weightsOnClassOneAreRefusedBecauseOnnxRuntimeDropsTheBaseValueThen() {
        TreeEnsemble ensemble = RandomEnsembles.ensemble(51, 3, 5, 3);
        byte[] onClassOne = mutate(OnnxModelWriter.treeEnsemble(ensemble), node -> replace(node,
                OnnxProtos.ints("class_ids", filled(node, "class_nodeids", 1))));
        float[] rows = RandomEnsembles.rows(52, 50, 3);

        float[][] ort = OrtTestSupport.run(onClassOne, rows, 3, OnnxModelWriter.PROBABILITIES);
        for (int r = 0; r < 50; r++) {
            double[] row = RandomEnsembles.row(rows, r, 3);
            double withoutBase = 1 / (1 + Math.exp(-(ensemble.margin(row) - ensemble.baseMargin())));
            assertThat((double) ort[r][0]).isEqualTo(0.5);
            assertThat((double) ort[r][1]).isCloseTo(withoutBase, within(1e-5));
        }
        assertThatThrownBy(() -> OnnxTreeEnsembleReader.read(onClassOne))
                .isInstanceOf(ValidationException.class).hasMessageContaining("class id 1");
    }

    @Test
    void refusesWhatATreeEnsembleCannotRepresent() {
        byte[] valid = OnnxModelWriter.treeEnsemble(RandomEnsembles.ensemble(61, 3, 4, 3));

        assertRefused(mutate(valid, n -> replace(n, OnnxProtos.string("post_transform", "NONE"))), "LOGISTIC");
        assertRefused(mutate(valid, n -> replace(n, OnnxProtos.ints("classlabels_int64s", new long[] {0, 1, 2}))),
                "3 class labels");
        assertRefused(mutate(valid, n -> replace(n, OnnxProtos.doubles("base_values_as_tensor", new double[] {0.1, 0.2}))),
                "base_values has 2 entries");
        assertRefused(mutate(valid, n -> remove(n, "nodes_hitrates_as_tensor")), "nodes_hitrates");
        assertRefused(mutate(valid, n -> replace(n, OnnxProtos.strings("nodes_modes",
                n.getAttributeList().stream().filter(a -> a.getName().equals("nodes_modes")).findFirst().orElseThrow()
                        .getStringsList().stream().map(s -> s.toStringUtf8().replace("LEAF", "FOLIAGE")).toList()))),
                "unknown mode");
        assertRefused(OnnxModelWriter.logisticRegression(new double[] {1, 2}, 0), "LinearClassifier");
        assertRefused(new byte[] {1, 2, 3, 4, 5}, "not an ONNX model");
        ModelProto scaled = ModelProto.newBuilder(parse(valid)).setGraph(GraphProto.newBuilder(parse(valid).getGraph())
                .addNode(NodeProto.newBuilder().setOpType("Mul").setName("scale").addInput("probabilities")
                        .addInput("probabilities").addOutput("squared"))).build();
        assertRefused(scaled.toByteArray(), "Mul");
    }

    private static void assertRefused(byte[] onnx, String why) {
        assertThatThrownBy(() -> OnnxTreeEnsembleReader.read(onnx)).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("cannot read the model as a tree ensemble").hasMessageContaining(why);
    }

    /** The ensemble as the writer stores it: NEQ nodes whose missing values go false become swapped EQ nodes. */
    static TreeEnsemble canonical(TreeEnsemble ensemble) {
        List<TreeEnsemble.Tree> trees = new ArrayList<>();
        for (TreeEnsemble.Tree t : ensemble.trees()) {
            NodeMode[] mode = t.mode();
            int[] whenTrue = t.trueChild();
            int[] whenFalse = t.falseChild();
            boolean[] missing = t.missingTracksTrue();
            for (int i = 0; i < t.size(); i++) {
                if (mode[i] == NodeMode.BRANCH_NEQ && !missing[i]) {
                    mode[i] = NodeMode.BRANCH_EQ;
                    int swap = whenTrue[i];
                    whenTrue[i] = whenFalse[i];
                    whenFalse[i] = swap;
                    missing[i] = true;
                }
            }
            trees.add(new TreeEnsemble.Tree(mode, t.feature(), t.threshold(), whenTrue, whenFalse, missing, t.leafValue(),
                    t.cover()));
        }
        return new TreeEnsemble(ensemble.featureCount(), ensemble.baseMargin(), trees);
    }

    /** Compares what an ensemble means: splits, children, missing sides, leaf values and covers. */
    static void assertSameEnsemble(TreeEnsemble actual, TreeEnsemble expected) {
        assertThat(actual.featureCount()).isEqualTo(expected.featureCount());
        assertThat(actual.baseMargin()).isEqualTo(expected.baseMargin());
        assertThat(actual.trees()).hasSameSizeAs(expected.trees());
        for (int t = 0; t < expected.trees().size(); t++) {
            TreeEnsemble.Tree a = actual.trees().get(t);
            TreeEnsemble.Tree e = expected.trees().get(t);
            assertThat(a.size()).as("tree %d", t).isEqualTo(e.size());
            for (int i = 0; i < e.size(); i++) {
                String at = "tree " + t + " node " + i;
                assertThat(a.mode()[i]).as(at).isEqualTo(e.mode()[i]);
                assertThat(a.cover()[i]).as(at).isEqualTo(e.cover()[i]);
                if (e.isLeaf(i)) {
                    assertThat(a.leafValue()[i]).as(at).isEqualTo(e.leafValue()[i]);
                } else {
                    assertThat(a.feature()[i]).as(at).isEqualTo(e.feature()[i]);
                    assertThat(a.threshold()[i]).as(at).isEqualTo(e.threshold()[i]);
                    assertThat(a.trueChild()[i]).as(at).isEqualTo(e.trueChild()[i]);
                    assertThat(a.falseChild()[i]).as(at).isEqualTo(e.falseChild()[i]);
                    assertThat(a.missingTracksTrue()[i]).as(at).isEqualTo(e.missingTracksTrue()[i]);
                }
            }
        }
    }

    /**
     * The ensemble as converters such as onnxmltools write it: float attributes, no Cast, and node ids that are
     * neither zero-based nor in parent-before-child order, listed root first and then in a random order. Thresholds, leaf values and covers are rounded to float.
     */
    private static byte[] floatStyleModel(TreeEnsemble ensemble, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Long> treeIds = new ArrayList<>(), nodeIds = new ArrayList<>(), featureIds = new ArrayList<>();
        List<Long> trueIds = new ArrayList<>(), falseIds = new ArrayList<>(), tracks = new ArrayList<>();
        List<Long> classTree = new ArrayList<>(), classNode = new ArrayList<>();
        List<Float> values = new ArrayList<>(), hitRates = new ArrayList<>(), weights = new ArrayList<>();
        List<String> modes = new ArrayList<>();
        for (int t = 0; t < ensemble.trees().size(); t++) {
            TreeEnsemble.Tree tree = ensemble.trees().get(t);
            long[] id = new long[tree.size()];
            List<Long> pool = new ArrayList<>();
            for (int i = 0; i < tree.size(); i++) {
                pool.add(100L + 3L * i);
            }
            for (int i = 0; i < tree.size(); i++) {
                id[i] = pool.remove(random.nextInt(pool.size()));
            }
            // The root first (ORT roots a tree at its first node), then the others in a random order.
            List<Integer> order = new ArrayList<>();
            for (int i = 1; i < tree.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, new java.util.Random(random.nextLong()));
            order.add(0, 0);
            for (int i : order) {
                treeIds.add((long) t);
                nodeIds.add(id[i]);
                hitRates.add((float) tree.cover()[i]);
                modes.add(tree.mode()[i].name());
                if (tree.isLeaf(i)) {
                    featureIds.add(0L);
                    values.add(0f);
                    trueIds.add(0L);
                    falseIds.add(0L);
                    tracks.add(0L);
                    classTree.add((long) t);
                    classNode.add(id[i]);
                    weights.add((float) tree.leafValue()[i]);
                } else {
                    featureIds.add((long) tree.feature()[i]);
                    values.add((float) tree.threshold()[i]);
                    trueIds.add(id[tree.trueChild()[i]]);
                    falseIds.add(id[tree.falseChild()[i]]);
                    tracks.add(tree.missingTracksTrue()[i] ? 1L : 0L);
                }
            }
        }
        NodeProto.Builder node = NodeProto.newBuilder().setName("TreeEnsembleClassifier").setOpType("TreeEnsembleClassifier")
                .setDomain(OnnxProtos.ML_DOMAIN).addInput("input").addOutput("label").addOutput("probabilities")
                .addAttribute(OnnxProtos.floats("base_values", new float[] {(float) ensemble.baseMargin()}))
                .addAttribute(OnnxProtos.ints("class_ids", new long[weights.size()]))
                .addAttribute(OnnxProtos.ints("class_nodeids", longs(classNode)))
                .addAttribute(OnnxProtos.ints("class_treeids", longs(classTree)))
                .addAttribute(OnnxProtos.floats("class_weights", floats(weights)))
                .addAttribute(OnnxProtos.ints("classlabels_int64s", new long[] {0, 1}))
                .addAttribute(OnnxProtos.ints("nodes_falsenodeids", longs(falseIds)))
                .addAttribute(OnnxProtos.ints("nodes_featureids", longs(featureIds)))
                .addAttribute(OnnxProtos.floats("nodes_hitrates", floats(hitRates)))
                .addAttribute(OnnxProtos.ints("nodes_missing_value_tracks_true", longs(tracks)))
                .addAttribute(OnnxProtos.strings("nodes_modes", modes))
                .addAttribute(OnnxProtos.ints("nodes_nodeids", longs(nodeIds)))
                .addAttribute(OnnxProtos.ints("nodes_treeids", longs(treeIds)))
                .addAttribute(OnnxProtos.ints("nodes_truenodeids", longs(trueIds)))
                .addAttribute(OnnxProtos.floats("nodes_values", floats(values)))
                .addAttribute(OnnxProtos.string("post_transform", "LOGISTIC"));
        GraphProto graph = GraphProto.newBuilder().setName("exported").addNode(node)
                .addInput(OnnxProtos.tensor("input", OnnxProtos.FLOAT, -1, ensemble.featureCount()))
                .addOutput(OnnxProtos.tensor("label", OnnxProtos.INT64, -1))
                .addOutput(OnnxProtos.tensor("probabilities", OnnxProtos.FLOAT, -1, 2)).build();
        return ModelProto.newBuilder().setIrVersion(8).addAllOpsetImport(OnnxProtos.opsets()).setGraph(graph).build()
                .toByteArray();
    }

    static ModelProto parse(byte[] onnx) {
        try {
            return ModelProto.parseFrom(onnx);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** Applies {@code change} to the graph's TreeEnsembleClassifier node. */
    static byte[] mutate(byte[] onnx, Consumer<NodeProto.Builder> change) {
        ModelProto.Builder model = parse(onnx).toBuilder();
        for (NodeProto.Builder node : model.getGraphBuilder().getNodeBuilderList()) {
            if (node.getOpType().equals("TreeEnsembleClassifier")) {
                change.accept(node);
            }
        }
        return model.build().toByteArray();
    }

    static void replace(NodeProto.Builder node, AttributeProto attribute) {
        remove(node, attribute.getName());
        node.addAttribute(attribute);
    }

    static void remove(NodeProto.Builder node, String name) {
        for (int i = node.getAttributeCount() - 1; i >= 0; i--) {
            if (node.getAttribute(i).getName().equals(name)) {
                node.removeAttribute(i);
            }
        }
    }

    private static long[] filled(NodeProto.Builder node, String sizeOf, long value) {
        int n = node.getAttributeList().stream().filter(a -> a.getName().equals(sizeOf)).findFirst().orElseThrow()
                .getIntsCount();
        long[] out = new long[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    private static long[] longs(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}

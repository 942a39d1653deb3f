package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.google.protobuf.CodedOutputStream;
import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes binary-classification models as ONNX files that ONNX Runtime scores: a logistic regression and a
 * {@link TreeEnsemble}. Every model takes {@value #INPUT} (float {@code [N, F]}, N dynamic) and returns
 * {@value #LABEL} (int64 {@code [N]}) and {@value #PROBABILITIES} (float {@code [N, 2]}, column
 * {@value #POSITIVE_CLASS_INDEX} is the positive class; no ZipMap). The same arguments always give the
 * same bytes, so a package's sha256 is reproducible.
 *
 * <h2>How ONNX Runtime scores a binary TreeEnsembleClassifier</h2>
 * Checked against ONNX Runtime 1.29 (see {@code OnnxModelWriterTest}) and its tree-ensemble aggregator:
 * with two class labels and every {@code class_weights} entry on the <em>same</em> class id, ORT takes the
 * "binary case": it adds the weights of the leaves reached to a single score, adds {@code base_values[0]}
 * when there is exactly one base value, and writes {@code [1 - logistic(s), logistic(s)]} for
 * {@code post_transform=LOGISTIC}. That holds only for class id 0, the convention onnxmltools uses for
 * XGBoost. With the weights on class id 1, ORT writes 0.5 into the negative column and drops a single base
 * value; with two base values it replaces the positive score by {@code base_values[1]} plus the (empty)
 * class-0 score, so the trees are lost. Weights split over both class ids (-w, +w) take the multi-class path,
 * which also mishandles two base values. Hence: all weights on class 0, exactly one base value = the margin
 * offset. The {@value #LABEL} output is ORT's own: positive when {@code s > 0}, except when no weight is
 * negative, where ORT compares {@code s > 0.5}; Vigil never uses it (decisions compare the probability with
 * the manifest's threshold).
 *
 * <p>ONNX Runtime uses float thresholds for a float input and double thresholds only for a double input,
 * and {@code x <= (float) t} is not {@code x <= t} when t is not a float. So the tree model casts the input
 * to double and writes thresholds, leaf weights, the base value and covers as the double
 * {@code *_as_tensor} attributes: ORT then takes the same branch as {@link TreeEnsemble.Tree#goesTrue} for
 * every float input, and sums the margin in double.
 */
public final class OnnxModelWriter {
    public static final String INPUT = "input";
    public static final String LABEL = "label";
    public static final String PROBABILITIES = "probabilities";
    public static final int POSITIVE_CLASS_INDEX = 1;

    private static final String PRODUCER = "vigil";
    private static final String PRODUCER_VERSION = "1";

    private OnnxModelWriter() {}

    /**
     * A logistic regression, {@code p = logistic(intercept + sum coefficients[i] * x[i])}, as an ai.onnx.ml
     * {@code LinearClassifier} with {@code post_transform=LOGISTIC}. A missing (NaN) input gives a NaN
     * probability; use {@link #logisticRegression(double[], double, double[])} to impute instead.
     */
    public static byte[] logisticRegression(double[] coefficients, double intercept) {
        return logisticRegression(coefficients, intercept, null);
    }

    /**
     * A logistic regression whose missing (NaN) inputs are first replaced by
     * {@code missingValueReplacements[i]} (typically the training median) with an ai.onnx.ml {@code Imputer}.
     * {@code missingValueReplacements} may be null: no imputation.
     */
    public static byte[] logisticRegression(double[] coefficients, double intercept, double[] missingValueReplacements) {
        if (coefficients == null || coefficients.length == 0) {
            throw new ValidationException("a logistic regression needs at least one coefficient");
        }
        requireFinite("coefficient", coefficients);
        if (!Double.isFinite(intercept)) {
            throw new ValidationException("the intercept is not a finite number");
        }
        int width = coefficients.length;
        GraphProto.Builder graph = GraphProto.newBuilder().setName("vigil_logistic_regression");
        String linearInput = INPUT;
        if (missingValueReplacements != null) {
            if (missingValueReplacements.length != width) {
                throw new ValidationException("there are " + missingValueReplacements.length
                        + " missing-value replacements for " + width + " coefficients; give one per input column");
            }
            requireFinite("missing-value replacement", missingValueReplacements);
            linearInput = "input_imputed";
            graph.addNode(NodeProto.newBuilder()
                    .setName("impute_missing").setOpType("Imputer").setDomain(OnnxProtos.ML_DOMAIN)
                    .addInput(INPUT).addOutput(linearInput)
                    .addAttribute(OnnxProtos.floats("imputed_value_floats", toFloats(missingValueReplacements)))
                    .addAttribute(OnnxProtos.floatValue("replaced_value_float", Float.NaN)));
        }
        graph.addNode(NodeProto.newBuilder()
                .setName("linear_classifier").setOpType("LinearClassifier").setDomain(OnnxProtos.ML_DOMAIN)
                .addInput(linearInput).addOutput(LABEL).addOutput(PROBABILITIES)
                .addAttribute(OnnxProtos.ints("classlabels_ints", new long[] {0, 1}))
                // One row of coefficients with two labels: ORT computes s for class 1 and writes [1 - p, p].
                .addAttribute(OnnxProtos.floats("coefficients", toFloats(coefficients)))
                .addAttribute(OnnxProtos.floats("intercepts", new float[] {(float) intercept}))
                .addAttribute(OnnxProtos.string("post_transform", "LOGISTIC")));
        return model(graph, OnnxProtos.FLOAT, width,
                "Logistic regression written by Vigil: probabilities[:, 1] = logistic(intercept + coefficients . input)");
    }

    /**
     * A {@link TreeEnsemble} as an ai.onnx.ml {@code TreeEnsembleClassifier} with {@code post_transform=LOGISTIC}
     * and base value {@code baseMargin}, so that {@code probabilities[:, 1]} is
     * {@link TreeEnsemble#probability}. Every node mode and missing-value track is written; cover goes to the
     * node hit rates ({@code nodes_hitrates_as_tensor}), where {@link OnnxTreeEnsembleReader} finds it again.
     *
     * <p>ONNX Runtime sends a NaN down the true branch of every {@code BRANCH_NEQ} node whatever its
     * missing-value track says (NaN != t holds). A NEQ node whose missing values go false is therefore written
     * as the equivalent {@code BRANCH_EQ} node with its children swapped and missing values going true.
     */
    public static byte[] treeEnsemble(TreeEnsemble ensemble) {
        if (ensemble == null || ensemble.trees().isEmpty()) {
            throw new ValidationException("a tree ensemble needs at least one tree");
        }
        if (!Double.isFinite(ensemble.baseMargin())) {
            throw new ValidationException("the ensemble's base margin is not a finite number");
        }
        TreeAttributes a = new TreeAttributes();
        for (int t = 0; t < ensemble.trees().size(); t++) {
            a.add(t, ensemble.trees().get(t));
        }
        NodeProto.Builder classifier = NodeProto.newBuilder()
                .setName("tree_ensemble").setOpType("TreeEnsembleClassifier").setDomain(OnnxProtos.ML_DOMAIN)
                .addInput("input_as_double").addOutput(LABEL).addOutput(PROBABILITIES)
                .addAttribute(OnnxProtos.doubles("base_values_as_tensor", new double[] {ensemble.baseMargin()}))
                .addAttribute(OnnxProtos.ints("class_ids", new long[a.weights.size()]))
                .addAttribute(OnnxProtos.ints("class_nodeids", longs(a.classNodeIds)))
                .addAttribute(OnnxProtos.ints("class_treeids", longs(a.classTreeIds)))
                .addAttribute(OnnxProtos.doubles("class_weights_as_tensor", doubles(a.weights)))
                .addAttribute(OnnxProtos.ints("classlabels_int64s", new long[] {0, 1}))
                .addAttribute(OnnxProtos.ints("nodes_falsenodeids", longs(a.falseIds)))
                .addAttribute(OnnxProtos.ints("nodes_featureids", longs(a.featureIds)))
                .addAttribute(OnnxProtos.doubles("nodes_hitrates_as_tensor", doubles(a.hitRates)))
                .addAttribute(OnnxProtos.ints("nodes_missing_value_tracks_true", longs(a.missingTracksTrue)))
                .addAttribute(OnnxProtos.strings("nodes_modes", a.modes))
                .addAttribute(OnnxProtos.ints("nodes_nodeids", longs(a.nodeIds)))
                .addAttribute(OnnxProtos.ints("nodes_treeids", longs(a.treeIds)))
                .addAttribute(OnnxProtos.ints("nodes_truenodeids", longs(a.trueIds)))
                .addAttribute(OnnxProtos.doubles("nodes_values_as_tensor", doubles(a.thresholds)))
                .addAttribute(OnnxProtos.string("post_transform", "LOGISTIC"));
        GraphProto.Builder graph = GraphProto.newBuilder().setName("vigil_tree_ensemble")
                .addNode(NodeProto.newBuilder().setName("cast_input_to_double").setOpType("Cast")
                        .addInput(INPUT).addOutput("input_as_double")
                        .addAttribute(OnnxProtos.intValue("to", OnnxProtos.DOUBLE)))
                .addNode(classifier);
        return model(graph, OnnxProtos.FLOAT, ensemble.featureCount(),
                "Tree ensemble written by Vigil: probabilities[:, 1] = logistic(base value + sum of leaf weights)");
    }

    /** The TreeEnsembleClassifier attribute arrays, filled tree by tree, node by node. */
    private static final class TreeAttributes {
        final List<Integer> treeIds = new ArrayList<>();
        final List<Integer> nodeIds = new ArrayList<>();
        final List<Integer> featureIds = new ArrayList<>();
        final List<String> modes = new ArrayList<>();
        final List<Double> thresholds = new ArrayList<>();
        final List<Integer> trueIds = new ArrayList<>();
        final List<Integer> falseIds = new ArrayList<>();
        final List<Integer> missingTracksTrue = new ArrayList<>();
        final List<Double> hitRates = new ArrayList<>();
        final List<Integer> classTreeIds = new ArrayList<>();
        final List<Integer> classNodeIds = new ArrayList<>();
        final List<Double> weights = new ArrayList<>();

        void add(int t, TreeEnsemble.Tree tree) {
            for (int i = 0; i < tree.size(); i++) {
                double cover = tree.cover()[i];
                if (!(cover >= 0) || Double.isInfinite(cover)) {
                    throw new ValidationException("tree " + t + " node " + i + " has a cover that is not a finite"
                            + " number of at least 0");
                }
                treeIds.add(t);
                nodeIds.add(i);
                hitRates.add(cover);
                if (tree.isLeaf(i)) {
                    double value = tree.leafValue()[i];
                    if (!Double.isFinite(value)) {
                        throw new ValidationException("tree " + t + " leaf " + i + " has a value that is not a finite number");
                    }
                    featureIds.add(0);
                    modes.add(NodeMode.LEAF.name());
                    thresholds.add(0.0);
                    trueIds.add(0);
                    falseIds.add(0);
                    missingTracksTrue.add(0);
                    classTreeIds.add(t);
                    classNodeIds.add(i);
                    weights.add(value);
                    continue;
                }
                if (Double.isNaN(tree.threshold()[i])) {
                    throw new ValidationException("tree " + t + " node " + i + " has a NaN threshold");
                }
                NodeMode mode = tree.mode()[i];
                int whenTrue = tree.trueChild()[i];
                int whenFalse = tree.falseChild()[i];
                boolean missingTrue = tree.missingTracksTrue()[i];
                if (mode == NodeMode.BRANCH_NEQ && !missingTrue) {
                    mode = NodeMode.BRANCH_EQ;
                    whenTrue = tree.falseChild()[i];
                    whenFalse = tree.trueChild()[i];
                    missingTrue = true;
                }
                featureIds.add(tree.feature()[i]);
                modes.add(mode.name());
                thresholds.add(tree.threshold()[i]);
                trueIds.add(whenTrue);
                falseIds.add(whenFalse);
                missingTracksTrue.add(missingTrue ? 1 : 0);
            }
        }
    }

    private static byte[] model(GraphProto.Builder graph, int inputType, int width, String doc) {
        graph.addInput(OnnxProtos.tensor(INPUT, inputType, -1, width))
                .addOutput(OnnxProtos.tensor(LABEL, OnnxProtos.INT64, -1))
                .addOutput(OnnxProtos.tensor(PROBABILITIES, OnnxProtos.FLOAT, -1, 2));
        ModelProto model = ModelProto.newBuilder()
                .setIrVersion(OnnxProtos.IR_VERSION)
                .setProducerName(PRODUCER)
                .setProducerVersion(PRODUCER_VERSION)
                .setDocString(doc)
                .addAllOpsetImport(OnnxProtos.opsets())
                .setGraph(graph)
                .build();
        // Deterministic serialization: the same message always gives the same bytes.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(model.getSerializedSize());
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            model.writeTo(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void requireFinite(String what, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new ValidationException(what + " " + i + " is not a finite number");
            }
        }
    }

    /** LinearClassifier and Imputer attributes are floats; a value beyond float range would become infinite. */
    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            if (Math.abs(values[i]) > Float.MAX_VALUE) {
                throw new ValidationException("value " + i + " is beyond the range of a float (about 3.4e38)");
            }
            out[i] = (float) values[i];
        }
        return out;
    }

    private static long[] longs(List<Integer> values) {
        return values.stream().mapToLong(Integer::longValue).toArray();
    }

    private static double[] doubles(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}

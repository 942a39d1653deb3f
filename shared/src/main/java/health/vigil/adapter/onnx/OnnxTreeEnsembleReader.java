package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the binary ai.onnx.ml {@code TreeEnsembleClassifier} of an ONNX model back into a {@link TreeEnsemble}
 * that computes what ONNX Runtime computes, covers included, so TreeSHAP can explain the model. The graph
 * must be the classifier on the model's float input (optionally through a Cast to float or double), with
 * optional ZipMap or Identity nodes; {@link OnnxModelWriter#treeEnsemble} writes such graphs, and so does
 * onnxmltools for XGBoost. Anything the ensemble cannot represent exactly is refused with a message saying
 * why: other operators, post transforms other than LOGISTIC, more than two classes, weights on class 1,
 * more than one base value, missing hit rates.
 *
 * <p>The result follows ONNX Runtime (1.29) where the ONNX text is vague or silent: a tree is a run of
 * consecutive nodes with the same tree id and its root is the first node listed; a leaf's value is the sum
 * of its weights, and weights on split nodes are ignored; a missing-value track counts only when it is 1;
 * a {@code BRANCH_NEQ} node sends NaN to its true branch whatever its track says (ORT evaluates NaN != t as
 * true). Node ids are kept when they already number a tree 0..n-1 from its root with children after
 * parents, and are renumbered depth-first otherwise. Leaves carry feature -1, threshold 0 and children -1.
 */
public final class OnnxTreeEnsembleReader {
    private static final Set<String> PASS_THROUGH = Set.of("Cast", "Identity", "ZipMap");

    private OnnxTreeEnsembleReader() {}

    public static TreeEnsemble read(byte[] onnx) {
        if (onnx == null || onnx.length == 0) {
            throw refuse("the model bytes are empty");
        }
        ModelProto model;
        try {
            model = OnnxProtos.parse(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw refuse("the bytes are not an ONNX model");
        }
        GraphProto graph = model.getGraph();
        ValueInfoProto input = singleInput(graph);
        NodeProto classifier = findClassifier(graph);
        requireDirectInput(graph, classifier, input.getName());
        Map<String, AttributeProto> attributes = new HashMap<>();
        for (AttributeProto attribute : classifier.getAttributeList()) {
            attributes.put(attribute.getName(), attribute);
        }
        return new Attributes(attributes).toEnsemble(declaredWidth(input));
    }

    private static ValueInfoProto singleInput(GraphProto graph) {
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        List<ValueInfoProto> inputs = graph.getInputList().stream()
                .filter(v -> !initializers.contains(v.getName())).toList();
        if (inputs.size() != 1) {
            throw refuse("the graph has " + inputs.size() + " inputs; a tree ensemble model has one float [N, F] input");
        }
        ValueInfoProto input = inputs.get(0);
        if (!input.getType().hasTensorType() || input.getType().getTensorType().getElemType() != OnnxProtos.FLOAT) {
            throw refuse("the graph's input '" + OnnxProtos.printable(input.getName()) + "' is not a float tensor");
        }
        return input;
    }

    private static NodeProto findClassifier(GraphProto graph) {
        NodeProto classifier = null;
        for (NodeProto node : graph.getNodeList()) {
            if (node.getOpType().equals("TreeEnsembleClassifier") && node.getDomain().equals(OnnxProtos.ML_DOMAIN)) {
                if (classifier != null) {
                    throw refuse("the graph has more than one TreeEnsembleClassifier");
                }
                classifier = node;
            } else if (!PASS_THROUGH.contains(node.getOpType()) || !OnnxModelChecks.STANDARD_DOMAINS.contains(node.getDomain())) {
                throw refuse("node '" + OnnxProtos.printable(node.getName()) + "' is a " + OnnxProtos.printable(node.getOpType())
                        + "; only a TreeEnsembleClassifier with Cast, Identity and ZipMap nodes can be read as a tree ensemble");
            }
        }
        if (classifier == null) {
            throw refuse("the graph has no ai.onnx.ml TreeEnsembleClassifier");
        }
        return classifier;
    }

    /** The classifier must see the model input unchanged: Cast to float or double and Identity keep every value. */
    private static void requireDirectInput(GraphProto graph, NodeProto classifier, String inputName) {
        Map<String, NodeProto> producers = new HashMap<>();
        for (NodeProto node : graph.getNodeList()) {
            node.getOutputList().forEach(output -> producers.put(output, node));
        }
        String name = classifier.getInput(0);
        for (int hops = 0; !name.equals(inputName); hops++) {
            NodeProto producer = producers.get(name);
            boolean castKeepsValues = producer != null && producer.getOpType().equals("Cast")
                    && producer.getAttributeList().stream().anyMatch(a -> a.getName().equals("to")
                            && (a.getI() == OnnxProtos.FLOAT || a.getI() == OnnxProtos.DOUBLE));
            boolean identity = producer != null && producer.getOpType().equals("Identity");
            if (hops > graph.getNodeCount() || !(castKeepsValues || identity)) {
                throw refuse("the TreeEnsembleClassifier does not read the model input directly (or through a Cast"
                        + " to float or double)");
            }
            name = producer.getInput(0);
        }
    }

    private static int declaredWidth(ValueInfoProto input) {
        TensorShapeProto shape = input.getType().getTensorType().getShape();
        if (shape.getDimCount() != 2) {
            throw refuse("the model input has " + shape.getDimCount() + " dimensions; a tree ensemble reads [N, F]");
        }
        TensorShapeProto.Dimension last = shape.getDim(1);
        return last.hasDimValue() && last.getDimValue() > 0 ? Math.toIntExact(last.getDimValue()) : -1;
    }

    private static ValidationException refuse(String why) {
        return new ValidationException(ErrorCode.INVALID_PACKAGE, "cannot read the model as a tree ensemble: " + why);
    }

    /** The classifier's attributes, checked and turned into trees. */
    private static final class Attributes {
        private final Map<String, AttributeProto> byName;

        Attributes(Map<String, AttributeProto> byName) {
            this.byName = byName;
        }

        TreeEnsemble toEnsemble(int declaredWidth) {
            int classes = has("classlabels_int64s") ? ints("classlabels_int64s").length
                    : has("classlabels_strings") ? byName.get("classlabels_strings").getStringsCount() : 0;
            if (classes != 2) {
                throw refuse("the classifier has " + classes + " class labels; only binary classifiers are supported");
            }
            String transform = has("post_transform") ? byName.get("post_transform").getS().toStringUtf8() : "NONE";
            if (!transform.equals("LOGISTIC")) {
                throw refuse("post_transform is " + OnnxProtos.printable(transform) + "; the ensemble's probability is"
                        + " the logistic of its margin, so only LOGISTIC is supported");
            }
            long[] treeIds = ints("nodes_treeids");
            int n = treeIds.length;
            long[] nodeIds = sized(ints("nodes_nodeids"), n, "nodes_nodeids");
            long[] featureIds = sized(ints("nodes_featureids"), n, "nodes_featureids");
            long[] trueIds = sized(ints("nodes_truenodeids"), n, "nodes_truenodeids");
            long[] falseIds = sized(ints("nodes_falsenodeids"), n, "nodes_falsenodeids");
            List<String> modeNames = strings("nodes_modes");
            if (modeNames.size() != n) {
                throw refuse("nodes_modes has " + modeNames.size() + " entries for " + n + " nodes");
            }
            List<NodeMode> modes = new ArrayList<>(n);
            for (String name : modeNames) {
                try {
                    modes.add(NodeMode.valueOf(name));
                } catch (IllegalArgumentException e) {
                    throw refuse("a node has the unknown mode '" + OnnxProtos.printable(name) + "'");
                }
            }
            double[] thresholds = sized(reals("nodes_values"), n, "nodes_values");
            long[] tracks = has("nodes_missing_value_tracks_true")
                    ? sized(ints("nodes_missing_value_tracks_true"), n, "nodes_missing_value_tracks_true") : new long[n];
            if (!has("nodes_hitrates") && !has("nodes_hitrates_as_tensor")) {
                throw refuse("the classifier has no nodes_hitrates; TreeSHAP needs each node's cover: export the"
                        + " model with the training cover written to nodes_hitrates");
            }
            double[] covers = sized(reals("nodes_hitrates"), n, "nodes_hitrates");
            long[] classIds = ints("class_ids");
            int m = classIds.length;
            long[] classTreeIds = sized(ints("class_treeids"), m, "class_treeids");
            long[] classNodeIds = sized(ints("class_nodeids"), m, "class_nodeids");
            double[] weights = sized(reals("class_weights"), m, "class_weights");
            for (long classId : classIds) {
                if (classId != 0) {
                    throw refuse("a class weight is on class id " + classId + "; ONNX Runtime applies the base value"
                            + " and the logistic to the single margin only when every weight is on class id 0");
                }
            }
            double[] base = has("base_values") || has("base_values_as_tensor") ? reals("base_values") : new double[0];
            if (base.length > 1) {
                throw refuse("base_values has " + base.length + " entries; a binary ensemble has one margin offset"
                        + " (ONNX Runtime does not add the trees to two base values)");
            }

            int width = declaredWidth;
            if (width < 0) {
                width = 1;
                for (int i = 0; i < n; i++) {
                    if (modes.get(i) != NodeMode.LEAF) {
                        width = (int) Math.max(width, featureIds[i] + 1);
                    }
                }
            }
            // Like ORT: a tree is a run of nodes with the same tree id, rooted at its first node.
            Map<Long, Map<Long, Integer>> trees = new LinkedHashMap<>();
            Map<Long, Long> roots = new HashMap<>();
            for (int i = 0; i < n; i++) {
                if (i > 0 && treeIds[i] != treeIds[i - 1] && trees.containsKey(treeIds[i])) {
                    throw refuse("the nodes of tree " + treeIds[i] + " are not listed together; ONNX Runtime would"
                            + " read them as two trees");
                }
                long tree = treeIds[i];
                roots.putIfAbsent(tree, nodeIds[i]);
                if (trees.computeIfAbsent(tree, t -> new HashMap<>()).put(nodeIds[i], i) != null) {
                    throw refuse("tree " + tree + " lists node " + nodeIds[i] + " twice");
                }
            }
            // Like ORT: weights on a split node are ignored; weights on a missing node are an error.
            Map<Long, Map<Long, Double>> leafValues = new HashMap<>();
            for (int w = 0; w < m; w++) {
                Map<Long, Integer> tree = trees.get(classTreeIds[w]);
                Integer at = tree == null ? null : tree.get(classNodeIds[w]);
                if (at == null) {
                    throw refuse("class weight " + w + " is on tree " + classTreeIds[w] + " node " + classNodeIds[w]
                            + ", which the model does not have");
                }
                if (modes.get(at) == NodeMode.LEAF) {
                    leafValues.computeIfAbsent(classTreeIds[w], t -> new HashMap<>())
                            .merge(classNodeIds[w], weights[w], Double::sum);
                }
            }
            List<TreeEnsemble.Tree> result = new ArrayList<>();
            for (Map.Entry<Long, Map<Long, Integer>> tree : trees.entrySet()) {
                result.add(new TreeBuilder(tree.getKey(), roots.get(tree.getKey()), tree.getValue(),
                        leafValues.getOrDefault(tree.getKey(), Map.of()), featureIds, modes, thresholds, trueIds,
                        falseIds, tracks, covers, width).build());
            }
            return new TreeEnsemble(width, base.length == 1 ? base[0] : 0.0, result);
        }

        private boolean has(String name) {
            return byName.containsKey(name);
        }

        private long[] ints(String name) {
            AttributeProto a = byName.get(name);
            if (a == null) {
                throw refuse("the classifier has no " + name);
            }
            return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
        }

        private List<String> strings(String name) {
            AttributeProto a = byName.get(name);
            if (a == null) {
                throw refuse("the classifier has no " + name);
            }
            return a.getStringsList().stream().map(ByteString::toStringUtf8).toList();
        }

        /** A float list attribute, or its {@code _as_tensor} form (float or double). */
        private double[] reals(String name) {
            AttributeProto floats = byName.get(name);
            AttributeProto tensor = byName.get(name + "_as_tensor");
            if (floats != null && tensor != null) {
                throw refuse("the classifier has both " + name + " and " + name + "_as_tensor");
            }
            if (floats != null) {
                return floats.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray();
            }
            if (tensor == null) {
                throw refuse("the classifier has no " + name);
            }
            return tensorValues(tensor.getT(), name + "_as_tensor");
        }

        private static double[] tensorValues(TensorProto t, String name) {
            boolean raw = !t.getRawData().isEmpty();
            ByteBuffer bytes = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (t.getDataType() == OnnxProtos.DOUBLE) {
                if (!raw) {
                    return t.getDoubleDataList().stream().mapToDouble(Double::doubleValue).toArray();
                }
                double[] out = new double[bytes.remaining() / Double.BYTES];
                bytes.asDoubleBuffer().get(out);
                return out;
            }
            if (t.getDataType() == OnnxProtos.FLOAT) {
                if (!raw) {
                    return t.getFloatDataList().stream().mapToDouble(Float::doubleValue).toArray();
                }
                float[] floats = new float[bytes.remaining() / Float.BYTES];
                bytes.asFloatBuffer().get(floats);
                double[] out = new double[floats.length];
                for (int i = 0; i < floats.length; i++) {
                    out[i] = floats[i];
                }
                return out;
            }
            throw refuse(name + " holds " + OnnxProtos.elementTypeName(t.getDataType()) + " values; expected float or double");
        }

        private static long[] sized(long[] values, int n, String name) {
            if (values.length != n) {
                throw refuse(name + " has " + values.length + " entries for " + n + " nodes");
            }
            return values;
        }

        private static double[] sized(double[] values, int n, String name) {
            if (values.length != n) {
                throw refuse(name + " has " + values.length + " entries for " + n + " nodes");
            }
            return values;
        }
    }

    /** Builds one tree, keeping the node ids when they are already a valid numbering. */
    private static final class TreeBuilder {
        private final long treeId;
        private final long root;
        private final Map<Long, Integer> attributeIndex;
        private final Map<Long, Double> leafValues;
        private final long[] featureIds;
        private final List<NodeMode> modes;
        private final double[] thresholds;
        private final long[] trueIds;
        private final long[] falseIds;
        private final long[] tracks;
        private final double[] covers;
        private final int width;

        TreeBuilder(long treeId, long root, Map<Long, Integer> attributeIndex, Map<Long, Double> leafValues,
                long[] featureIds, List<NodeMode> modes, double[] thresholds, long[] trueIds, long[] falseIds, long[] tracks,
                double[] covers, int width) {
            this.treeId = treeId;
            this.root = root;
            this.attributeIndex = attributeIndex;
            this.leafValues = leafValues;
            this.featureIds = featureIds;
            this.modes = modes;
            this.thresholds = thresholds;
            this.trueIds = trueIds;
            this.falseIds = falseIds;
            this.tracks = tracks;
            this.covers = covers;
            this.width = width;
        }

        TreeEnsemble.Tree build() {
            Map<Long, Integer> position = keepsIds() ? identity() : depthFirst();
            int size = position.size();
            NodeMode[] mode = new NodeMode[size];
            int[] feature = new int[size];
            double[] threshold = new double[size];
            int[] trueChild = new int[size];
            int[] falseChild = new int[size];
            boolean[] missingTrue = new boolean[size];
            double[] leafValue = new double[size];
            double[] cover = new double[size];
            for (Map.Entry<Long, Integer> node : position.entrySet()) {
                int at = attributeIndex.get(node.getKey());
                int i = node.getValue();
                mode[i] = modes.get(at);
                cover[i] = covers[at];
                if (mode[i] == NodeMode.LEAF) {
                    feature[i] = -1;
                    trueChild[i] = -1;
                    falseChild[i] = -1;
                    leafValue[i] = leafValues.getOrDefault(node.getKey(), 0.0);
                    continue;
                }
                if (featureIds[at] < 0 || featureIds[at] >= width) {
                    throw refuse("tree " + treeId + " node " + node.getKey() + " splits on feature " + featureIds[at]
                            + " but the model input has " + width + " columns");
                }
                feature[i] = (int) featureIds[at];
                threshold[i] = thresholds[at];
                trueChild[i] = position.get(trueIds[at]);
                falseChild[i] = position.get(falseIds[at]);
                missingTrue[i] = mode[i] == NodeMode.BRANCH_NEQ || tracks[at] == 1;
            }
            return new TreeEnsemble.Tree(mode, feature, threshold, trueChild, falseChild, missingTrue, leafValue, cover);
        }

        private boolean isLeaf(long nodeId) {
            return modes.get(attributeIndex.get(nodeId)) == NodeMode.LEAF;
        }

        private boolean keepsIds() {
            int n = attributeIndex.size();
            if (root != 0) {
                return false;
            }
            for (Map.Entry<Long, Integer> node : attributeIndex.entrySet()) {
                long id = node.getKey();
                if (id < 0 || id >= n) {
                    return false;
                }
                if (!isLeaf(id)) {
                    long t = trueIds[node.getValue()];
                    long f = falseIds[node.getValue()];
                    if (t <= id || f <= id || t >= n || f >= n) {
                        return false;
                    }
                }
            }
            return true;
        }

        private Map<Long, Integer> identity() {
            Map<Long, Integer> position = new HashMap<>();
            attributeIndex.keySet().forEach(id -> position.put(id, Math.toIntExact(id)));
            return position;
        }

        /** Numbers the nodes reachable from the root depth-first (true branch first); they must form a tree. */
        private Map<Long, Integer> depthFirst() {
            Map<Long, Integer> position = new LinkedHashMap<>();
            Deque<Long> stack = new ArrayDeque<>();
            stack.push(root);
            while (!stack.isEmpty()) {
                long id = stack.pop();
                if (!attributeIndex.containsKey(id)) {
                    throw refuse("a node of tree " + treeId + " points at node " + id + ", which the tree does not have");
                }
                if (position.putIfAbsent(id, position.size()) != null) {
                    throw refuse("tree " + treeId + " reaches node " + id + " twice; TreeSHAP needs every node to have"
                            + " one parent");
                }
                if (!isLeaf(id)) {
                    int at = attributeIndex.get(id);
                    stack.push(falseIds[at]);
                    stack.push(trueIds[at]);
                }
            }
            return position;
        }
    }
}

package health.vigil.bench.explain;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import health.vigil.model.TreeEnsemble;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link TreeEnsemble} as an ONNX {@code TreeEnsembleClassifier} (ai.onnx.ml opset 3, LOGISTIC post
 * transform, one weight per leaf for the positive class), so the explanation benchmarks can time ONNX Runtime
 * on exactly the model TreeSHAP explains. Private to the benchmarks: the platform's own ONNX writer lives in
 * the ONNX adapter.
 */
final class TreeEnsembleOnnx {

    static final String INPUT = "input";
    static final String PROBABILITIES = "probabilities";

    private TreeEnsembleOnnx() {}

    static byte[] write(TreeEnsemble ensemble) {
        List<Long> treeIds = new ArrayList<>();
        List<Long> nodeIds = new ArrayList<>();
        List<Long> featureIds = new ArrayList<>();
        List<String> modes = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        List<Long> trueIds = new ArrayList<>();
        List<Long> falseIds = new ArrayList<>();
        List<Long> missingTrue = new ArrayList<>();
        List<Long> leafTree = new ArrayList<>();
        List<Long> leafNode = new ArrayList<>();
        List<Long> leafClass = new ArrayList<>();
        List<Float> leafWeight = new ArrayList<>();
        for (int t = 0; t < ensemble.trees().size(); t++) {
            TreeEnsemble.Tree tree = ensemble.trees().get(t);
            for (int i = 0; i < tree.size(); i++) {
                treeIds.add((long) t);
                nodeIds.add((long) i);
                modes.add(tree.mode()[i].name());
                if (tree.isLeaf(i)) {
                    featureIds.add(0L);
                    values.add(0f);
                    trueIds.add(0L);
                    falseIds.add(0L);
                    missingTrue.add(0L);
                    leafTree.add((long) t);
                    leafNode.add((long) i);
                    leafClass.add(0L);
                    leafWeight.add(exactFloat(tree.leafValue()[i], "leaf value"));
                } else {
                    featureIds.add((long) tree.feature()[i]);
                    values.add(exactFloat(tree.threshold()[i], "threshold"));
                    trueIds.add((long) tree.trueChild()[i]);
                    falseIds.add((long) tree.falseChild()[i]);
                    missingTrue.add(tree.missingTracksTrue()[i] ? 1L : 0L);
                }
            }
        }
        NodeProto node = NodeProto.newBuilder()
                .setOpType("TreeEnsembleClassifier")
                .setDomain("ai.onnx.ml")
                .setName("trees")
                .addInput(INPUT)
                .addOutput("label")
                .addOutput(PROBABILITIES)
                .addAttribute(ints("nodes_treeids", treeIds))
                .addAttribute(ints("nodes_nodeids", nodeIds))
                .addAttribute(ints("nodes_featureids", featureIds))
                .addAttribute(strings("nodes_modes", modes))
                .addAttribute(floats("nodes_values", values))
                .addAttribute(ints("nodes_truenodeids", trueIds))
                .addAttribute(ints("nodes_falsenodeids", falseIds))
                .addAttribute(ints("nodes_missing_value_tracks_true", missingTrue))
                .addAttribute(ints("class_treeids", leafTree))
                .addAttribute(ints("class_nodeids", leafNode))
                .addAttribute(ints("class_ids", leafClass))
                .addAttribute(floats("class_weights", leafWeight))
                .addAttribute(ints("classlabels_int64s", List.of(0L, 1L)))
                .addAttribute(floats("base_values", List.of(exactFloat(ensemble.baseMargin(), "base margin"))))
                .addAttribute(AttributeProto.newBuilder().setName("post_transform").setType(AttributeType.STRING)
                        .setS(ByteString.copyFromUtf8("LOGISTIC")))
                .build();
        GraphProto graph = GraphProto.newBuilder()
                .setName("tree_ensemble")
                .addNode(node)
                .addInput(tensor(INPUT, TensorProto.DataType.FLOAT, ensemble.featureCount()))
                .addOutput(tensor("label", TensorProto.DataType.INT64, -1))
                .addOutput(tensor(PROBABILITIES, TensorProto.DataType.FLOAT, 2))
                .build();
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("vigil-bench")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))
                .setGraph(graph)
                .build()
                .toByteArray();
    }

    private static float exactFloat(double value, String what) {
        float f = (float) value;
        if (f != value) {
            throw new IllegalArgumentException("a " + what + " is not representable as a float; ONNX would change it");
        }
        return f;
    }

    /** A tensor of shape [N] (width -1) or [N, width] with a dynamic batch dimension. */
    private static ValueInfoProto tensor(String name, TensorProto.DataType type, int width) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        if (width > 0) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width));
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
                .build();
    }

    private static AttributeProto ints(String name, List<Long> values) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS).addAllInts(values).build();
    }

    private static AttributeProto floats(String name, List<Float> values) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS).addAllFloats(values).build();
    }

    private static AttributeProto strings(String name, List<String> values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.STRINGS);
        for (String v : values) {
            b.addStrings(ByteString.copyFromUtf8(v));
        }
        return b.build();
    }
}

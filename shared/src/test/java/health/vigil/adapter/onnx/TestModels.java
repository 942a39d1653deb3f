package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.function.Consumer;

/** Hand-built and altered ONNX models for the runtime's and the registry's tests. */
public final class TestModels {
    private TestModels() {}

    /** A logistic regression with {@code width} inputs, the model the alterations below start from. */
    public static byte[] logistic(int width) {
        double[] coefficients = new double[width];
        for (int i = 0; i < width; i++) {
            coefficients[i] = 0.1 * (i + 1);
        }
        return OnnxModelWriter.logisticRegression(coefficients, -0.5);
    }

    public static byte[] alter(byte[] onnx, Consumer<ModelProto.Builder> change) {
        try {
            ModelProto.Builder model = ModelProto.parseFrom(onnx).toBuilder();
            change.accept(model);
            return model.build().toByteArray();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** A float tensor whose data lives in a file next to the model. */
    public static TensorProto externalTensor(String name) {
        return TensorProto.newBuilder().setName(name).setDataType(OnnxProtos.FLOAT).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16"))
                .build();
    }

    /** A graph initializer with external data. */
    public static byte[] externalInitializer(int width) {
        return alter(logistic(width), m -> m.getGraphBuilder().addInitializer(externalTensor("unused_weights")));
    }

    /** A Constant node whose value tensor lists external-data entries only (no data_location flag). */
    public static byte[] externalConstant(int width) {
        TensorProto value = externalTensor("constant_value").toBuilder().clearDataLocation().build();
        return alter(logistic(width), m -> m.getGraphBuilder().addNode(NodeProto.newBuilder().setName("constant")
                .setOpType("Constant").addOutput("constant_out")
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value))));
    }

    /** An If node whose then-branch subgraph has an initializer with external data. */
    public static byte[] externalInSubgraph(int width) {
        GraphProto thenBranch = GraphProto.newBuilder().setName("then_branch")
                .addInitializer(externalTensor("branch_weights"))
                .addOutput(OnnxProtos.tensor("branch_weights", OnnxProtos.FLOAT, 4)).build();
        return withIf(width, thenBranch, plainBranch("else_branch"));
    }

    /** A node of the {@code com.microsoft} contrib domain in the main graph. */
    public static byte[] customDomainNode(int width) {
        return alter(logistic(width), m -> {
            m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
            m.getGraphBuilder().addNode(NodeProto.newBuilder().setName("fused").setOpType("FusedGemm")
                    .setDomain("com.microsoft").addInput("input").addInput("input").addOutput("fused_out"));
        });
    }

    /** Only an operator-set import of a custom domain, without any node using it. */
    public static byte[] customOpsetImport(int width) {
        return alter(logistic(width), m -> m.addOpsetImport(
                OperatorSetIdProto.newBuilder().setDomain("com.example.ops").setVersion(1)));
    }

    /** A custom-domain node hidden in the else-branch subgraph of an If node (the opset import not declared). */
    public static byte[] customDomainInSubgraph(int width) {
        GraphProto elseBranch = GraphProto.newBuilder().setName("else_branch")
                .addNode(NodeProto.newBuilder().setName("custom").setOpType("Secret").setDomain("com.example.ops")
                        .addOutput("secret_out"))
                .addOutput(OnnxProtos.tensor("secret_out", OnnxProtos.FLOAT, 4)).build();
        return withIf(width, plainBranch("then_branch"), elseBranch);
    }

    private static GraphProto plainBranch(String name) {
        TensorProto value = TensorProto.newBuilder().setName(name + "_value").setDataType(OnnxProtos.FLOAT).addDims(4)
                .addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        return GraphProto.newBuilder().setName(name).addInitializer(value)
                .addOutput(OnnxProtos.tensor(name + "_value", OnnxProtos.FLOAT, 4)).build();
    }

    private static byte[] withIf(int width, GraphProto thenBranch, GraphProto elseBranch) {
        TensorProto condition = TensorProto.newBuilder().setName("condition").setDataType(9).addInt32Data(1).build();
        return alter(logistic(width), m -> m.getGraphBuilder()
                .addInitializer(condition)
                .addNode(NodeProto.newBuilder().setName("branch").setOpType("If").addInput("condition").addOutput("branch_out")
                        .addAttribute(AttributeProto.newBuilder().setName("then_branch")
                                .setType(AttributeProto.AttributeType.GRAPH).setG(thenBranch))
                        .addAttribute(AttributeProto.newBuilder().setName("else_branch")
                                .setType(AttributeProto.AttributeType.GRAPH).setG(elseBranch))));
    }

    /** The logistic regression followed by a ZipMap: its output is a sequence of {label: probability} maps. */
    public static byte[] zipMap(int width) {
        return alter(logistic(width), m -> {
            GraphProto.Builder g = m.getGraphBuilder();
            g.addNode(NodeProto.newBuilder().setName("zipmap").setOpType("ZipMap").setDomain(OnnxProtos.ML_DOMAIN)
                    .addInput(OnnxModelWriter.PROBABILITIES).addOutput("output_probability")
                    .addAttribute(OnnxProtos.ints("classlabels_int64s", new long[] {0, 1})));
            TypeProto floatScalar = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                    .setElemType(OnnxProtos.FLOAT)).build();
            TypeProto map = TypeProto.newBuilder().setMapType(TypeProto.Map.newBuilder().setKeyType(OnnxProtos.INT64)
                    .setValueType(floatScalar)).build();
            g.addOutput(ValueInfoProto.newBuilder().setName("output_probability")
                    .setType(TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(map))));
        });
    }

    /**
     * The logistic regression with an extra output {@code reshaped}: the probabilities reshaped to their own
     * runtime shape, so that shape inference cannot tell the number of columns before the model runs.
     */
    public static byte[] runtimeShapedProbabilities(int width) {
        return alter(logistic(width), m -> m.getGraphBuilder()
                .addNode(NodeProto.newBuilder().setName("shape_of").setOpType("Shape")
                        .addInput(OnnxModelWriter.PROBABILITIES).addOutput("probability_shape"))
                .addNode(NodeProto.newBuilder().setName("reshape").setOpType("Reshape")
                        .addInput(OnnxModelWriter.PROBABILITIES).addInput("probability_shape").addOutput("reshaped"))
                .addOutput(ValueInfoProto.newBuilder().setName("reshaped").setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(OnnxProtos.FLOAT)))));
    }

    /** The model with its input width declared dynamic. */
    public static byte[] dynamicWidth(byte[] onnx) {
        return alter(onnx, m -> m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
                .getShapeBuilder().setDim(1, TensorShapeProto.Dimension.newBuilder().setDimParam("features")));
    }

    /** The model with its batch dimension fixed at {@code rows}. */
    public static byte[] fixedBatch(byte[] onnx, int rows) {
        return alter(onnx, m -> m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
                .getShapeBuilder().setDim(0, TensorShapeProto.Dimension.newBuilder().setDimValue(rows)));
    }

    /**
     * The logistic model with a {@code Loop} of {@code steps} iterations after its probabilities, each passing them on
     * unchanged: the same answers, as slow as {@code steps} make it (a graph built to hold whoever runs it).
     */
    public static byte[] slowLoop(int width, long steps) {
        String inner = OnnxModelWriter.PROBABILITIES + "_before_loop";
        GraphProto body = GraphProto.newBuilder().setName("pass_on")
                .addInput(OnnxProtos.tensor("iteration", OnnxProtos.INT64))
                .addInput(OnnxProtos.tensor("keep_going", BOOL))
                .addInput(anyShape("carried"))
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("keep_going").addOutput("keep_going_out"))
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("carried").addOutput("carried_out"))
                .addOutput(OnnxProtos.tensor("keep_going_out", BOOL))
                .addOutput(anyShape("carried_out"))
                .build();
        return alter(logistic(width), m -> {
            GraphProto.Builder graph = m.getGraphBuilder();
            for (NodeProto.Builder node : graph.getNodeBuilderList()) {
                for (int o = 0; o < node.getOutputCount(); o++) {
                    if (node.getOutput(o).equals(OnnxModelWriter.PROBABILITIES)) {
                        node.setOutput(o, inner);
                    }
                }
            }
            graph.addInitializer(TensorProto.newBuilder().setName("steps").setDataType(OnnxProtos.INT64)
                    .addInt64Data(steps));
            graph.addInitializer(TensorProto.newBuilder().setName("always").setDataType(BOOL).addInt32Data(1));
            graph.addNode(NodeProto.newBuilder().setName("slow").setOpType("Loop").addInput("steps")
                    .addInput("always").addInput(inner).addOutput(OnnxModelWriter.PROBABILITIES)
                    .addAttribute(AttributeProto.newBuilder().setName("body").setType(AttributeProto.AttributeType.GRAPH)
                            .setG(body)));
        });
    }

    private static final int BOOL = 9;

    /** A float tensor value of two dimensions, neither fixed. */
    private static ValueInfoProto anyShape(String name) {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(name + "_rows"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(name + "_columns")).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(OnnxProtos.FLOAT).setShape(shape))).build();
    }

    /** A model ONNX Runtime cannot load: an operator that does not exist. */
    public static byte[] unknownOperator(int width) {
        return alter(logistic(width), m -> m.getGraphBuilder().addNode(NodeProto.newBuilder().setName("mystery")
                .setOpType("NoSuchOperator").addInput("input").addOutput("mystery_out")));
    }

    /** The logistic regression with its input declared as double. */
    public static byte[] doubleInput(int width) {
        return alter(logistic(width), m -> m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder()
                .setElemType(OnnxProtos.DOUBLE));
    }
}

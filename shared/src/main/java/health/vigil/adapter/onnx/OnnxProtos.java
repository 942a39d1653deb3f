package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.Locale;

/** Small builders and constants for writing and reading ONNX protobuf messages. */
final class OnnxProtos {
    static final String ML_DOMAIN = "ai.onnx.ml";
    /** Element types as numbered by {@code TensorProto.DataType}. */
    static final int FLOAT = 1;
    static final int INT64 = 7;
    static final int DOUBLE = 11;

    /** IR 8 and opsets 17 / ml 3 are old enough for every ONNX Runtime since 1.14 and cover every operator used here. */
    static final long IR_VERSION = 8;
    static final long DEFAULT_OPSET = 17;
    static final long ML_OPSET = 3;

    private OnnxProtos() {}

    static ModelProto parse(byte[] onnx) throws InvalidProtocolBufferException {
        return ModelProto.parseFrom(onnx);
    }

    static List<OperatorSetIdProto> opsets() {
        return List.of(
                OperatorSetIdProto.newBuilder().setDomain("").setVersion(DEFAULT_OPSET).build(),
                OperatorSetIdProto.newBuilder().setDomain(ML_DOMAIN).setVersion(ML_OPSET).build());
    }

    static AttributeProto ints(String name, long[] values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long v : values) {
            b.addInts(v);
        }
        return b.build();
    }

    static AttributeProto floats(String name, float[] values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS);
        for (float v : values) {
            b.addFloats(v);
        }
        return b.build();
    }

    static AttributeProto floatValue(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto intValue(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(value).build();
    }

    static AttributeProto strings(String name, List<String> values) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.STRINGS);
        for (String v : values) {
            b.addStrings(ByteString.copyFromUtf8(v));
        }
        return b.build();
    }

    static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    /** A 1-D double tensor attribute: the {@code *_as_tensor} form of ai.onnx.ml attributes. */
    static AttributeProto doubles(String name, double[] values) {
        TensorProto.Builder t = TensorProto.newBuilder().setDataType(DOUBLE).addDims(values.length);
        for (double v : values) {
            t.addDoubleData(v);
        }
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(t).build();
    }

    /** A tensor value description; a negative dimension is written as the symbolic dimension {@code N}. */
    static ValueInfoProto tensor(String name, int elementType, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0
                    ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        TypeProto.Tensor.Builder type = TypeProto.Tensor.newBuilder().setElemType(elementType).setShape(shape);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(type)).build();
    }

    /** The lower-case ONNX name of a {@code TensorProto.DataType} number, for messages and signatures. */
    static String elementTypeName(int dataType) {
        TensorProto.DataType type = TensorProto.DataType.forNumber(dataType);
        return type == null ? "type " + dataType : type.name().toLowerCase(Locale.ROOT);
    }

    /** Shortens uploader-supplied names (node names, domains) before they go into a message. */
    static String printable(String value) {
        if (value == null || value.isEmpty()) {
            return "(unnamed)";
        }
        String clean = value.replaceAll("[\\p{Cntrl}]", "?");
        return clean.length() > 80 ? clean.substring(0, 80) + "..." : clean;
    }
}

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
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import health.vigil.error.Printable;
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

    /** Far deeper than any ONNX graph's messages nest (a subgraph adds a few levels). */
    private static final int MAX_NESTING = 64;

    private OnnxProtos() {}

    /**
     * Parses a model after a scan that refuses, at any depth, a field ONNX does not declare or one with the wrong
     * wire type: protobuf keeps every unknown field on the heap, so a large model.onnx of junk would otherwise cost
     * several times its size in memory before it is found not to be a model (1 GiB of junk took over 4 GiB).
     */
    static ModelProto parse(byte[] onnx) throws InvalidProtocolBufferException {
        try {
            requireDeclaredFields(CodedInputStream.newInstance(onnx), ModelProto.getDescriptor(), 0);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
        return ModelProto.parseFrom(onnx);
    }

    private static void requireDeclaredFields(CodedInputStream in, Descriptor type, int depth) throws java.io.IOException {
        if (depth > MAX_NESTING) {
            throw new InvalidProtocolBufferException("messages nested deeper than " + MAX_NESTING);
        }
        for (int tag; (tag = in.readTag()) != 0; ) {
            int wireType = WireFormat.getTagWireType(tag);
            FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
            if (field == null || !(field.getLiteType().getWireType() == wireType
                    || field.isPackable() && wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
                throw new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag) + " (wire type "
                        + wireType + ") is not a field of " + type.getName());
            }
            if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                int limit = in.pushLimit(in.readRawVarint32());
                requireDeclaredFields(in, field.getMessageType(), depth + 1);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
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
        return value == null || value.isEmpty() ? "(unnamed)" : Printable.of(value, 80);
    }
}

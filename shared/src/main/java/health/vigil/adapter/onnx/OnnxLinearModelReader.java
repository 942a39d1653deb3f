package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.google.protobuf.InvalidProtocolBufferException;
import health.vigil.model.LinearModel;
import java.util.List;
import java.util.Optional;

/**
 * Reads a binary logistic regression back from ONNX: one ai.onnx.ml {@code LinearClassifier} with
 * {@code post_transform=LOGISTIC}, one row of coefficients and one intercept (the form
 * {@link OnnxModelWriter#logisticRegression} writes), optionally behind an {@code Imputer} that replaces
 * missing values. Anything else is not read (empty): it is not a model Vigil can explain as linear.
 */
public final class OnnxLinearModelReader {
    private OnnxLinearModelReader() {}

    public static Optional<LinearModel> read(byte[] onnx) {
        GraphProto graph;
        try {
            graph = OnnxProtos.parse(onnx).getGraph();
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
        NodeProto classifier = null;
        NodeProto imputer = null;
        for (NodeProto node : graph.getNodeList()) {
            boolean ml = node.getDomain().equals(OnnxProtos.ML_DOMAIN);
            if (ml && node.getOpType().equals("LinearClassifier") && classifier == null) {
                classifier = node;
            } else if (ml && node.getOpType().equals("Imputer") && imputer == null) {
                imputer = node;
            } else if (!List.of("Cast", "Identity", "ZipMap").contains(node.getOpType())) {
                return Optional.empty();
            }
        }
        if (classifier == null || !"LOGISTIC".equals(string(classifier, "post_transform"))) {
            return Optional.empty();
        }
        float[] coefficients = floats(classifier, "coefficients");
        float[] intercepts = floats(classifier, "intercepts");
        if (coefficients.length == 0 || intercepts.length != 1) {
            return Optional.empty();
        }
        double[] replacements = null;
        if (imputer != null) {
            float[] imputed = floats(imputer, "imputed_value_floats");
            if (imputed.length != coefficients.length || !Float.isNaN(floatValue(imputer, "replaced_value_float"))) {
                return Optional.empty();
            }
            replacements = toDoubles(imputed);
        }
        return Optional.of(new LinearModel(toDoubles(coefficients), intercepts[0], replacements));
    }

    private static AttributeProto attribute(NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElse(null);
    }

    private static String string(NodeProto node, String name) {
        AttributeProto a = attribute(node, name);
        return a == null ? "NONE" : a.getS().toStringUtf8();
    }

    private static float[] floats(NodeProto node, String name) {
        AttributeProto a = attribute(node, name);
        if (a == null) {
            return new float[0];
        }
        float[] values = new float[a.getFloatsCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = a.getFloats(i);
        }
        return values;
    }

    private static float floatValue(NodeProto node, String name) {
        AttributeProto a = attribute(node, name);
        return a == null ? 0f : a.getF();
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}

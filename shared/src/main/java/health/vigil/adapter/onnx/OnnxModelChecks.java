package health.vigil.adapter.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TrainingInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import java.util.Set;

/**
 * The checks Vigil makes on an ONNX file before ONNX Runtime sees it: no tensor may point at external data
 * (ONNX Runtime would read a file from the scoring host's disk), and every operator must come from the
 * standard domains (anything else needs a custom-operator library Vigil does not load). Every tensor and
 * node is visited: graph initializers, node attributes, nested subgraphs (If, Loop, Scan), model-local
 * functions and training graphs.
 */
final class OnnxModelChecks {
    static final Set<String> STANDARD_DOMAINS = Set.of("", "ai.onnx", OnnxProtos.ML_DOMAIN);

    private OnnxModelChecks() {}

    /** Parses the bytes and runs every check; a problem is a {@link PackageRejectedException}. */
    static ModelProto parseAndCheck(byte[] onnx) {
        if (onnx == null || onnx.length == 0) {
            throw new PackageRejectedException(Reason.ONNX_UNLOADABLE, "model.onnx is empty: export the model to ONNX again");
        }
        ModelProto model;
        try {
            model = OnnxProtos.parse(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new PackageRejectedException(Reason.ONNX_UNLOADABLE,
                    "model.onnx is not an ONNX model (it does not parse as an ONNX ModelProto)", e);
        }
        if (!model.hasGraph()) {
            throw new PackageRejectedException(Reason.ONNX_UNLOADABLE, "model.onnx has no graph: export the model to ONNX again");
        }
        for (OperatorSetIdProto opset : model.getOpsetImportList()) {
            checkOpsetDomain(opset, "the model");
        }
        checkGraph(model.getGraph());
        for (FunctionProto function : model.getFunctionsList()) {
            String where = "model-local function '" + OnnxProtos.printable(function.getName()) + "'";
            checkDomain(function.getDomain(), where);
            for (OperatorSetIdProto opset : function.getOpsetImportList()) {
                checkOpsetDomain(opset, where);
            }
            for (NodeProto node : function.getNodeList()) {
                checkNode(node);
            }
            for (AttributeProto attribute : function.getAttributeProtoList()) {
                checkAttribute(attribute, where);
            }
        }
        for (TrainingInfoProto training : model.getTrainingInfoList()) {
            if (training.hasInitialization()) {
                checkGraph(training.getInitialization());
            }
            if (training.hasAlgorithm()) {
                checkGraph(training.getAlgorithm());
            }
        }
        return model;
    }

    private static void checkGraph(GraphProto graph) {
        String where = "graph '" + OnnxProtos.printable(graph.getName()) + "'";
        for (TensorProto initializer : graph.getInitializerList()) {
            checkTensor(initializer, "initializer", where);
        }
        for (SparseTensorProto sparse : graph.getSparseInitializerList()) {
            checkSparse(sparse, "sparse initializer", where);
        }
        for (NodeProto node : graph.getNodeList()) {
            checkNode(node);
        }
    }

    private static void checkNode(NodeProto node) {
        String where = "node '" + OnnxProtos.printable(node.getName()) + "' (" + OnnxProtos.printable(node.getOpType()) + ")";
        checkDomain(node.getDomain(), where);
        for (AttributeProto attribute : node.getAttributeList()) {
            checkAttribute(attribute, where);
        }
    }

    private static void checkAttribute(AttributeProto attribute, String where) {
        String at = "attribute '" + OnnxProtos.printable(attribute.getName()) + "'";
        if (attribute.hasT()) {
            checkTensor(attribute.getT(), at, where);
        }
        for (TensorProto tensor : attribute.getTensorsList()) {
            checkTensor(tensor, at, where);
        }
        if (attribute.hasSparseTensor()) {
            checkSparse(attribute.getSparseTensor(), at, where);
        }
        for (SparseTensorProto sparse : attribute.getSparseTensorsList()) {
            checkSparse(sparse, at, where);
        }
        if (attribute.hasG()) {
            checkGraph(attribute.getG());
        }
        for (GraphProto graph : attribute.getGraphsList()) {
            checkGraph(graph);
        }
    }

    private static void checkSparse(SparseTensorProto sparse, String what, String where) {
        checkTensor(sparse.getValues(), what + " (values)", where);
        checkTensor(sparse.getIndices(), what + " (indices)", where);
    }

    private static void checkTensor(TensorProto tensor, String what, String where) {
        if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL || tensor.getExternalDataCount() > 0) {
            throw new PackageRejectedException(Reason.ONNX_EXTERNAL_DATA, "model.onnx keeps the data of tensor '"
                    + OnnxProtos.printable(tensor.getName()) + "' (" + what + " in " + where + ") in an external file;"
                    + " a package must be self-contained: save the model with all tensors inside the .onnx file"
                    + " (for example onnx.save_model(model, path, save_as_external_data=False))");
        }
    }

    private static void checkOpsetDomain(OperatorSetIdProto opset, String where) {
        if (!STANDARD_DOMAINS.contains(opset.getDomain())) {
            throw unsupportedDomain(opset.getDomain(), where + " imports an operator set from");
        }
    }

    private static void checkDomain(String domain, String where) {
        if (!STANDARD_DOMAINS.contains(domain)) {
            throw unsupportedDomain(domain, where + " uses");
        }
    }

    private static PackageRejectedException unsupportedDomain(String domain, String where) {
        return new PackageRejectedException(Reason.ONNX_UNSUPPORTED_OPERATOR_DOMAIN, "model.onnx: " + where
                + " operator domain '" + OnnxProtos.printable(domain) + "'; Vigil runs only standard operators"
                + " (domains '', 'ai.onnx' and 'ai.onnx.ml'): export the model without custom or contrib operators");
    }
}

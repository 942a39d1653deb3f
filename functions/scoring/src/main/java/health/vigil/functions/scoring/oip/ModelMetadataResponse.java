package health.vigil.functions.scoring.oip;

import java.util.List;

/** The Open Inference Protocol v2 model metadata: versions that may be asked for, platform, inputs, outputs. */
public record ModelMetadataResponse(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
        List<TensorMetadata> outputs) {

    public static final String PLATFORM = "onnxruntime_onnx";

    public ModelMetadataResponse {
        versions = List.copyOf(versions);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** A tensor's name, datatype and shape (-1 for a dimension of any size). */
    public record TensorMetadata(String name, String datatype, List<Long> shape) {
        public TensorMetadata {
            shape = List.copyOf(shape);
        }
    }
}

package health.vigil.modelpackage;

import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile;
import health.vigil.port.ModelRuntime;

/**
 * A model package that passed every check: its manifest, the ONNX model bytes, the reference profile,
 * the sha256 of the whole package and of {@code model.onnx}, and the model's signature as the runtime sees it.
 */
public record ModelPackage(
        Manifest manifest,
        byte[] onnx,
        ReferenceProfile reference,
        String packageSha256,
        String modelSha256,
        long packageSize,
        ModelRuntime.Signature signature) {

    public ModelPackage {
        onnx = onnx.clone();
    }

    @Override
    public byte[] onnx() {
        return onnx.clone();
    }
}

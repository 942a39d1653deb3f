package health.vigil.modelpackage;

import java.io.InputStream;

/**
 * Reads and validates a model package (a zip of {@code manifest.json}, {@code model.onnx} and
 * {@code reference.json}). Anything that is not a valid package is a
 * {@link health.vigil.error.PackageRejectedException} with a precise reason; nothing is half-accepted.
 */
public interface ModelPackageReader {
    ModelPackage read(InputStream zip);
}

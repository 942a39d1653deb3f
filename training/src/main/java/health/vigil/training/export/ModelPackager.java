package health.vigil.training.export;

import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.hash.Sha256;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.training.Algorithm;
import health.vigil.training.TrainedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Exports a trained model to ONNX (a TreeEnsembleClassifier for gradient-boosted trees, a LinearClassifier
 * for logistic regression, both via {@link OnnxModelWriter}) and writes its model package: manifest with
 * provenance, model.onnx, reference.json and evaluation.json.
 */
public final class ModelPackager {

    /** What was written: where, and the sizes and sha256 of the package and of model.onnx. */
    public record WrittenPackage(Path path, long packageBytes, String packageSha256, long modelBytes, String modelSha256) {}

    private ModelPackager() {}

    /** The model as ONNX bytes; equal models give equal bytes. */
    public static byte[] onnx(TrainedModel model) {
        return model.algorithm() == Algorithm.GBT
                ? OnnxModelWriter.treeEnsemble(model.ensemble())
                : OnnxModelWriter.logisticRegression(model.logistic().coefficients(), model.logistic().intercept());
    }

    /** The package's bytes; refused, in the platform's words, when the platform would refuse its manifest. */
    public static byte[] packageBytes(TrainedModel model, byte[] onnx) {
        ZipModelPackageReader.checkManifest(model.manifest());
        return ModelPackageWriter.write(model.manifest(), onnx, model.reference(), model.evaluation());
    }

    /**
     * Writes the package to {@code out} (atomically: a temporary file next to it, then a move); nothing when the
     * platform would refuse its manifest.
     */
    public static WrittenPackage write(TrainedModel model, byte[] onnx, Path out) {
        byte[] zip = packageBytes(model, onnx);
        try {
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path temporary = Files.createTempFile(parent, ".vigil-package-", ".tmp");
            try {
                Files.write(temporary, zip);
                Files.move(temporary, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model package " + out.getFileName(), e);
        }
        return new WrittenPackage(out, zip.length, Sha256.hex(zip), onnx.length, Sha256.hex(onnx));
    }
}

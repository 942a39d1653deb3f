package health.vigil.testing.samples;

import health.vigil.hash.Sha256;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ReferenceProfile;
import health.vigil.modelpackage.ModelPackageWriter;
import java.util.Objects;

/** The parts of a sample model package, and the package zip they make. */
public record SamplePackage(Manifest manifest, byte[] onnx, ReferenceProfile reference) {

    public SamplePackage {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(reference, "reference");
        onnx = onnx.clone();
    }

    @Override
    public byte[] onnx() {
        return onnx.clone();
    }

    /** The sha256 of {@code model.onnx}, as the registry records it. */
    public String modelSha256() {
        return Sha256.hex(onnx);
    }

    /** The package as a data scientist uploads it (deterministic bytes). */
    public byte[] zip() {
        return ModelPackageWriter.write(manifest, onnx, reference);
    }

    /** The same package registered under another model name, e.g. to run two models side by side in a test. */
    public SamplePackage withName(String name) {
        Manifest m = manifest;
        Manifest renamed = new Manifest(m.formatVersion(), ModelName.of(name), m.task(), m.description(), m.features(),
                m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance());
        return new SamplePackage(renamed, onnx, reference);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplePackage p && manifest.equals(p.manifest) && java.util.Arrays.equals(onnx, p.onnx)
                && reference.equals(p.reference);
    }

    @Override
    public int hashCode() {
        return Objects.hash(manifest, java.util.Arrays.hashCode(onnx), reference);
    }

    @Override
    public String toString() {
        return "SamplePackage[" + manifest.name() + ", model.onnx " + onnx.length + " bytes]";
    }
}

package health.vigil.modelpackage;

import java.util.Set;

/**
 * The entries of a model package zip, named once for the writer, the validating reader and the verified
 * extractor that scoring uses.
 */
public final class PackageEntries {
    public static final String MANIFEST = "manifest.json";
    public static final String MODEL = "model.onnx";
    public static final String REFERENCE = "reference.json";
    /** Optional: the trainer's evaluation results (any JSON object), written last. */
    public static final String EVALUATION = "evaluation.json";

    /** The entries every package holds, each exactly once. */
    public static final Set<String> REQUIRED = Set.of(MANIFEST, MODEL, REFERENCE);
    /** Entries a package may also hold. */
    public static final Set<String> OPTIONAL = Set.of(EVALUATION);

    private PackageEntries() {}
}

package health.vigil.modelpackage;

import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.Explainers;
import health.vigil.features.FeaturePipeline;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ModelRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Loads a registered version the one way every capability that runs it must (scoring, gate evaluation): reads
 * its package from the {@code models} container, checks the package's sha256 against the registry, takes
 * {@code model.onnx} out and hands it to the runtime (which checks the model's own sha256), checks that the
 * model takes what its feature pipeline produces, and builds its explainer.
 */
public final class RegisteredModelLoader {
    /** Java arrays stop a little short of Integer.MAX_VALUE. */
    private static final long LARGEST_ARRAY = Integer.MAX_VALUE - 16;

    private final ArtifactStore artifacts;
    private final ModelRuntime runtime;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final VerifiedPackageExtractor extractor;

    public RegisteredModelLoader(ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, long maxUncompressedBytes) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.extractor = new VerifiedPackageExtractor(Math.min(maxUncompressedBytes, LARGEST_ARRAY));
    }

    /**
     * A loaded version: the runtime's model (the caller closes it), its pipeline, its explainer if any (else why it
     * has none, for the gates to say), and the training reference profile when the package has one that reads.
     */
    public record Loaded(ModelRuntime.LoadedModel model, FeaturePipeline pipeline, Optional<ClinicalExplainer> explainer,
            String whyNoExplainer, Optional<ReferenceProfile> reference) {
        public Loaded {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(pipeline, "pipeline");
            Objects.requireNonNull(explainer, "explainer");
            Objects.requireNonNull(reference, "reference");
        }
    }

    public Loaded load(VersionRecord record) {
        Manifest manifest = record.manifest();
        FeaturePipeline pipeline = pipelines.apply(manifest);
        PackageParts parts = extractModel(record);
        byte[] onnx = parts.onnx();
        ModelRuntime.LoadedModel model = runtime.load(onnx, record.modelSha256(), manifest.output().onnxOutput(),
                manifest.output().positiveClassIndex());
        // A width the model declares dynamic (-1) takes the pipeline's, as the package's probe row showed it does.
        if (model.inputWidth() >= 0 && model.inputWidth() != pipeline.width()) {
            model.close();
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, record.id() + " takes " + model.inputWidth()
                    + " inputs but its feature pipeline '" + pipeline.id() + "' produces " + pipeline.width()
                    + "; the package does not match its manifest and cannot score");
        }
        Explainers.Found explanations;
        try {
            explanations = Explainers.find(runtime.structure(onnx), pipeline, parts.reference());
        } catch (RuntimeException | Error e) {
            // The caller gets no model to close: a model whose explainer cannot be built (trees without training
            // covers) would otherwise leave a runtime session open at every attempt to load it.
            try {
                model.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        return new Loaded(model, pipeline, explanations.explainer(), explanations.whyNone(), parts.reference());
    }

    /**
     * The training profile, when the package has one that reads: it only gives explanations of linear models
     * their baseline, so a profile this version of Vigil cannot read leaves them out rather than stop scoring.
     */
    private static Optional<ReferenceProfile> referenceProfile(byte[] json) {
        try {
            return Optional.of(Json.read("reference.json", json, ReferenceProfile.class));
        } catch (ValidationException unreadable) {
            return Optional.empty();
        }
    }

    /** What running a version needs from its package: the model, and the training profile (explanations' baselines). */
    private record PackageParts(byte[] onnx, Optional<ReferenceProfile> reference) {}

    private PackageParts extractModel(VersionRecord record) {
        String blob = record.packageBlob();
        if (blob == null || record.packageSha256() == null) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, record.id() + " has no package blob or package"
                    + " sha256 in the registry; register it again");
        }
        try (InputStream raw = openRegisteredPackage(record)) {
            VerifiedPackageExtractor.Contents contents = extractor.extract(raw, record.packageSha256(),
                    "the package of " + record.id() + " (blob '" + blob + "')");
            return new PackageParts(contents.onnx(),
                    contents.referenceJson().flatMap(RegisteredModelLoader::referenceProfile));
        } catch (IOException e) {
            throw new StoreException("could not read the package of " + record.id() + " (blob '" + blob + "')", e);
        }
    }

    /**
     * The bytes the version was registered with, kept under their sha256 in {@code packages}; a version registered
     * before packages were kept there is read from its upload in {@code models}, as it was then.
     */
    private InputStream openRegisteredPackage(VersionRecord record) {
        String kept = ArtifactStore.registeredPackage(record.packageSha256());
        if (artifacts.describe(ArtifactStore.PACKAGES, kept).isPresent()) {
            return artifacts.open(ArtifactStore.PACKAGES, kept);
        }
        return artifacts.open(ArtifactStore.MODELS, record.packageBlob());
    }
}

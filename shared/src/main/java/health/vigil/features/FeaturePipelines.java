package health.vigil.features;

import health.vigil.error.ErrorCode;
import health.vigil.error.Printable;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.model.Manifest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The feature pipelines this build of Vigil has, looked up by id ({@code name@version}). A package names
 * its pipeline in the manifest; one whose pipeline is not here was trained with a feature definition this
 * build does not have and cannot be served without training/serving skew, so it is refused.
 */
public final class FeaturePipelines {
    private static final FeaturePipelines STANDARD = new FeaturePipelines(List.of(
            ReadmissionFeatures.pipeline(), AdherenceFeatures.pipeline(), ComplicationsFeatures.pipeline()));

    private final Map<String, FeaturePipeline> byId = new LinkedHashMap<>();

    public FeaturePipelines(List<? extends FeaturePipeline> pipelines) {
        for (FeaturePipeline pipeline : pipelines) {
            if (Manifest.IDENTITY_PIPELINE.equals(pipeline.id())) {
                throw new IllegalArgumentException("the identity pipeline is built from each manifest's schema;"
                        + " do not register it");
            }
            if (byId.put(pipeline.id(), pipeline) != null) {
                throw new IllegalArgumentException("pipeline " + pipeline.id() + " is registered twice");
            }
        }
    }

    /** The pipelines of the three clinical models. */
    public static FeaturePipelines standard() {
        return STANDARD;
    }

    public List<FeaturePipeline> all() {
        return List.copyOf(byId.values());
    }

    public Optional<FeaturePipeline> find(String id) {
        return Optional.ofNullable(id == null ? null : byId.get(id));
    }

    /** The pipeline with this id, or UNSUPPORTED_FEATURE_PIPELINE naming the ids this build has. */
    public FeaturePipeline require(String id) {
        return find(id).orElseThrow(() -> unsupported(id));
    }

    /**
     * The input width of a registered pipeline, for a package reader checking the ONNX input; empty for
     * {@code identity} (whose width is the manifest schema's size) and for unknown ids.
     */
    public Optional<Integer> width(String id) {
        return find(id).map(FeaturePipeline::width);
    }

    /**
     * The pipeline a manifest names: the identity pipeline over its schema, or a registered one whose raw
     * schema is exactly the manifest's {@code features} (anything else would validate requests against a
     * schema the pipeline was not built for), but for the words for code patterns, which are the pipeline's: a
     * package trained before the pipeline had them is served, and refusals say them.
     */
    public FeaturePipeline forManifest(Manifest manifest) {
        if (Manifest.IDENTITY_PIPELINE.equals(manifest.featurePipeline())) {
            return new IdentityPipeline(manifest.features());
        }
        FeaturePipeline pipeline = require(manifest.featurePipeline());
        if (!pipeline.rawSchema().withoutPatternDescriptions().equals(manifest.features().withoutPatternDescriptions())) {
            throw new ValidationException(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE, "the manifest's features differ from"
                    + " the raw schema of feature pipeline '" + pipeline.id() + "'; write the pipeline's raw schema"
                    + " into the manifest (the training library does this)");
        }
        return pipeline;
    }

    /**
     * A lookup that knows only the identity pipeline (the request carries the model's inputs as they are); any
     * other pipeline is UNSUPPORTED_FEATURE_PIPELINE. Apps that ship more pipelines pass their own lookup.
     */
    public static Function<Manifest, FeaturePipeline> identityOnly() {
        return manifest -> {
            if (Manifest.IDENTITY_PIPELINE.equals(manifest.featurePipeline())) {
                return new IdentityPipeline(manifest.features());
            }
            throw new VigilException(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE, "model `" + manifest.name()
                    + "` needs feature pipeline '" + manifest.featurePipeline() + "', which this scoring app does"
                    + " not include; deploy an app version that has it, or package the model with the identity pipeline");
        };
    }

    private ValidationException unsupported(String id) {
        return new ValidationException(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE, "feature pipeline '" + printable(id)
                + "' is not in this build of Vigil (it has " + String.join(", ", byId.keySet()) + ", and identity);"
                + " retrain the model with this build's feature definitions or deploy the build it was trained with");
    }

    private static String printable(String id) {
        return Printable.of(id, 80);
    }
}

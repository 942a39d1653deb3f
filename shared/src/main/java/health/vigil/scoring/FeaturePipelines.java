package health.vigil.scoring;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.IdentityPipeline;
import health.vigil.model.Manifest;
import java.util.function.Function;

/** Finds the feature pipeline a model's manifest names. */
public final class FeaturePipelines {
    private FeaturePipelines() {}

    /**
     * Knows only the identity pipeline (the request carries the model's inputs as they are); any other
     * pipeline is UNSUPPORTED_FEATURE_PIPELINE. Apps that ship more pipelines pass their own lookup.
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
}

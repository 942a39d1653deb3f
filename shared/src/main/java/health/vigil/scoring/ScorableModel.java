package health.vigil.scoring;

import health.vigil.features.FeaturePipeline;
import health.vigil.model.ModelVersion;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.VersionRecord;
import health.vigil.port.ModelRuntime;
import health.vigil.explain.ClinicalExplainer;
import java.util.Objects;
import java.util.Optional;

/**
 * A version ready to score: its registry record (manifest and hashes; the stage may have moved on since),
 * the loaded model, its feature pipeline, the validator of the pipeline's raw schema, and its explainer when
 * the model's structure can be explained (a tree ensemble), and the training reference profile when the package
 * has one that reads (for drift checks).
 */
public record ScorableModel(VersionRecord record, ModelRuntime.LoadedModel model, FeaturePipeline pipeline,
        RecordValidator validator, Optional<ClinicalExplainer> explainer, Optional<ReferenceProfile> reference) {

    public ScorableModel(VersionRecord record, ModelRuntime.LoadedModel model, FeaturePipeline pipeline,
            RecordValidator validator) {
        this(record, model, pipeline, validator, Optional.empty(), Optional.empty());
    }

    public ScorableModel(VersionRecord record, ModelRuntime.LoadedModel model, FeaturePipeline pipeline,
            RecordValidator validator, Optional<ClinicalExplainer> explainer) {
        this(record, model, pipeline, validator, explainer, Optional.empty());
    }

    public ScorableModel {
        Objects.requireNonNull(explainer, "explainer");
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(validator, "validator");
    }

    public ModelVersion id() {
        return record.id();
    }
}

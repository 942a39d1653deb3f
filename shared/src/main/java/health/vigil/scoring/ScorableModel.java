package health.vigil.scoring;

import health.vigil.features.FeaturePipeline;
import health.vigil.model.ModelVersion;
import health.vigil.model.VersionRecord;
import health.vigil.port.ModelRuntime;
import java.util.Objects;

/**
 * A version ready to score: its registry record (manifest and hashes; the stage may have moved on since),
 * the loaded model, its feature pipeline and the validator of the pipeline's raw schema.
 */
public record ScorableModel(VersionRecord record, ModelRuntime.LoadedModel model, FeaturePipeline pipeline,
        RecordValidator validator) {

    public ScorableModel {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(validator, "validator");
    }

    public ModelVersion id() {
        return record.id();
    }
}

package health.vigil.training.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.error.PackageRejectedException;
import health.vigil.features.FeaturePipelines;
import health.vigil.model.Manifest;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingFixtures;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A package the platform would refuse for its manifest is not written, and the refusal is in the platform's words. */
class ModelPackagerTest {
    @TempDir
    Path folder;

    @Test
    void aManifestOverAnUploadLimitIsRefusedAsThePlatformRefusesItAndNoPackageIsWritten() {
        TrainedModel trained = TrainingFixtures.training().train(ClinicalModel.ADHERENCE,
                ClinicalModel.ADHERENCE.synthetic(2_000, 6).dataset(),
                TrainingSettings.defaults().withAlgorithm(Algorithm.LOGISTIC), TrainingProgress.NONE);
        Manifest m = trained.manifest();
        Manifest wordy = new Manifest(m.formatVersion(), m.name(), m.task(), "Adherence over 90 days. ".repeat(400),
                m.features(), m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(),
                m.provenance(), m.card());
        TrainedModel overLimit = new TrainedModel(trained.model(), trained.algorithm(), trained.ensemble(),
                trained.logistic(), wordy, trained.reference(), trained.evaluation());
        byte[] onnx = ModelPackager.onnx(overLimit);
        String platformSays;
        try (OrtModelRuntime runtime = new OrtModelRuntime()) {
            byte[] uploaded = ModelPackageWriter.write(wordy, onnx, trained.reference(), trained.evaluation());
            platformSays = catchThrowableOfType(() -> new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS,
                    FeaturePipelines.standard()::width).read(new ByteArrayInputStream(uploaded)),
                    PackageRejectedException.class).getMessage();
        }
        assertThat(platformSays).contains("field 'description' has 9600 characters", "at most 4000");

        Path out = folder.resolve("adherence.zip");
        assertThatThrownBy(() -> ModelPackager.write(overLimit, onnx, out)).isInstanceOf(PackageRejectedException.class)
                .hasMessage(platformSays);
        assertThat(folder).isEmptyDirectory();
    }
}

package health.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FeatureMatrix;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same raw records through the training path (the dataset's feature matrix) and through the serving
 * path (the pipeline the scoring service gets for the package's manifest, read back from its JSON, fed one
 * record at a time) give identical vectors, bit for bit.
 */
class TrainingServingParityTest {

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void trainingAndServingBuildIdenticalInputVectors(ClinicalModel model) {
        Dataset data = model.synthetic(3_000, 21).dataset();
        TrainingSettings settings = TrainingSettings.defaults().withAlgorithm(Algorithm.LOGISTIC);
        TrainedModel trained = TrainingFixtures.training().train(model, data, settings, TrainingProgress.NONE);
        Manifest shipped = Json.read("manifest.json", Json.writeBytes(trained.manifest()), Manifest.class);

        FeaturePipeline serving = FeaturePipelines.standard().forManifest(shipped);
        FeatureMatrix training = FeatureMatrix.of(model.pipeline(), data.records());
        assertThat(shipped.featurePipeline()).isEqualTo(model.pipeline().id());
        float[] vector = new float[serving.width()];
        for (int i = 0; i < data.size(); i++) {
            Map<String, Object> record = data.records().get(i);
            serving.transform(record, vector, 0);
            for (int j = 0; j < vector.length; j++) {
                assertThat(Float.floatToRawIntBits(vector[j])).as("row %d column %s", i, serving.columns().get(j))
                        .isEqualTo(Float.floatToRawIntBits(training.get(i, j)));
            }
        }
    }
}

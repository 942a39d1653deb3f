package health.vigil.training.models;

import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainingProgress;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.features.ReadmissionFeatures;
import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.monitoring.DriftCheck;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftReport.FeatureDrift;
import health.vigil.monitoring.DriftReport.Status;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.port.ModelRuntime;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.export.ModelPackager.WrittenPackage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packages {@link ReferenceModels#trainAll} writes (on fewer rows, for speed) are read by the registry's
 * reader and their {@code reference.json} drives a drift check over the pipeline's columns, which is what the
 * scoring service logs: production from the same generator is stable, older patients drift the age column.
 */
class ReferenceModelsDriftTest {
    static final int ROWS = 4_000;

    @Test
    void driftChecksReadTheReferenceOfEveryTrainedPackage(@TempDir Path folder) throws Exception {
        try (ModelRuntime runtime = new OrtModelRuntime()) {
            checkEveryPackage(runtime, folder);
        }
    }

    private static void checkEveryPackage(ModelRuntime runtime, Path folder) throws Exception {
        List<WrittenPackage> written = ReferenceModels.trainAll(folder, 11, ROWS, TrainingProgress.NONE);
        assertThat(written).hasSize(ClinicalModel.values().length);
        for (ClinicalModel model : ClinicalModel.values()) {
            ModelPackage read;
            try (InputStream in = Files.newInputStream(folder.resolve(model + ".zip"))) {
                read = new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS, FeaturePipelines.standard()::width)
                        .read(in);
            }
            Manifest manifest = read.manifest();
            FeaturePipeline pipeline = FeaturePipelines.standard().forManifest(manifest);
            assertThat(read.reference().features()).extracting(FeatureProfile::name)
                    .containsExactlyElementsOf(pipeline.columns());
            assertThat(read.reference().features()).as("every column has its mean")
                    .allSatisfy(p -> assertThat(p.mean()).isNotNull());
            DriftCheck check = DriftCheck.of(manifest.features(), pipeline.columns(), read.reference(),
                    manifest.output().threshold(), DriftThresholds.DEFAULTS);
            assertThat(check.baseline().unmonitored()).as(model.toString()).isEmpty();
            assertThat(check.baseline().width()).isEqualTo(pipeline.width());

            List<Map<String, Object>> production = model.synthetic(ROWS, 12).dataset().records();
            DriftReport same = report(runtime, check, read, pipeline, production);
            assertThat(same.features()).hasSize(pipeline.width());
            assertThat(same.features()).as(model + ": drifted columns").filteredOn(f -> f.status() == Status.DRIFTED)
                    .isEmpty();
            assertThat(same.score().status()).isEqualTo(Status.STABLE);

            String ageColumn = model == ClinicalModel.READMISSION ? "age_years" : "age";
            DriftReport older = report(runtime, check, read, pipeline,
                    production.stream().map(r -> olderBy20(model, r)).toList());
            FeatureDrift age = older.features().stream().filter(f -> f.name().equals(ageColumn)).findFirst().orElseThrow();
            System.out.printf("%s: %d columns, largest PSI %.4f on the same population; %s 20 years older: PSI %.3f,"
                    + " W1 %.1f years%n", model, same.features().size(), same.features().stream()
                    .mapToDouble(f -> f.psi() == null ? 0 : f.psi()).max().orElse(0), ageColumn, age.psi(), age.wasserstein());
            assertThat(age.status()).as(model + " " + ageColumn).isEqualTo(Status.DRIFTED);
            assertThat(age.kind()).isEqualTo("numeric");
            assertThat(age.wasserstein()).as(model + " shift in years").isBetween(10.0, 25.0);
        }
    }

    private static DriftReport report(ModelRuntime runtime, DriftCheck check, ModelPackage read,
            FeaturePipeline pipeline, List<Map<String, Object>> records) {
        FeatureMatrix x = FeatureMatrix.of(pipeline, records);
        double[] scores;
        try (ModelRuntime.LoadedModel loaded = runtime.load(read.onnx(), read.modelSha256(),
                read.manifest().output().onnxOutput(), read.manifest().output().positiveClassIndex())) {
            scores = loaded.predict(x.values(), x.rows());
        }
        return check.report(check.summarise(x.values(), scores, x.rows(), 2));
    }

    /** The record of the same patient 20 years older (readmission's age comes in ten-year bands). */
    private static Map<String, Object> olderBy20(ClinicalModel model, Map<String, Object> record) {
        Map<String, Object> older = new HashMap<>(record);
        if (model == ClinicalModel.READMISSION) {
            List<String> bands = ReadmissionFeatures.AGE_BANDS;
            int band = bands.indexOf((String) record.get(ReadmissionFeatures.AGE_BAND));
            older.put(ReadmissionFeatures.AGE_BAND, bands.get(Math.min(band + 2, bands.size() - 1)));
        } else {
            older.put("age", Math.min((Long) record.get("age") + 20, 110L));
        }
        return older;
    }
}

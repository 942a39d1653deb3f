package health.vigil.training.export;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.features.FeaturePipelines;
import health.vigil.hash.Sha256;
import health.vigil.port.ModelRuntime;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.modelpackage.PackageEntries;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainingFixtures;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FeatureMatrix;
import java.io.ByteArrayInputStream;
import java.util.Random;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The exported model.onnx, run by ONNX Runtime, gives the trainer's own probabilities within 1e-5 on
 * 12,000 rows of records with missing values; the export is byte-for-byte reproducible; the package is
 * accepted by the registry's reader.
 */
class OnnxExportTest {
    static final int ROWS = 12_000;
    static final TrainingSettings FAST = TrainingSettings.defaults()
            .withGbt(TrainingSettings.defaults().gbt().withRounds(80));
    static ModelRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = new OrtModelRuntime();
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    static TrainedModel train(ClinicalModel model, Dataset data, Algorithm algorithm, long seed) {
        return TrainingFixtures.training().train(model, data, FAST.withAlgorithm(algorithm).withSeed(seed),
                TrainingProgress.NONE);
    }

    static double worstDifference(TrainedModel trained, byte[] onnx, FeatureMatrix x) {
        try (ModelRuntime.LoadedModel loaded = runtime.load(onnx, Sha256.hex(onnx), OnnxModelWriter.PROBABILITIES,
                OnnxModelWriter.POSITIVE_CLASS_INDEX)) {
            double[] ort = loaded.predict(x.values(), x.rows());
            double worst = 0;
            for (int i = 0; i < x.rows(); i++) {
                worst = Math.max(worst, Math.abs(ort[i] - trained.probability(x.row(i))));
            }
            return worst;
        }
    }

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void onnxRuntimeReproducesTheTrainersProbabilities(ClinicalModel model) {
        Dataset data = model.synthetic(ROWS, 5).dataset();
        long withMissing = data.records().stream().filter(r -> model.pipeline().rawSchema().features().stream()
                .anyMatch(f -> !f.required() && !r.containsKey(f.name()))).count();
        assertThat(withMissing).as("rows with missing raw values").isGreaterThan(500);
        FeatureMatrix x = FeatureMatrix.of(model.pipeline(), data.records());
        for (Algorithm algorithm : Algorithm.values()) {
            TrainedModel trained = train(model, data, algorithm, 1);
            byte[] onnx = ModelPackager.onnx(trained);
            assertThat(worstDifference(trained, onnx, x)).as("%s %s", model, algorithm).isLessThan(1e-5);
        }
    }

    @Test
    void treeExportFollowsXgboostsLearnedDirectionsForNaNInputs() {
        Dataset data = ClinicalModel.COMPLICATIONS.synthetic(ROWS, 8).dataset();
        TrainedModel trained = train(ClinicalModel.COMPLICATIONS, data, Algorithm.GBT, 1);
        FeatureMatrix x = FeatureMatrix.of(ClinicalModel.COMPLICATIONS.pipeline(), data.records());
        float[] values = x.values();
        Random random = new Random(4);
        for (int i = 0; i < values.length; i++) {
            if (random.nextDouble() < 0.2) {
                values[i] = Float.NaN;
            }
        }
        FeatureMatrix holes = FeatureMatrix.copyOf(values, x.rows(), x.columns());
        assertThat(worstDifference(trained, ModelPackager.onnx(trained), holes)).isLessThan(1e-5);
    }

    @Test
    void sameDataSettingsAndSeedGiveAByteIdenticalModelOnnx() {
        Dataset data = ClinicalModel.READMISSION.synthetic(4_000, 2).dataset();
        for (Algorithm algorithm : Algorithm.values()) {
            byte[] first = ModelPackager.onnx(train(ClinicalModel.READMISSION, data, algorithm, 3));
            byte[] second = ModelPackager.onnx(train(ClinicalModel.READMISSION, data, algorithm, 3));
            assertThat(second).as(algorithm.name()).isEqualTo(first);
        }
        byte[] otherSeed = ModelPackager.onnx(train(ClinicalModel.READMISSION, data, Algorithm.GBT, 4));
        assertThat(otherSeed).isNotEqualTo(ModelPackager.onnx(train(ClinicalModel.READMISSION, data, Algorithm.GBT, 3)));
    }

    @Test
    void thePackageIsAcceptedByTheRegistryReaderWithProvenanceAndEvaluation() throws Exception {
        Dataset data = ClinicalModel.ADHERENCE.synthetic(3_000, 6).dataset();
        TrainedModel trained = train(ClinicalModel.ADHERENCE, data, Algorithm.GBT, 1);
        byte[] onnx = ModelPackager.onnx(trained);
        byte[] zip = ModelPackager.packageBytes(trained, onnx);
        ModelPackage read = new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS,
                FeaturePipelines.standard()::width).read(new ByteArrayInputStream(zip));
        assertThat(read.modelSha256()).isEqualTo(Sha256.hex(onnx));
        assertThat(read.manifest().featurePipeline()).isEqualTo(ClinicalModel.ADHERENCE.pipeline().id());
        assertThat(read.manifest().provenance().datasetSha256()).isEqualTo(data.sha256());
        assertThat(read.manifest().provenance().datasetRows()).isEqualTo(data.size());
        assertThat(read.manifest().provenance().seed()).isEqualTo(1L);
        assertThat(read.manifest().provenance().parameters()).containsEntry("featureVersion",
                ClinicalModel.ADHERENCE.pipeline().version()).containsKey("gbt.rounds");
        assertThat(read.manifest().provenance().libraries()).containsKey("xgboost4j");
        assertThat(read.reference().features()).hasSize(ClinicalModel.ADHERENCE.pipeline().width());
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            java.util.List<String> names = new java.util.ArrayList<>();
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
            assertThat(names).containsExactly(PackageEntries.MANIFEST, PackageEntries.MODEL,
                    PackageEntries.REFERENCE, PackageEntries.EVALUATION);
        }
    }
}

package health.vigil.testing.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.config.VigilConfig;
import health.vigil.features.FeaturePipelines;
import health.vigil.features.IdentityPipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureType;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import health.vigil.monitoring.DriftCheck;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.port.ModelRuntime;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ZipModelPackageReader;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleModelsTest {

    @Test
    void theSameSeedGivesTheSameCohortModelsAndPackages() {
        assertThat(SampleModels.readmissionCohort(300, 5)).isEqualTo(SampleModels.readmissionCohort(300, 5));
        assertThat(SampleModels.readmissionCohort(300, 5)).isNotEqualTo(SampleModels.readmissionCohort(300, 6));
        assertThat(SampleModels.readmissionLogistic().zip()).isEqualTo(SampleModels.readmissionLogistic().zip());
        assertThat(SampleModels.readmissionTrees().zip()).isEqualTo(SampleModels.readmissionTrees().zip());
        assertThat(SampleModels.benchmarkRows(10, 1)).isEqualTo(SampleModels.benchmarkRows(10, 1));
    }

    @Test
    void cohortRecordsRespectTheSchemaAndMatchTheirModelInputs() {
        SyntheticCohort cohort = SampleModels.readmissionCohort(5_000, 17);
        IdentityPipeline pipeline = new IdentityPipeline(cohort.schema());
        int missingStay = 0;
        int readmitted = 0;
        for (int r = 0; r < cohort.rows(); r++) {
            Map<String, Object> record = cohort.records().get(r);
            for (Feature feature : cohort.schema().features()) {
                Object value = record.get(feature.name());
                if (value == null) {
                    assertThat(feature.required()).as(feature.name()).isFalse();
                    continue;
                }
                switch (feature.type()) {
                    case INTEGER -> assertThat(value).isInstanceOf(Long.class);
                    case NUMERIC -> assertThat(value).isInstanceOf(Double.class);
                    case BOOLEAN -> assertThat(value).isInstanceOf(Boolean.class);
                    case CATEGORICAL -> assertThat(feature.categories()).contains((String) value);
                }
                if (feature.type() == FeatureType.INTEGER || feature.type() == FeatureType.NUMERIC) {
                    assertThat(((Number) value).doubleValue()).as(feature.name()).isBetween(feature.min(), feature.max());
                }
            }
            float[] encoded = new float[cohort.width()];
            pipeline.transform(record, encoded, 0);
            assertThat(cohort.row(r)).containsExactly(encoded);
            missingStay += record.containsKey("length_of_stay_days") ? 0 : 1;
            readmitted += cohort.outcomes()[r] ? 1 : 0;
        }
        assertThat(missingStay / 5_000.0).isCloseTo(0.08, within(0.015));
        assertThat(readmitted / 5_000.0).as("a plausible 30-day readmission rate").isBetween(0.08, 0.25);
    }

    @Test
    void bothReadmissionModelsRankPatientsByRiskOnAFreshCohort() {
        SyntheticCohort fresh = SampleModels.readmissionCohort(6_000, 2024);
        TreeEnsemble trees = SampleModels.readmissionTreeEnsemble();
        double[] logistic = new double[fresh.rows()];
        double[] boosted = new double[fresh.rows()];
        double meanLogistic = 0;
        int outcomes = 0;
        for (int r = 0; r < fresh.rows(); r++) {
            float[] row = fresh.row(r);
            logistic[r] = SampleModels.readmissionLogisticProbability(row);
            boosted[r] = trees.probability(SampleModels.toDoubles(row));
            meanLogistic += logistic[r] / fresh.rows();
            outcomes += fresh.outcomes()[r] ? 1 : 0;
        }
        double trueAuc = auc(fresh.trueRisk(), fresh.outcomes());

        // The same function of the inputs, but the model sees them as floats: ranks may differ on near-ties only.
        assertThat(auc(logistic, fresh.outcomes())).as("the logistic model is the true risk model")
                .isCloseTo(trueAuc, within(1e-4));
        // Published 30-day readmission models reach AUCs of about 0.6-0.75; the simulation sits in that range.
        assertThat(trueAuc).isBetween(0.65, 0.8);
        assertThat(auc(boosted, fresh.outcomes())).as("boosted trees with random splits")
                .isGreaterThan(0.64).isLessThanOrEqualTo(trueAuc + 0.01);
        assertThat(meanLogistic).as("calibrated").isCloseTo((double) outcomes / fresh.rows(), within(0.015));
    }

    @Test
    void theTreeEnsembleHasConsistentCovers() {
        TreeEnsemble ensemble = SampleModels.readmissionTreeEnsemble();

        assertThat(ensemble.trees()).hasSize(30);
        assertThat(ensemble.featureCount()).isEqualTo(6);
        for (TreeEnsemble.Tree tree : ensemble.trees()) {
            assertThat(tree.size()).isBetween(3, 15);
            for (int i = 0; i < tree.size(); i++) {
                assertThat(tree.cover()[i]).isPositive();
                if (!tree.isLeaf(i)) {
                    assertThat(tree.cover()[i])
                            .isCloseTo(tree.cover()[tree.trueChild()[i]] + tree.cover()[tree.falseChild()[i]], within(1e-9));
                }
            }
        }
    }

    @Test
    void theBenchmarkEnsembleHasTheSizeOfAProductionModel() {
        TreeEnsemble ensemble = SampleModels.benchmarkEnsemble(SampleModels.SEED);

        assertThat(ensemble.featureCount()).isEqualTo(30);
        assertThat(ensemble.trees()).hasSize(200).allSatisfy(tree -> {
            assertThat(tree.size()).isEqualTo(127);
            assertThat(depth(tree, 0)).isEqualTo(6);
        });
        float[] rows = SampleModels.benchmarkRows(10_000, 3);
        long missing = 0;
        for (float v : rows) {
            missing += Float.isNaN(v) ? 1 : 0;
        }
        assertThat(missing / (double) rows.length).isCloseTo(0.02, within(0.003));
    }

    @Test
    void everySamplePackageIsAcceptedByTheRegistryAndScoresAsItsJavaModel() {
        try (OrtModelRuntime runtime = new OrtModelRuntime()) {
            ZipModelPackageReader reader = new ZipModelPackageReader(runtime, VigilConfig.Limits.DEFAULTS);
            for (SamplePackage sample : new SamplePackage[] {SampleModels.readmissionLogistic(),
                    SampleModels.readmissionTrees(), SampleModels.benchmarkPackage()}) {
                ModelPackage read = reader.read(new ByteArrayInputStream(sample.zip()));
                assertThat(read.manifest()).isEqualTo(sample.manifest());
                assertThat(read.modelSha256()).isEqualTo(sample.modelSha256());
            }
            SamplePackage bench = SampleModels.benchmarkPackage();
            TreeEnsemble ensemble = SampleModels.benchmarkEnsemble(SampleModels.SEED);
            float[] rows = SampleModels.benchmarkRows(500, 8);
            try (ModelRuntime.LoadedModel model = runtime.load(bench.onnx(), bench.modelSha256(), "probabilities", 1)) {
                double[] p = model.predict(rows, 500);
                for (int r = 0; r < 500; r++) {
                    double[] row = new double[30];
                    for (int c = 0; c < 30; c++) {
                        row[c] = rows[r * 30 + c];
                    }
                    assertThat(p[r]).isCloseTo(ensemble.probability(row), within(1e-5));
                }
            }
        }
    }

    @Test
    void theReferenceProfileDescribesTheTrainingCohort() {
        SamplePackage sample = SampleModels.readmissionLogistic();
        ReferenceProfile profile = sample.reference();
        SyntheticCohort cohort = SampleModels.readmissionCohort();

        assertThat(profile.rows()).isEqualTo(SampleModels.TRAINING_ROWS);
        assertThat(profile.features()).extracting(ReferenceProfile.FeatureProfile::name)
                .containsExactlyElementsOf(cohort.schema().names());
        long missingStay = cohort.records().stream().filter(r -> !r.containsKey("length_of_stay_days")).count();
        for (ReferenceProfile.FeatureProfile feature : profile.features()) {
            if (feature.binEdges() != null) {
                assertThat(feature.proportions().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-9));
            } else {
                assertThat(feature.categoryFrequencies().values().stream().mapToDouble(Double::doubleValue).sum())
                        .isCloseTo(1.0, within(1e-9));
            }
        }
        ReferenceProfile.FeatureProfile stay = profile.features().get(5);
        assertThat(stay.missingRate()).isEqualTo((double) missingStay / cohort.rows());
        assertThat(profile.features().get(4).categoryFrequencies()).containsOnlyKeys("emergency", "urgent", "elective");
        assertThat(profile.features().get(3).categoryFrequencies()).containsOnlyKeys("false", "true");
        // Age deciles of the cohort, counted by brute force.
        ReferenceProfile.FeatureProfile age = profile.features().get(0);
        for (int bin = 0; bin < age.proportions().size(); bin++) {
            double low = age.binEdges().get(bin);
            double high = age.binEdges().get(bin + 1);
            boolean last = bin == age.proportions().size() - 1;
            long inBin = cohort.records().stream().map(r -> ((Long) r.get("age")).doubleValue())
                    .filter(a -> a >= low && (last ? a <= high : a < high)).count();
            assertThat(age.proportions().get(bin)).isEqualTo((double) inBin / cohort.rows());
        }
        // The mean age, as explanations of the logistic sample measure inputs against it.
        assertThat(age.mean()).isCloseTo(cohort.records().stream().mapToDouble(r -> ((Long) r.get("age")).doubleValue())
                .average().orElseThrow(), within(1e-9));
        assertThat(profile.score()).isNotNull();
        assertThat(profile.score().binEdges()).hasSizeGreaterThan(5);
    }

    @Test
    void driftChecksReadEverySamplesReferenceProfile() {
        for (SamplePackage sample : List.of(SampleModels.readmissionLogistic(), SampleModels.readmissionTrees(),
                SampleModels.benchmarkPackage())) {
            var manifest = sample.manifest();
            DriftCheck check = DriftCheck.of(manifest.features(),
                    FeaturePipelines.standard().forManifest(manifest).columns(), sample.reference(),
                    manifest.output().threshold(), DriftThresholds.DEFAULTS);
            assertThat(check.baseline().unmonitored()).as(manifest.name().value()).isEmpty();
            assertThat(check.baseline().width()).isEqualTo(manifest.features().size());
        }
        // Patients from the same population (another seed) show no drift against the logistic sample's reference.
        SamplePackage logistic = SampleModels.readmissionLogistic();
        DriftCheck check = DriftCheck.of(logistic.manifest().features(), logistic.reference(),
                logistic.manifest().output().threshold(), DriftThresholds.DEFAULTS);
        SyntheticCohort production = SampleModels.readmissionCohort(5_000, 99);
        double[] scores = new double[production.rows()];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = SampleModels.readmissionLogisticProbability(production.row(r));
        }
        DriftReport report = check.report(check.summarise(production.inputs(), scores, production.rows(), 1));
        assertThat(report.features()).hasSize(6).extracting(DriftReport.FeatureDrift::status)
                .containsOnly(DriftReport.Status.STABLE);
        assertThat(report.score().status()).isEqualTo(DriftReport.Status.STABLE);
    }

    @Test
    void aRenamedSampleKeepsEverythingElse() {
        SamplePackage sample = SampleModels.readmissionLogistic();
        SamplePackage renamed = sample.withName("readmission-canary");

        assertThat(renamed.manifest().name().value()).isEqualTo("readmission-canary");
        assertThat(renamed.onnx()).isEqualTo(sample.onnx());
        assertThat(renamed.manifest().features()).isEqualTo(sample.manifest().features());
    }

    /** Area under the ROC curve by comparing every positive with every negative (ties count one half). */
    private static double auc(double[] scores, boolean[] outcomes) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.length; i++) {
            if (!outcomes[i]) {
                continue;
            }
            for (int j = 0; j < scores.length; j++) {
                if (outcomes[j]) {
                    continue;
                }
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    private static int depth(TreeEnsemble.Tree tree, int node) {
        return tree.isLeaf(node) ? 0
                : 1 + Math.max(depth(tree, tree.trueChild()[node]), depth(tree, tree.falseChild()[node]));
    }
}

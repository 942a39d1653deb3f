package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeaturePipelinesTest {
    private final FeaturePipelines pipelines = FeaturePipelines.standard();

    private static Manifest manifest(FeatureSchema features, String pipeline) {
        Provenance provenance = new Provenance("0".repeat(64), 10, null, "abc", false, "test", 1L, null, null,
                null, null, null);
        return new Manifest(Manifest.FORMAT_VERSION, ModelName.of("readmission"), Manifest.BINARY_CLASSIFICATION,
                "d", features, pipeline, new OutputSpec("probabilities", 1, "readmitted", 0.5), "use", List.of(),
                "team", provenance);
    }

    @Test
    void findsEachClinicalPipelineByItsVersionedId() {
        assertThat(pipelines.all()).extracting(FeaturePipeline::id)
                .allMatch(id -> id.matches("(readmission|adherence|complications)@[0-9a-f]{8}"));
        FeaturePipeline readmission = ReadmissionFeatures.pipeline();
        assertThat(pipelines.require(readmission.id())).isSameAs(readmission);
        assertThat(pipelines.width(readmission.id())).contains(readmission.width());
        assertThat(pipelines.width("identity")).isEmpty();
        assertThat(pipelines.find("readmission@00000000")).isEmpty();
    }

    @Test
    void refusesAPipelineVersionItDoesNotHave() {
        assertThatThrownBy(() -> pipelines.forManifest(manifest(ReadmissionFeatures.pipeline().rawSchema(),
                "readmission@deadbeef")))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE);
                    assertThat(e.getMessage()).contains("readmission@deadbeef").contains(ReadmissionFeatures.pipeline().id());
                });
    }

    @Test
    void refusesAManifestWhoseRawSchemaDiffersFromThePipelines() {
        List<Feature> features = new ArrayList<>(ReadmissionFeatures.pipeline().rawSchema().features());
        features.remove(features.size() - 1);
        assertThatThrownBy(() -> pipelines.forManifest(manifest(new FeatureSchema(features),
                ReadmissionFeatures.pipeline().id())))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE));
    }

    @Test
    void servesTheRegisteredPipelineAndBuildsIdentityFromTheSchema() {
        DefinedPipeline readmission = ReadmissionFeatures.pipeline();
        assertThat(pipelines.forManifest(manifest(readmission.rawSchema(), readmission.id()))).isSameAs(readmission);
        FeatureSchema plain = new FeatureSchema(List.of(Feature.numeric("x", "mg", 0, 1)));
        assertThat(pipelines.forManifest(manifest(plain, "identity"))).isInstanceOf(IdentityPipeline.class);
    }

    @Test
    void theWordsForACodesPatternChangeNeitherThePipelinesVersionNorWhichManifestsItServes() {
        DefinedPipeline readmission = ReadmissionFeatures.pipeline();
        assertThat(readmission.rawSchema().get(readmission.rawSchema().indexOf("diag_1").orElseThrow())
                .patternDescription()).isEqualTo(Icd9Groups.PATTERN_IN_WORDS);
        // A package trained before the pipeline had the words names its schema without them, and is still served.
        FeatureSchema before = readmission.rawSchema().withoutPatternDescriptions();
        assertThat(before).isNotEqualTo(readmission.rawSchema());
        assertThat(pipelines.forManifest(manifest(before, readmission.id()))).isSameAs(readmission);
        assertThat(new DefinedPipeline("readmission", before, ReadmissionFeatures.columns()).id())
                .isEqualTo(readmission.id());
    }

    @Test
    void anyChangeToTheDefinitionChangesTheVersion() {
        DefinedPipeline base = new DefinedPipeline("toy-model", new FeatureSchema(List.of(
                Feature.numeric("x", "mg", 0, 10).optional())), List.of(Columns.value("x", 1.0), Columns.missing("x")));
        DefinedPipeline sameAgain = new DefinedPipeline("toy-model", new FeatureSchema(List.of(
                Feature.numeric("x", "mg", 0, 10).optional())), List.of(Columns.value("x", 1.0), Columns.missing("x")));
        DefinedPipeline otherFill = new DefinedPipeline("toy-model", new FeatureSchema(List.of(
                Feature.numeric("x", "mg", 0, 10).optional())), List.of(Columns.value("x", 2.0), Columns.missing("x")));
        DefinedPipeline otherRange = new DefinedPipeline("toy-model", new FeatureSchema(List.of(
                Feature.numeric("x", "mg", 0, 20).optional())), List.of(Columns.value("x", 1.0), Columns.missing("x")));
        DefinedPipeline otherUnit = new DefinedPipeline("toy-model", new FeatureSchema(List.of(
                Feature.numeric("x", "g", 0, 10).optional())), List.of(Columns.value("x", 1.0), Columns.missing("x")));
        assertThat(sameAgain.id()).isEqualTo(base.id());
        assertThat(List.of(otherFill.id(), otherRange.id(), otherUnit.id())).doesNotContain(base.id()).doesNotHaveDuplicates();
    }

    @Test
    void identityCannotServeCodes() {
        FeatureSchema withCode = new FeatureSchema(List.of(Feature.code("diag", Icd9Groups.PATTERN)));
        assertThatThrownBy(() -> new IdentityPipeline(withCode)).isInstanceOfSatisfying(ValidationException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE));
    }

    @Test
    void everyColumnIsFiniteForASparseAndAFullReadmissionRecord() {
        DefinedPipeline pipeline = ReadmissionFeatures.pipeline();
        java.util.Map<String, Object> sparse = new java.util.HashMap<>();
        sparse.put("age_band", "[70-80)");
        for (String count : List.of("time_in_hospital", "num_lab_procedures", "num_procedures", "num_medications",
                "number_outpatient", "number_emergency", "number_inpatient", "number_diagnoses")) {
            sparse.put(count, 1L);
        }
        sparse.put("max_glu_serum", "None");
        sparse.put("A1Cresult", ">8");
        sparse.put("insulin", "Up");
        sparse.put("medication_change", true);
        sparse.put("diabetes_medication", true);
        new RawRecordValidator(pipeline.rawSchema()).validate(sparse, "record");
        float[] x = pipeline.transform(sparse);
        List<String> columns = pipeline.columns();
        for (int i = 0; i < x.length; i++) {
            assertThat(x[i]).as(columns.get(i)).isFinite();
        }
        assertThat(x[columns.indexOf("age_years")]).isEqualTo(75f);
        assertThat(x[columns.indexOf("diag_1_missing")]).isEqualTo(1f);
        assertThat(x[columns.indexOf("prior_visits")]).isEqualTo(3f);
        sparse.put("diag_1", "428.0");
        x = pipeline.transform(sparse);
        assertThat(x[columns.indexOf("diag_1_group=circulatory")]).isEqualTo(1f);
        assertThat(x[columns.indexOf("diag_1_missing")]).isZero();
    }
}

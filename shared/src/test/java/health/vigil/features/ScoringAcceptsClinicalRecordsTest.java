package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.scoring.FeatureValidationException;
import health.vigil.scoring.RecordValidator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A raw readmission record as a client sends it to /score/readmission passes the scoring service's
 * validation (ICD-9 codes included) and becomes exactly the vector the pipeline gives the same record.
 */
class ScoringAcceptsClinicalRecordsTest {
    private static final String RECORD = """
            {"race": "AfricanAmerican", "gender": "Male", "age_band": "[60-70)", "admission_type": "emergency",
             "discharge_disposition": "facility", "time_in_hospital": 5, "num_lab_procedures": 44,
             "num_procedures": 1, "num_medications": 18, "number_outpatient": 0, "number_emergency": 1,
             "number_inpatient": 2, "number_diagnoses": 9, "diag_1": "428.0", "diag_2": "250.02",
             "diag_3": "V45.81", "max_glu_serum": "None", "A1Cresult": ">8", "insulin": "Up",
             "medication_change": true, "diabetes_medication": true}
            """;

    private static Map<String, JsonNode> parse(String body) {
        try {
            return Json.mapper().readValue(body, new TypeReference<Map<String, JsonNode>>() {});
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void validatedRecordTransformsLikeTheTrainingRecord() {
        DefinedPipeline pipeline = ReadmissionFeatures.pipeline();
        Map<String, Object> validated = new RecordValidator(pipeline.rawSchema()).validate(parse(RECORD));
        new RawRecordValidator(pipeline.rawSchema()).validate(validated, "request");
        float[] x = pipeline.transform(validated);
        assertThat(x[pipeline.columns().indexOf("diag_1_group=circulatory")]).isEqualTo(1f);
        assertThat(x[pipeline.columns().indexOf("diag_2_group=diabetes")]).isEqualTo(1f);
        assertThat(x[pipeline.columns().indexOf("diag_3_group=other")]).isEqualTo(1f);
        assertThat(x[pipeline.columns().indexOf("admission_source_missing")]).isEqualTo(1f);
        assertThat(x[pipeline.columns().indexOf("age_years")]).isEqualTo(65f);
    }

    @Test
    void aMalformedDiagnosisCodeIsA400ThatDoesNotEchoTheCode() {
        String bad = RECORD.replace("\"428.0\"", "\"4280X\"");
        FeatureValidationException e = catchThrowableOfType(FeatureValidationException.class,
                () -> new RecordValidator(ReadmissionFeatures.pipeline().rawSchema()).validate(parse(bad)));
        assertThat(e).isNotNull();
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).contains("diag_1").doesNotContain("4280X");
    }
}

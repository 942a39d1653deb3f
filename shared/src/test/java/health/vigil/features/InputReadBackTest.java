package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the prediction log keeps of a request is its model inputs: the clinical pipelines give back the fields the
 * segments are judged by, exactly, missing included, and refuse the ones they do not keep.
 */
class InputReadBackTest {

    @Test
    void readmissionGivesBackRaceGenderAndAgeBandAndNotItsDiagnosisCodes() {
        DefinedPipeline pipeline = ReadmissionFeatures.pipeline();
        for (String race : new String[] {"Caucasian", "AfricanAmerican", "Hispanic", "Asian", "Other", null}) {
            for (String gender : new String[] {"Female", "Male", null}) {
                for (String band : ReadmissionFeatures.AGE_BANDS) {
                    Map<String, Object> request = new HashMap<>(Map.of("time_in_hospital", 3L,
                            "num_lab_procedures", 40L, "num_procedures", 1L, "num_medications", 10L,
                            "number_outpatient", 0L, "number_emergency", 0L, "number_inpatient", 1L,
                            "number_diagnoses", 7L, "max_glu_serum", "None", "A1Cresult", "None"));
                    request.putAll(Map.of("insulin", "No", "medication_change", false, "diabetes_medication", true));
                    request.put(ReadmissionFeatures.RACE, race);
                    request.put(ReadmissionFeatures.GENDER, gender);
                    request.put(ReadmissionFeatures.AGE_BAND, band);
                    float[] inputs = pipeline.transform(request);
                    assertThat(pipeline.readBack("race").orElseThrow().apply(inputs)).isEqualTo(race);
                    assertThat(pipeline.readBack("gender").orElseThrow().apply(inputs)).isEqualTo(gender);
                    assertThat(pipeline.readBack("age_band").orElseThrow().apply(inputs)).isEqualTo(band);
                }
            }
        }
        assertThat(pipeline.readBack("diag_1")).as("a code is grouped, not kept").isEmpty();
        assertThat(pipeline.readBack("payer")).isEmpty();
    }

    @Test
    void adherenceGivesBackAgeInYearsAndSexAndComplicationsKeepsThemAlike() {
        DefinedPipeline pipeline = AdherenceFeatures.pipeline();
        for (String sex : new String[] {"Female", "Male", null}) {
            Map<String, Object> request = new HashMap<>(Map.of("age", 83L, "drug_class", "statin",
                    "chronic_medications", 3L, "mail_order", false, "fill_1_days_before", 95L, "fill_1_supply_days", 90L));
            request.put("sex", sex);
            float[] inputs = pipeline.transform(request);
            assertThat(pipeline.readBack("age").orElseThrow().apply(inputs)).isEqualTo(83L);
            assertThat(pipeline.readBack("sex").orElseThrow().apply(inputs)).isEqualTo(sex);
        }
        assertThat(ComplicationsFeatures.pipeline().readBack("age")).isPresent();
        assertThat(ComplicationsFeatures.pipeline().readBack("sex")).isPresent();
    }
}

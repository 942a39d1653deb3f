package health.vigil.platform;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One synthetic readmission patient, scored through the platform's scoring service as a request would be. */
final class TestPatient {
    private TestPatient() {}

    /** The version that scored the patient under the model's current deployment. */
    static int scoredVersion(VigilPlatform platform, ModelName model) {
        Map<String, JsonNode> features = new LinkedHashMap<>();
        JsonNode record = Json.readTree("the test patient", ("{\"age\": 71, \"prior_inpatient_stays\": 2, \"hba1c\": 8.4,"
                + " \"on_insulin\": true, \"admission_type\": \"emergency\", \"length_of_stay_days\": 5}")
                .getBytes(StandardCharsets.UTF_8));
        record.fields().forEachRemaining(e -> features.put(e.getKey(), e.getValue()));
        return platform.scoring().score(new ScoreRequest(model, null, List.of(new PatientRow("patient-1", features))))
                .row(0).version();
    }
}

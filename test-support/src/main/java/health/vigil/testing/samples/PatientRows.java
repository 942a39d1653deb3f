package health.vigil.testing.samples;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.scoring.PatientRow;
import java.util.LinkedHashMap;
import java.util.Map;

/** Raw synthetic records (a cohort's or a dataset's) as the rows a scoring request carries. */
public final class PatientRows {
    private PatientRows() {}

    /** {@code record}'s values as JSON, in its order, for the patient {@code patientId}. */
    public static PatientRow of(String patientId, Map<String, ?> record) {
        Map<String, JsonNode> features = new LinkedHashMap<>();
        record.forEach((k, v) -> features.put(k, Json.mapper().valueToTree(v)));
        return new PatientRow(patientId, features);
    }
}

package health.vigil.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One patient in a scoring request: the caller's identifier (pseudonymised before anything else happens to
 * it) and the raw feature values by name, as they came in the JSON body. A JSON null stays a null value.
 */
public record PatientRow(String patientId, Map<String, JsonNode> features) {
    public PatientRow {
        features = features == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(features));
    }

    /** Names only: the identifier and the values are patient data and must never reach a log. */
    @Override
    public String toString() {
        return "PatientRow[features=" + features.keySet() + "]";
    }
}

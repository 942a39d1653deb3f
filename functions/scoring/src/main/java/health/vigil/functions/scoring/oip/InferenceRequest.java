package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An Open Inference Protocol v2 inference request. Vigil needs {@code parameters.patient_ids}, one patient
 * identifier per row, besides one input tensor per feature; {@code outputs} optionally picks outputs.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceRequest(String id, Map<String, JsonNode> parameters, List<InferenceInput> inputs,
        List<RequestedOutput> outputs) {

    public static final String PATIENT_IDS = "patient_ids";

    public InferenceRequest {
        parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        inputs = inputs == null ? List.of() : Collections.unmodifiableList(new java.util.ArrayList<>(inputs));
        outputs = outputs == null ? null : Collections.unmodifiableList(new java.util.ArrayList<>(outputs));
    }

    /** Patient ids and values must never be printed. */
    @Override
    public String toString() {
        return "InferenceRequest[id=" + id + ", inputs=" + inputs + ", parameters=" + parameters.keySet() + "]";
    }
}

package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * An Open Inference Protocol v2 inference response: {@code probability} (FP64) and {@code decision} (BOOL)
 * outputs with one value per row, and in {@code parameters} the prediction id, version and slot of each row.
 * {@code model_version} is set when one version scored every row (a batch may be split by a canary).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceResponse(
        @JsonProperty("model_name") String modelName,
        @JsonProperty("model_version") String modelVersion,
        String id,
        Map<String, Object> parameters,
        List<InferenceOutput> outputs) {

    public static final String PREDICTION_IDS = "prediction_ids";
    public static final String MODEL_VERSIONS = "model_versions";
    public static final String SLOTS = "slots";

    public InferenceResponse {
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        outputs = List.copyOf(outputs);
    }
}

package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One input tensor of an Open Inference Protocol v2 request: here, one feature's values for every patient
 * in the batch ({@code shape} [N] or [N, 1]), as a flat or nested JSON array in {@code data}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceInput(String name, List<Long> shape, String datatype, Map<String, JsonNode> parameters,
        JsonNode data) {

    public InferenceInput {
        shape = shape == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(shape));
        parameters = parameters == null ? null : Map.copyOf(parameters);
    }

    /** The data are patient values: never print them. */
    @Override
    public String toString() {
        return "InferenceInput[name=" + name + ", shape=" + shape + ", datatype=" + datatype + "]";
    }
}

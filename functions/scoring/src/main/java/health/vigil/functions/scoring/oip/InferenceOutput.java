package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** One output tensor of an Open Inference Protocol v2 response. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceOutput(String name, String datatype, List<Long> shape, Map<String, Object> parameters,
        List<?> data) {

    public InferenceOutput {
        shape = List.copyOf(shape);
        parameters = parameters == null ? null : Map.copyOf(parameters);
        data = List.copyOf(data);
    }
}

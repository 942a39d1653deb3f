package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** An output the caller asks for by name in an Open Inference Protocol request. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RequestedOutput(String name, Map<String, JsonNode> parameters) {}

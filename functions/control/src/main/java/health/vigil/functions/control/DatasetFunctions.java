package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.json.Json;
import health.vigil.gates.EvaluationDataset;
import health.vigil.gates.EvaluationDatasets;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Evaluation datasets the platform owns: registration (role {@code Datasets.Register}) and listing. */
public final class DatasetFunctions {
    private final EvaluationDatasets datasets;
    private final HttpApi http;

    public DatasetFunctions(VigilPlatform platform, HttpApi http) {
        this.datasets = platform.datasets();
        this.http = http;
    }

    @FunctionName("RegisterDataset")
    public HttpResponseMessage register(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "datasets",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DATASETS_REGISTER), call -> {
            JsonNode body = RequestFields.object(call, "{\"model\": \"readmission\", \"label\": \"readmitted\", \"csv\": \"...\"}");
            RequestFields.requireKnown(body, Set.of("model", "fileName", "label", "ageColumn", "sexColumn", "segments",
                    "csv"), "the dataset registration");
            JsonNode csv = body.path("csv");
            if (!csv.isTextual()) {
                throw Json.missingOrWrongType(csv, "send the CSV file's text as \"csv\", with \"model\","
                        + " \"label\" and the segment columns (\"ageColumn\", \"sexColumn\", \"segments\")");
            }
            if (!Json.isIntactText(csv.asText())) {
                throw new ValidationException("the dataset's text holds U+FFFD or half a surrogate pair: bytes that were"
                        + " not UTF-8 were replaced on the way; save the file as UTF-8 and send it again");
            }
            EvaluationDataset.Declaration declaration = new EvaluationDataset.Declaration(
                    RequestFields.text(body, "model", "\"readmission\""),
                    RequestFields.text(body, "fileName", "\"evaluation-2026-12.csv\""),
                    RequestFields.text(body, "label", "\"readmitted\""),
                    RequestFields.text(body, "ageColumn", "\"age\""), RequestFields.text(body, "sexColumn", "\"sex\""),
                    segments(body.get("segments")));
            byte[] file = csv.asText().getBytes(StandardCharsets.UTF_8);
            EvaluationDataset dataset = datasets.register(declaration, file, call.principal());
            // The manifest, and how much of the file the newest version reads (not stored: the next version may differ).
            ObjectNode answer = Json.mapper().valueToTree(dataset);
            datasets.newestVersionCoverage(dataset, file)
                    .ifPresent(coverage -> answer.set("newestVersion", Json.mapper().valueToTree(coverage)));
            return Reply.of(201, answer);
        });
    }

    @FunctionName("ListDatasets")
    public HttpResponseMessage list(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "datasets",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> Map.of("datasets",
                datasets.list(call.queryParam("model").map(ModelName::new))));
    }

    /**
     * The declared segment columns: a list of column names, or none. Anything else is refused rather than read as
     * no segments: the gates would then judge the model on no segment at all, and say nothing about it.
     */
    private static List<String> segments(JsonNode value) {
        List<String> segments = new ArrayList<>();
        if (value == null || value.isNull()) {
            return segments;
        }
        if (!value.isArray()) {
            throw RequestFields.malformed("\"segments\" must be a list of column names, for example [\"race\","
                    + " \"admission_type\"] (one column is [\"race\"])");
        }
        for (JsonNode column : value) {
            if (!column.isTextual()) {
                throw RequestFields.malformed("\"segments\" must be a list of column names (text), for example"
                        + " [\"race\", \"admission_type\"]");
            }
            segments.add(column.asText());
        }
        return segments;
    }
}

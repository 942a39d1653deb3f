package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.approval.ApprovalService;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.Optional;
import java.util.Set;

/**
 * Clinical governance's decisions on a version: approve or reject, each with a justification
 * ({@code {"justification": "..."}}), signed by the caller, who must hold {@code Models.Approve} and must not be
 * the version's uploader.
 */
public final class ApprovalFunctions {
    private final ApprovalService approvals;
    private final HttpApi http;

    public ApprovalFunctions(VigilPlatform platform, HttpApi http) {
        this.approvals = platform.approvals();
        this.http = http;
    }

    @FunctionName("ApproveModelVersion")
    public HttpResponseMessage approve(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/versions/{version}/approve",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.MODELS_APPROVE),
                call -> approvals.approve(id(name, version), call.principal(), justification(call)));
    }

    @FunctionName("RejectModelVersion")
    public HttpResponseMessage reject(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/versions/{version}/reject",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.MODELS_APPROVE),
                call -> approvals.reject(id(name, version), call.principal(), justification(call)));
    }

    private static ModelVersion id(String name, String version) {
        return new ModelVersion(new ModelName(name), HttpApi.version(version));
    }

    private static String justification(Call call) {
        JsonNode body = RequestFields.object(call, "{\"justification\": \"why\"}");
        RequestFields.requireKnown(body, Set.of("justification"), "the decision");
        return RequestFields.text(body, "justification", "{\"justification\": \"calibration and subgroup AUROC reviewed\"}");
    }
}

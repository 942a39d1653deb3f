package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.compliance.PredictionLineage;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.Optional;

/** {@code GET /predictions/{id}}: the lineage of one prediction, for compliance. */
public final class LineageFunctions {
    private final PredictionLineage lineage;
    private final HttpApi http;

    public LineageFunctions(VigilPlatform platform, HttpApi http) {
        this.lineage = platform.lineage();
        this.http = http;
    }

    @FunctionName("PredictionLineage")
    public HttpResponseMessage lineage(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "predictions/{id}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("id") String id,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.AUDIT_EXPORT),
                call -> lineage.of(id, call.principal().id()));
    }
}

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
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import health.vigil.shadow.ShadowService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Shadow versions: configure which approved version receives a share of scored requests in the background, stop it
 * (role {@code Deployments.Operate}), read it, and read its report against the live versions.
 */
public final class ShadowFunctions {
    private static final Set<String> FIELDS = Set.of("version", "basisPoints");
    private static final String EXAMPLE = "{\"version\": 3, \"basisPoints\": 1000}";

    private final ShadowService shadows;
    private final HttpApi http;

    public ShadowFunctions(VigilPlatform platform, HttpApi http) {
        this.shadows = platform.shadows();
        this.http = http;
    }

    /** {@code {"version": 3, "basisPoints": 1000}}: mirror 10 % of scored requests to version 3. */
    @FunctionName("ConfigureShadow")
    public HttpResponseMessage configure(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/shadow",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            JsonNode body = RequestFields.object(call, EXAMPLE);
            RequestFields.requireKnown(body, FIELDS, "the shadow request");
            ShadowService.ConfigureCommand command = new ShadowService.ConfigureCommand(
                    RequestFields.integer(body, "version", true, EXAMPLE),
                    RequestFields.integer(body, "basisPoints", true, EXAMPLE));
            return view(shadows.configure(new ModelName(name), command, call.principal()));
        });
    }

    @FunctionName("GetShadow")
    public HttpResponseMessage status(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/shadow",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> view(shadows.status(new ModelName(name))));
    }

    @FunctionName("StopShadow")
    public HttpResponseMessage stop(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/shadow/stop",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    return view(shadows.stop(new ModelName(name), call.principal()));
                });
    }

    /**
     * {@code ?from=...&to=...} (ISO-8601, default the last 24 hours, from no earlier than when the shadow was set) and
     * {@code ?version=N} (default the shadow's).
     */
    @FunctionName("GetShadowReport")
    public HttpResponseMessage report(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/shadow/report",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            call.requireInstantParams("from", "to");
            return shadows.report(new ModelName(name), RequestFields.positiveInt(call, "version"),
                    call.instantParam("from"), call.instantParam("to"));
        });
    }

    static Map<String, Object> view(Deployment d) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", d.modelName());
        body.put("slots", d.slots());
        d.slot(Slot.SHADOW).ifPresent(s -> {
            body.put("shadowVersion", s.version());
            body.put("basisPoints", s.weightBasisPoints());
            body.put("mirroring", s.weightBasisPoints() > 0);
            body.put("shadowSince", s.since());
        });
        body.put("revision", d.revision());
        body.put("updatedBy", d.updatedBy());
        body.put("updatedAt", d.updatedAt());
        // The canary slot the slots list shows is then an experiment's treatment, not a canary ramp.
        d.runningExperiment().ifPresent(e -> body.put("experiment", CanaryFunctions.experiment(d.modelName(), e)));
        return body;
    }
}

package health.vigil.functions.scoring;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.functions.scoring.oip.InferenceRequest;
import health.vigil.functions.scoring.oip.InferenceService;
import health.vigil.functions.scoring.oip.ServerMetadataResponse;
import health.vigil.security.Role;
import java.util.Map;
import java.util.Optional;

/**
 * Open Inference Protocol v2: server metadata; model metadata, model readiness and inference, of the model (routed by
 * its deployment) or of a version named in the path.
 */
public final class InferenceFunctions {
    private final InferenceService oip;
    private final HttpApi http;

    public InferenceFunctions(VigilPlatform platform, HttpApi http) {
        this.oip = new InferenceService(platform.scoring(), platform.registry());
        this.http = http;
    }

    @FunctionName("ServerMetadata")
    public HttpResponseMessage serverMetadata(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.SCORING_INVOKE), call -> {
            call.takesOnlyQuery(java.util.Set.of());
            return ServerMetadataResponse.current();
        });
    }

    @FunctionName("ModelMetadata")
    public HttpResponseMessage metadata(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/models/{name}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.SCORING_INVOKE), call -> {
            call.takesOnlyQuery(java.util.Set.of());
            return oip.metadata(new ModelName(name), null);
        });
    }

    @FunctionName("ModelVersionMetadata")
    public HttpResponseMessage versionMetadata(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/models/{name}/versions/{version}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.SCORING_INVOKE), call -> {
            call.takesOnlyQuery(java.util.Set.of());
            return oip.metadata(new ModelName(name), HttpApi.version(version));
        });
    }

    @FunctionName("ModelReady")
    public HttpResponseMessage ready(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/models/{name}/ready",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.SCORING_INVOKE), call -> readiness(call, name, null));
    }

    @FunctionName("ModelVersionReady")
    public HttpResponseMessage versionReady(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/models/{name}/versions/{version}/ready",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.SCORING_INVOKE),
                call -> readiness(call, name, HttpApi.version(version)));
    }

    @FunctionName("Infer")
    public HttpResponseMessage infer(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "v2/models/{name}/infer",
                    authLevel = AuthorizationLevel.ANONYMOUS, dataType = "binary")
                    HttpRequestMessage<Optional<byte[]>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handleBytes(request, context, Access.role(Role.SCORING_INVOKE),
                call -> oip.infer(new ModelName(name), null, request(call)));
    }

    @FunctionName("InferVersion")
    public HttpResponseMessage inferVersion(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "v2/models/{name}/versions/{version}/infer",
                    authLevel = AuthorizationLevel.ANONYMOUS, dataType = "binary")
                    HttpRequestMessage<Optional<byte[]>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handleBytes(request, context, Access.role(Role.SCORING_INVOKE),
                call -> oip.infer(new ModelName(name), HttpApi.version(version), request(call)));
    }

    /**
     * The protocol's readiness answer: clients read the status (200 ready, anything else not), so a model or version
     * that cannot score now is 503 with the same body, as the server's readiness probe is. A query parameter is
     * refused: {@code ?version=3} would otherwise be answered with the whole model's readiness.
     */
    private Reply readiness(Call call, String name, Integer version) {
        call.takesOnlyQuery(java.util.Set.of());
        boolean ready = oip.isReady(new ModelName(name), version);
        return Reply.of(ready ? 200 : 503, Map.of("name", name, "ready", ready));
    }

    /** Bound straight from the body's text: a tree first and then a conversion cost about half as much again. */
    private static InferenceRequest request(Call call) {
        // Explanations and everything else the request asks for are in its body's parameters.
        call.takesOnlyQuery(java.util.Set.of());
        return call.json("the inference request", InferenceRequest.class);
    }
}

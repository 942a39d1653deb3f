package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.deployment.DeploymentService;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelRegistry;
import health.vigil.security.Role;
import java.util.Map;
import java.util.Optional;

/** The control API for models: the registry (read) and deployment of a registered version. */
public final class ModelFunctions {
    private final ModelRegistry registry;
    private final DeploymentService deployments;
    private final HttpApi http;

    public ModelFunctions(VigilPlatform platform, HttpApi http) {
        this.registry = platform.registry();
        this.deployments = platform.deployments();
        this.http = http;
    }

    @FunctionName("ListModels")
    public HttpResponseMessage listModels(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> Map.of("models",
                registry.listModels().stream().map(registry::summary).toList()));
    }

    @FunctionName("GetModel")
    public HttpResponseMessage getModel(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            ModelName model = new ModelName(name);
            return Map.of("summary", registry.summary(model), "versions", registry.listVersions(model));
        });
    }

    @FunctionName("GetModelVersion")
    public HttpResponseMessage getVersion(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/versions/{version}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED,
                call -> registry.getVersion(new ModelName(name), HttpApi.version(version)));
    }

    @FunctionName("GetModelVersionHistory")
    public HttpResponseMessage history(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/versions/{version}/history",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            VersionRecord record = registry.getVersion(new ModelName(name), HttpApi.version(version));
            return Map.of("model", record.modelName(), "version", record.version(), "stage", record.stage(),
                    "history", record.history());
        });
    }

    @FunctionName("DeployModelVersion")
    public HttpResponseMessage deploy(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/versions/{version}/deploy",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> deployments.deploy(new ModelName(name), HttpApi.version(version), call.principal()));
    }
}

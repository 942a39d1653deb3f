package health.vigil.functions.scoring;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.WarmupTrigger;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Open Inference Protocol v2 server health: liveness and readiness probes, open to the platform's probes; and the
 * warm-up an instance runs before it takes traffic.
 */
public final class HealthFunctions {
    private final VigilPlatform platform;
    private final HttpApi http;

    public HealthFunctions(VigilPlatform platform, HttpApi http) {
        this.platform = platform;
        this.http = http;
    }

    @FunctionName("HealthLive")
    public HttpResponseMessage live(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/health/live",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.ANONYMOUS, call -> Map.of("live", true));
    }

    @FunctionName("HealthReady")
    public HttpResponseMessage ready(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "v2/health/ready",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.ANONYMOUS, call -> {
            boolean ready = platform.registry().isReady();
            if (ready) {
                warmQuietly(context);
            }
            return Reply.of(ready ? 200 : 503, Map.of("ready", ready));
        });
    }

    /**
     * Loads and runs once every deployed version before the instance takes traffic (the Functions host runs a
     * warm-up trigger on each instance it adds; {@code vigil up} runs it at start, before HTTP opens), so that no
     * patient's request pays for loading a model. Versions that could not be warmed are named in the log.
     */
    @FunctionName("Warmup")
    public void warmup(@WarmupTrigger(name = "warmup") String warmup, ExecutionContext context) {
        List<ModelVersion> failed = platform.scoring().warmDeployed();
        if (!failed.isEmpty()) {
            context.getLogger().warning("warm-up could not load " + failed + "; their first requests will try again");
        }
    }

    /**
     * The readiness probe also loads what the deployments name and this instance has not loaded: the Functions host
     * runs the warm-up trigger only on instances it adds, not after a restart, and the platform's health check
     * probes every instance every minute, so a restarted instance, or a version deployed since, is loaded by the
     * probe rather than by a patient's request. Already loaded versions cost nothing; a failure to warm never
     * changes the readiness answer.
     */
    private void warmQuietly(ExecutionContext context) {
        try {
            warmup("{}", context);
        } catch (RuntimeException e) {
            context.getLogger().warning("the readiness probe could not warm the deployed versions: "
                    + e.getClass().getSimpleName());
        }
    }
}

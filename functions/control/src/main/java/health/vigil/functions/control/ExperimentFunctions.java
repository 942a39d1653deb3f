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
import health.vigil.error.ValidationException;
import health.vigil.experiment.ExperimentPlan;
import health.vigil.experiment.ExperimentService;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A/B experiments: compute the sample size a plan needs, start an experiment between the stable version and an
 * approved treatment at a fixed split, stop it (role {@code Deployments.Operate}), read it and its report.
 */
public final class ExperimentFunctions {
    private static final Set<String> PLAN_FIELDS = Set.of("metric", "baseline", "minimumDetectableEffect",
            "prevalence", "alpha", "power", "treatmentBasisPoints");
    private static final Set<String> START_FIELDS = union(PLAN_FIELDS, Set.of("treatmentVersion", "controlVersion"));
    private static final String EXAMPLE = "{\"treatmentVersion\": 3, \"metric\": \"flag_rate\", \"baseline\": 0.2,"
            + " \"minimumDetectableEffect\": 0.03}";

    private final ExperimentService experiments;
    private final HttpApi http;

    public ExperimentFunctions(VigilPlatform platform, HttpApi http) {
        this.experiments = platform.experiments();
        this.http = http;
    }

    /** The plan's sample size per arm, without starting anything. */
    @FunctionName("PlanExperiment")
    public HttpResponseMessage power(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/experiments/power",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            new ModelName(name);
            JsonNode body = RequestFields.object(call, EXAMPLE);
            RequestFields.requireKnown(body, PLAN_FIELDS, "the power request");
            return experiments.power(plan(body));
        });
    }

    @FunctionName("StartExperiment")
    public HttpResponseMessage start(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/experiments",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            JsonNode body = RequestFields.object(call, EXAMPLE);
            RequestFields.requireKnown(body, START_FIELDS, "the experiment request");
            ExperimentService.StartCommand command = new ExperimentService.StartCommand(
                    RequestFields.integer(body, "treatmentVersion", true, EXAMPLE),
                    RequestFields.integer(body, "controlVersion", false, EXAMPLE), plan(body));
            return Reply.of(201, view(experiments.start(new ModelName(name), command, call.principal())));
        });
    }

    @FunctionName("GetExperiment")
    public HttpResponseMessage status(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/experiments",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED,
                call -> experiments.status(new ModelName(name)));
    }

    @FunctionName("StopExperiment")
    public HttpResponseMessage stop(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/experiments/stop",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    return view(experiments.stop(new ModelName(name), call.principal()));
                });
    }

    @FunctionName("GetExperimentReport")
    public HttpResponseMessage report(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/experiments/report",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> experiments.report(new ModelName(name)));
    }

    private static ExperimentPlan plan(JsonNode body) {
        JsonNode metric = body.get("metric");
        if (metric == null || !metric.isTextual()) {
            throw Json.missingOrWrongType(metric, "declare the primary metric: \"metric\" is one of auroc,"
                    + " flag_rate, positive_rate");
        }
        return ExperimentPlan.of(ExperimentMetric.fromWire(metric.asText()), RequestFields.number(body, "baseline"),
                RequestFields.number(body, "minimumDetectableEffect"), RequestFields.number(body, "prevalence"),
                RequestFields.number(body, "alpha"), RequestFields.number(body, "power"),
                RequestFields.integer(body, "treatmentBasisPoints", false, EXAMPLE));
    }

    private static Map<String, Object> view(Deployment d) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", d.modelName());
        body.put("slots", d.slots());
        body.put("experiment", d.experiment());
        body.put("revision", d.revision());
        body.put("updatedBy", d.updatedBy());
        body.put("updatedAt", d.updatedAt());
        return body;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}

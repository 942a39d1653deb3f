package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.EventTypes;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.gates.GateEvaluation;
import health.vigil.gates.GatePolicies;
import health.vigil.gates.GatePolicy;
import health.vigil.model.GateReport;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Quality gates: {@code EvaluateGates} on {@code Vigil.Model.Registered}, the gate report of a version, running a
 * version's gates again once what they judged it on is no longer in force ({@code Models.Approve}), and the
 * model's gate policy (read by anyone authenticated; changed by {@code Datasets.Register}, never by an uploader).
 */
public final class GateFunctions {
    private final GateEvaluation gates;
    private final GatePolicies policies;
    private final HttpApi http;
    private final Triggers triggers;

    public GateFunctions(VigilPlatform platform, HttpApi http) {
        this.triggers = Triggers.of(platform);
        this.gates = platform.gates();
        this.policies = platform.gatePolicies();
        this.http = http;
    }

    @FunctionName("EvaluateGates")
    public void evaluate(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            EventEnvelope envelope = EventEnvelopes.parseSingle(event);
            JsonNode data = EventEnvelopes.requireData(envelope, "EvaluateGates", Set.of(EventTypes.MODEL_REGISTERED),
                    List.of("model"), List.of("version"));
            ModelVersion id = EventEnvelopes.requireSubjectNames(envelope, "EvaluateGates",
                    new ModelVersion(new ModelName(data.get("model").asText()), data.get("version").asInt()));
            Optional<GateReport> report = gates.onRegistered(id, envelope.id());
            context.getLogger().info("EvaluateGates event " + envelope.id() + ": " + id + " "
                    + report.map(r -> r.passed() ? "passed" : "failed " + r.failedGates()).orElse("already past its gates"));
        });
    }

    @FunctionName("GetGateReport")
    public HttpResponseMessage report(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/versions/{version}/gates",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED,
                call -> gates.get(new ModelName(name), HttpApi.version(version)));
    }

    @FunctionName("RerunGates")
    public HttpResponseMessage rerun(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/versions/{version}/gates",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.MODELS_APPROVE), call -> {
            // Options sent here (another dataset, say) would otherwise be ignored and the gates run as they are.
            call.requireNoBody("the model and version are in the path, and the gates run on the evaluation dataset"
                    + " and gate policy as stored");
            return gates.rerun(new ModelVersion(new ModelName(name), HttpApi.version(version)), call.principal());
        });
    }

    @FunctionName("GetGatePolicy")
    public HttpResponseMessage policy(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/gate-policy",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            ModelName model = new ModelName(name);
            return Map.of("current", policies.current(model), "history", policies.history(model));
        });
    }

    @FunctionName("SetGatePolicy")
    public HttpResponseMessage setPolicy(
            @HttpTrigger(name = "request", methods = HttpMethod.PUT, route = "models/{name}/gate-policy",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DATASETS_REGISTER), call -> {
            // The name first: the refusals below name the route to read, which must not repeat a name that is not one.
            ModelName model = new ModelName(name);
            JsonNode body = RequestFields.object(call, "{\"policy\": {...thresholds...}, \"reason\": \"...\"}");
            RequestFields.requireKnown(body, Set.of("policy", "reason"), "the gate policy change");
            String reason = RequestFields.text(body, "reason", "\"the segment gap was too strict for a small cohort\"");
            if (!body.path("policy").isObject()) {
                throw Json.missingOrWrongType(body.path("policy"), "send {\"policy\": {...thresholds...},"
                        + " \"reason\": \"...\"}; read the current policy with GET /models/" + model.value()
                        + "/gate-policy and change what you need");
            }
            com.fasterxml.jackson.databind.node.ObjectNode thresholds = ((com.fasterxml.jackson.databind.node.ObjectNode)
                    body.path("policy")).deepCopy();
            // Who changed it, when and why come from the call, never from the body.
            thresholds.put("version", 0);
            thresholds.remove(java.util.List.of("changedBy", "changedAt", "reason"));
            GatePolicy policy = Json.convert("the gate policy", thresholds, GatePolicy.class);
            return answer(policies.update(model, policy, call.principal(), reason));
        });
    }

    /** The header of a policy change's answer that says the thresholds sent were those in force: nothing changed. */
    static final String UNCHANGED = "Vigil-Unchanged";

    /** A change answers the policy in force after it; one that stored nothing says so in {@value #UNCHANGED}. */
    static Reply answer(GatePolicies.Change change) {
        return new Reply(200, change.policy(), change.changed() ? Map.of() : Map.of(UNCHANGED, "true"));
    }
}

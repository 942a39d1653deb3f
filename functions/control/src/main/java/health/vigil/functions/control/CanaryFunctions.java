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
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.canary.CanaryAnalysis;
import health.vigil.canary.CanaryService;
import health.vigil.canary.CanaryWakeups;
import health.vigil.deployment.DeploymentService;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.EventTypes;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.json.Json;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryRecord;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.TrafficSlot;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Canary ramps: start one of an approved version, read its state and its analyses (and those of an earlier canary,
 * by its version), promote, pause, resume or abort it (role {@code Deployments.Operate} for changes), and the
 * controller that advances every ramp each minute.
 */
public final class CanaryFunctions {
    private static final Set<String> START_FIELDS = Set.of("version", "steps", "bakeTime", "policy");
    private static final Set<String> POLICY_FIELDS = Set.of("falseRollbackRate", "minSamplePerSlot", "flagRateMargin",
            "missingRateMargin", "psiLimit", "errorRateMargin", "refusedRateMargin", "latencyMargin",
            "latencyRatioLimit", "calibrationMargin", "aurocMargin", "scoreMeanMargin");

    private final CanaryService canaries;
    private final DeploymentService deployments;
    private final CanaryWakeups wakeups;
    private final HttpApi http;
    private final Triggers triggers;

    public CanaryFunctions(VigilPlatform platform, HttpApi http) {
        this.triggers = Triggers.of(platform);
        this.canaries = platform.canaries();
        this.deployments = platform.deployments();
        this.wakeups = platform.canaryWakeups();
        this.http = http;
    }

    /**
     * {@code {"version": 2, "steps": [100, 500, 2500, 5000, 10000], "bakeTime": "PT10M", "policy": {...}}}; all but
     * the version may be left out (the default ramp, ten minutes, the default policy). An optional {@code If-Match}
     * names the deployment revision the operator read, and an optional {@code Idempotency-Key} makes the start safe to
     * send again, as for a deploy.
     */
    @FunctionName("StartCanary")
    public HttpResponseMessage start(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/canary",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            ModelName model = new ModelName(name);
            return started(canaries.start(model, startCommand(call), call.principal(), call.idempotencyKey(),
                    ModelFunctions.expectedRevision(call)));
        });
    }

    /** A start's answer: 201 with the deployment, marked {@code Idempotent-Replayed} when it was sent again. */
    static Reply started(CanaryService.Started started) {
        return new Reply(201, view(started.deployment()),
                started.replayed() ? Map.of(Call.IDEMPOTENT_REPLAYED, "true") : Map.of());
    }

    @FunctionName("GetCanary")
    public HttpResponseMessage status(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/canary",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> view(canaries.status(new ModelName(name))));
    }

    @FunctionName("GetCanaryAnalysis")
    public HttpResponseMessage analysis(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/canary/analysis",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED,
                call -> analysis(canaries.withLastRamp(new ModelName(name))));
    }

    /**
     * The last canary of one version, kept after a deploy, a rollback or a later canary replaced it in the
     * deployment: the ramp as its last revision left it and every analysis.
     */
    @FunctionName("GetVersionCanary")
    public HttpResponseMessage ofVersion(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/versions/{version}/canary",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") String version,
            ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            CanaryService.KeptCanary kept = canaries.ofVersion(new ModelName(name), HttpApi.version(version));
            CanaryRecord record = kept.record();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model", record.modelName());
            body.put("version", record.version());
            body.put("revision", record.revision());
            body.put("updatedBy", record.updatedBy());
            body.put("updatedAt", record.updatedAt());
            body.put("inDeployment", kept.inDeployment());
            body.put("canary", ramp(record.ramp()));
            body.put("analysis", analysis(name, record.ramp()));
            return body;
        });
    }

    /**
     * The analyses of the deployment's last ramp. While an experiment runs, the ramp ended before it and the experiment's
     * treatment is what the canary slot routes patients to: the answer names the experiment as the canary view does.
     */
    static Map<String, Object> analysis(Deployment d) {
        Map<String, Object> body = analysis(d.modelName().value(), d.canary());
        d.runningExperiment().ifPresent(e -> body.put("experiment", experiment(d.modelName(), e)));
        return body;
    }

    private static Map<String, Object> analysis(String name, CanaryRamp ramp) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", name);
        body.put("version", ramp.version());
        body.put("stableVersion", ramp.stableVersion());
        body.put("status", ramp.status());
        body.put("policy", ramp.policy());
        body.put("metrics", CanaryAnalysis.METRICS);
        body.put("metricShares", CanaryAnalysis.SHARES);
        body.put("rampBudget", ramp.policy().falseRollbackRate());
        body.put("looks", CanaryAnalysis.lookSchedule(ramp.policy(), 12));
        body.put("steps", ramp.analyses());
        return body;
    }

    @FunctionName("PromoteCanary")
    public HttpResponseMessage promote(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/canary/promote",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    return view(canaries.promote(new ModelName(name), call.principal()));
                });
    }

    @FunctionName("PauseCanary")
    public HttpResponseMessage pause(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/canary/pause",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    return view(canaries.pause(new ModelName(name), call.principal()));
                });
    }

    @FunctionName("ResumeCanary")
    public HttpResponseMessage resume(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/canary/resume",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    Deployment resumed = canaries.resume(new ModelName(name), call.principal());
                    // A resume publishes no event; its fresh bake time needs a wake-up all the same.
                    wakeups.arm(resumed.modelName());
                    return view(resumed);
                });
    }

    @FunctionName("AbortCanary")
    public HttpResponseMessage abort(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/canary/abort",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE),
                call -> {
                    call.requireNoBody("the model is in the path");
                    return view(canaries.abort(new ModelName(name), call.principal()));
                });
    }

    /**
     * The controller's event trigger: on {@code Vigil.Canary.Started} and {@code .Stepped} the model is ticked at once
     * and woken again when the new step's bake time is over (in this instance; the minute timer backs it up).
     */
    @FunctionName("AdvanceCanary")
    public void advance(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            EventEnvelope envelope = EventEnvelopes.parseSingle(event);
            ModelName model = rampedVersion(envelope).name();
            Optional<Deployment> changed = wakeups.onRampEvent(model, envelope.data().path("revision").asLong(0),
                    envelope.id());
            context.getLogger().info("AdvanceCanary event " + envelope.id() + ": " + model + " "
                    + changed.map(d -> "moved to revision " + d.revision() + ": " + d.canary().transition())
                            .orElse("not due yet; woken when its bake time is over"));
        });
    }

    /**
     * The canary version a {@code Vigil.Canary.Started} or {@code .Stepped} event is about, named alike by its data and
     * its subject ({@link EventEnvelopes#requireSubjectNames}); any other event is refused before anything is done.
     */
    static ModelVersion rampedVersion(EventEnvelope envelope) {
        JsonNode data = EventEnvelopes.requireData(envelope, "AdvanceCanary",
                Set.of(EventTypes.CANARY_STARTED, EventTypes.CANARY_STEPPED), List.of("model"), List.of("version"));
        return EventEnvelopes.requireSubjectNames(envelope, "AdvanceCanary",
                new ModelVersion(new ModelName(data.get("model").asText()), data.get("version").asInt()));
    }

    /**
     * Advances every canary ramp whose bake time is over, and settles every deployment a deploy or rollback stopped
     * after saving (its stages, record and event); every minute (the ramp's state is in its deployment).
     */
    @FunctionName("CanaryController")
    public void controller(@TimerTrigger(name = "timer", schedule = "0 * * * * *") String timer, ExecutionContext context) {
        triggers.run(context, () -> {
            try {
                canaries.tick(d -> context.getLogger().info("CanaryController moved the canary of " + d.modelName()
                        + " to revision " + d.revision() + ": " + d.canary().transition()));
            } finally {
                // A failed canary pass does not keep the deployments a deploy or rollback stopped from being settled.
                deployments.settle();
            }
        });
    }

    /**
     * The deployment with the ramp, without the analyses (served by the analysis route). While an experiment runs, its
     * treatment holds the canary slot and no ramp is in force: the answer names the experiment and where to follow it,
     * and gives the ramp kept from before it only as {@code lastCanary}, how it ended and where to read it.
     */
    static Map<String, Object> view(Deployment d) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", d.modelName());
        body.put("slots", d.slots());
        body.put("revision", d.revision());
        body.put("updatedBy", d.updatedBy());
        body.put("updatedAt", d.updatedAt());
        Optional<Experiment> experiment = d.runningExperiment();
        experiment.ifPresent(e -> body.put("experiment", experiment(d.modelName(), e)));
        if (d.canary() != null && experiment.isPresent()) {
            Map<String, Object> last = new LinkedHashMap<>();
            last.put("version", d.canary().version());
            last.put("status", d.canary().status());
            last.put("read", "GET /models/" + d.modelName() + "/versions/" + d.canary().version() + "/canary");
            body.put("lastCanary", last);
        } else if (d.canary() != null) {
            body.put("canary", ramp(d.canary()));
        }
        return body;
    }

    /** The running experiment as an operator reading the canary slot needs it: its arms, metric, who and where. */
    static Map<String, Object> experiment(ModelName model, Experiment e) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", e.id());
        view.put("status", e.status());
        view.put("controlVersion", e.controlVersion());
        view.put("controlBasisPoints", TrafficSlot.ALL - e.treatmentBasisPoints());
        view.put("treatmentVersion", e.treatmentVersion());
        view.put("treatmentBasisPoints", e.treatmentBasisPoints());
        view.put("primaryMetric", e.primaryMetric());
        view.put("startedBy", e.startedBy());
        view.put("startedAt", e.startedAt());
        String routes = "/models/" + model + "/experiments";
        view.put("read", "GET " + routes);
        view.put("report", "GET " + routes + "/report");
        view.put("stop", "POST " + routes + "/stop");
        return view;
    }

    /** Where a ramp stands, without its analyses. */
    private static Map<String, Object> ramp(CanaryRamp r) {
        Map<String, Object> ramp = new LinkedHashMap<>();
        ramp.put("version", r.version());
        ramp.put("stableVersion", r.stableVersion());
        ramp.put("status", r.status());
        ramp.put("step", r.step() + 1);
        ramp.put("steps", r.steps());
        ramp.put("weightBasisPoints", r.weightBasisPoints());
        ramp.put("bakeTime", r.bakeTime().toString());
        ramp.put("stepStartedAt", r.stepStartedAt());
        ramp.put("judgeAt", r.judgeAt());
        ramp.put("extensions", r.extensions());
        ramp.put("startedBy", r.startedBy());
        ramp.put("startedAt", r.startedAt());
        ramp.put("lastChange", r.transition());
        ramp.put("reason", r.reason());
        ramp.put("policy", r.policy());
        return ramp;
    }

    static CanaryService.StartCommand startCommand(Call call) {
        JsonNode body = call.json();
        if (!body.isObject()) {
            throw RequestFields.malformed("send a JSON object such as {\"version\": 2}");
        }
        RequestFields.requireKnown(body, START_FIELDS, "the canary request");
        JsonNode version = body.path("version");
        if (!version.canConvertToInt() || !version.isIntegralNumber()) {
            throw Json.missingOrWrongType(version, "\"version\" must be the whole number of an approved"
                    + " version, for example"
                    + " {\"version\": 2}");
        }
        List<Integer> steps = null;
        if (body.has("steps")) {
            JsonNode raw = body.get("steps");
            if (!raw.isArray()) {
                throw RequestFields.malformed("\"steps\" must be an array of basis points, for example"
                        + " [100, 500, 2500, 5000, 10000]");
            }
            steps = new ArrayList<>();
            for (JsonNode s : raw) {
                if (!s.isIntegralNumber() || !s.canConvertToInt()) {
                    throw RequestFields.malformed("\"steps\" must hold whole numbers of basis points (1-10000)");
                }
                steps.add(s.intValue());
            }
        }
        Duration bake = null;
        if (body.has("bakeTime")) {
            if (!body.get("bakeTime").isTextual()) {
                throw RequestFields.malformed("\"bakeTime\" must be text: an ISO-8601 duration such as \"PT10M\"");
            }
            try {
                bake = Duration.parse(body.get("bakeTime").asText(""));
            } catch (DateTimeParseException e) {
                throw new ValidationException("\"bakeTime\" must be an ISO-8601 duration such as \"PT10M\"");
            }
        }
        return new CanaryService.StartCommand(version.intValue(), steps, bake,
                body.has("policy") ? policy(body.get("policy")) : null);
    }

    private static CanaryPolicy policy(JsonNode node) {
        if (!node.isObject()) {
            throw RequestFields.malformed("\"policy\" must be an object with any of " + POLICY_FIELDS);
        }
        RequestFields.requireKnown(node, POLICY_FIELDS, "the policy");
        CanaryPolicy d = CanaryPolicy.DEFAULT;
        return new CanaryPolicy(number(node, "falseRollbackRate", d.falseRollbackRate()),
                wholeNumber(node, "minSamplePerSlot", d.minSamplePerSlot()),
                number(node, "flagRateMargin", d.flagRateMargin()),
                number(node, "missingRateMargin", d.missingRateMargin()),
                number(node, "psiLimit", d.psiLimit()),
                number(node, "errorRateMargin", d.errorRateMargin()),
                number(node, "refusedRateMargin", d.refusedRateMargin()),
                number(node, "latencyMargin", d.latencyMargin()),
                number(node, "latencyRatioLimit", d.latencyRatioLimit()),
                number(node, "calibrationMargin", d.calibrationMargin()),
                number(node, "aurocMargin", d.aurocMargin()),
                number(node, "scoreMeanMargin", d.scoreMeanMargin()));
    }

    /** A count: a fraction such as 150.9, or a number past an int, is refused rather than cut to one. */
    private static int wholeNumber(JsonNode node, String field, int fallback) {
        if (!node.has(field)) {
            return fallback;
        }
        JsonNode value = node.get(field);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw RequestFields.malformed("policy field \"" + field + "\" must be a whole number");
        }
        return value.intValue();
    }

    private static double number(JsonNode node, String field, double fallback) {
        if (!node.has(field)) {
            return fallback;
        }
        JsonNode value = node.get(field);
        if (!value.isNumber()) {
            throw RequestFields.malformed("policy field \"" + field + "\" must be a number");
        }
        return value.doubleValue();
    }

}

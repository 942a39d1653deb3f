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
import health.vigil.functions.common.Call;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.registry.RegistrationService;
import java.util.Base64;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelRegistry;
import health.vigil.security.Role;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The control API for models: the registry (read) and deployment of a registered version. */
public final class ModelFunctions {
    private final ModelRegistry registry;
    private final DeploymentService deployments;
    private final RegistrationService registration;
    private final HttpApi http;

    public ModelFunctions(VigilPlatform platform, HttpApi http) {
        this.registry = platform.registry();
        this.deployments = platform.deployments();
        this.registration = platform.registration();
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

    /**
     * A data scientist's upload: {@code {"fileName": "readmission-2026-11.zip", "packageBase64": "..."}}. The
     * package is stored with the caller recorded as its uploader and registered at once (ADR 0010).
     */
    @FunctionName("UploadModelPackage")
    public HttpResponseMessage upload(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/packages",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.MODELS_UPLOAD), call -> {
            JsonNode body = RequestFields.object(call, "{\"fileName\": \"readmission-v3.zip\", \"packageBase64\": \"...\"}");
            RequestFields.requireKnown(body, Set.of("fileName", "packageBase64"), "the upload");
            String fileName = RequestFields.text(body, "fileName", "\"readmission-v3.zip\"");
            // Text only: a number or true would otherwise be read as its digits, which are valid base64.
            String encoded = RequestFields.text(body, "packageBase64", "\"UEsDBBQ...\" (the zip's bytes in base64)");
            byte[] content;
            try {
                content = Base64.getDecoder().decode(encoded == null ? "" : encoded);
            } catch (IllegalArgumentException e) {
                throw new ValidationException("packageBase64 is not valid base64: send the package zip's bytes"
                        + " base64-encoded");
            }
            if (content.length == 0) {
                throw new ValidationException("packageBase64 is missing or empty: send the package zip's bytes"
                        + " base64-encoded, with fileName naming it");
            }
            RegistrationOutcome outcome = registration.upload(new ModelName(name), fileName, content, call.principal());
            return Reply.of(outcome.kind() == RegistrationOutcome.Kind.REGISTERED ? 201 : 200, outcome);
        });
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
                call -> {
                    call.requireNoBody("the model and the version to deploy are in the path");
                    return answer(deployments.deploy(new ModelName(name), HttpApi.version(version), call.principal(),
                            call.idempotencyKey(), expectedRevision(call)), deployments);
                });
    }

    /**
     * Puts the previous stable version back on all traffic, or {@code {"version": N}}, one of the last retired
     * versions; takes effect on the next request.
     */
    @FunctionName("RollbackModel")
    public HttpResponseMessage rollback(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/rollback",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            OptionalInt version = OptionalInt.empty();
            if (call.body().filter(b -> !b.isBlank()).isPresent()) {
                JsonNode body = call.json();
                JsonNode named = body.path("version");
                if (!body.isObject() || body.size() > 1 || (body.size() == 1 && !body.has("version"))
                        || (body.has("version") && !(named.isIntegralNumber() && named.canConvertToInt()))) {
                    throw new ValidationException("send no body to roll back to the previous stable version, or"
                            + " {\"version\": N} naming one of the last retired versions");
                }
                if (body.has("version")) {
                    version = OptionalInt.of(named.intValue());
                }
            }
            return answer(deployments.rollback(new ModelName(name), version, call.principal(), call.idempotencyKey(),
                    expectedRevision(call)), deployments);
        });
    }

    /** The optional precondition of a deploy, rollback or canary start: the deployment's revision its caller read. */
    static final String IF_MATCH = "If-Match";
    private static final Pattern REVISION = Pattern.compile("\"?([1-9][0-9]{0,17})\"?");

    /**
     * The deployment revision named by {@value #IF_MATCH} ({@code "12"}, quoted as an entity tag, or {@code 12}), if
     * the request sent one; anything else is refused (400) with the form, without repeating what was sent.
     */
    static OptionalLong expectedRevision(Call call) {
        Optional<String> sent = call.header(IF_MATCH).map(String::strip);
        if (sent.isEmpty()) {
            return OptionalLong.empty();
        }
        Matcher revision = REVISION.matcher(sent.get());
        if (!revision.matches() || sent.get().startsWith("\"") != sent.get().endsWith("\"")) {
            throw new ValidationException("If-Match must name one revision of the deployment, as its `revision` was"
                    + " read (GET /models/{name}, or a deploy's answer), for example If-Match: \"12\"; leave it out"
                    + " to make the change whatever the revision");
        }
        return OptionalLong.of(Long.parseLong(revision.group(1)));
    }

    /**
     * The deployment document as deploy and rollback answer it: the model is named {@code model}, as in every other
     * answer about a model (the canary, shadow and experiment views among them). {@code modelName}, the document's
     * own name for it, stays beside it for one release for clients that read it. {@code previousVersion} names the
     * stable version the deploy or rollback took off live traffic, and {@code ended} which running canary or experiment,
     * if any.
     */
    static Reply answer(DeploymentService.Outcome outcome, DeploymentService deployments) {
        return new Reply(200, answer(outcome.deployment(), deployments),
                outcome.replayed() ? Map.of(Call.IDEMPOTENT_REPLAYED, "true") : Map.of());
    }

    static ObjectNode answer(Deployment deployment, DeploymentService deployments) {
        ObjectNode answer = Json.mapper().createObjectNode();
        answer.put("model", deployment.modelName().value());
        // In the answers' view: a ramp's or experiment's bucket salt stays in the stored document.
        answer.setAll(Json.answerTree(deployment));
        // The keyed requests it remembers are how retries are recognised, not part of what serves the model.
        answer.remove(Deployment.REMEMBERED_REQUESTS);
        answer.remove(Deployment.KEPT_DISPLACED);
        answer.remove(Deployment.KEPT_PREVIOUS);
        DeploymentService.TakenOff takenOff = deployments.takenOff(deployment);
        takenOff.previousVersion().ifPresent(previous -> answer.put("previousVersion", previous));
        takenOff.ended().ifPresent(ended -> answer.set("ended", Json.mapper().valueToTree(ended)));
        return answer;
    }
}

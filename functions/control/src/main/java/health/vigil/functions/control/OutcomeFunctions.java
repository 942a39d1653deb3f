package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.error.ValidationException;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.model.ModelName;
import health.vigil.monitoring.OutcomeJoin;
import health.vigil.outcomes.OutcomeReceipt;
import health.vigil.outcomes.OutcomeService;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelRegistry;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Realised outcomes: a batch over HTTP ({@code POST /outcomes}), files dropped into the {@code outcomes} container
 * (Event Grid {@code BlobCreated}), and how much of a window of predictions has its outcome.
 */
public final class OutcomeFunctions {
    private static final Duration MAX_WINDOW = Duration.ofDays(366);
    private final OutcomeService outcomes;
    private final OutcomeJoin join;
    private final ModelRegistry registry;
    private final HttpApi http;
    private final Triggers triggers;

    public OutcomeFunctions(VigilPlatform platform, HttpApi http) {
        this.triggers = Triggers.of(platform);
        this.outcomes = platform.outcomes();
        this.join = platform.outcomeJoin();
        this.registry = platform.registry();
        this.http = http;
    }

    @FunctionName("RecordOutcomes")
    public HttpResponseMessage record(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "outcomes",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.OUTCOMES_WRITE), call -> {
            OutcomeService.Submission sent = outcomes.submit(call.principal().id(), call.body().orElse(""),
                    call.json(), call.idempotencyKey());
            return new Reply(200, sent.receipt(),
                    sent.replayed() ? Map.of(Call.IDEMPOTENT_REPLAYED, "true") : Map.of());
        });
    }

    @FunctionName("LabelledFraction")
    public HttpResponseMessage labelled(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/outcomes",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            call.requireInstantParams("from", "to");
            Instant to = call.instantParam("to").orElseGet(Instant::now);
            Instant from = call.instantParam("from").orElse(to.minus(Duration.ofDays(1)));
            if (Duration.between(from, to).compareTo(MAX_WINDOW) > 0) {
                throw new ValidationException("the window is longer than 366 days; ask for a shorter one");
            }
            // A model there is none of is not found, not a window without predictions.
            return join.labelled(registry.requireRegistered(new ModelName(name)), from, to);
        });
    }

    @FunctionName("IngestOutcomes")
    public void ingest(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            var blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(event));
            Optional<OutcomeReceipt> receipt = outcomes.ingest(blob);
            context.getLogger().info("IngestOutcomes event " + blob.eventId() + ": " + receipt
                    .map(r -> Words.count(r.rows(), "row") + ", " + r.recorded() + " recorded, " + r.alreadyRecorded() + " already, "
                            + r.conflicts() + " conflicts, " + r.invalid() + " invalid")
                    .orElse("nothing to ingest"));
        });
    }
}

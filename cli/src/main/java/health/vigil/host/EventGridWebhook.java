package health.vigil.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.json.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;

/**
 * {@code /runtime/webhooks/eventgrid?functionName=X}, the endpoint the Functions host exposes for Event Grid:
 * accepts a real delivery (Event Grid schema or CloudEvents 1.0, one event or a batch) and invokes the
 * EventGridTrigger function once per event; answers Event Grid's subscription validation handshake and the
 * CloudEvents abuse-protection OPTIONS request. A delivery is acknowledged (202) only when every event was
 * handled, so a sender retries the batch otherwise, as Event Grid does.
 */
final class EventGridWebhook {
    static final String VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent";

    private final FunctionCatalog catalog;
    private final FunctionInvoker invoker;

    EventGridWebhook(FunctionCatalog catalog, FunctionInvoker invoker) {
        this.catalog = catalog;
        this.invoker = invoker;
    }

    /** Reads the request body lazily, after the cheap checks. */
    @FunctionalInterface
    interface BodyReader {
        byte[] read() throws IOException;
    }

    HostReply handle(Request request, String method, String requestId, BodyReader body) throws IOException {
        if (method.equals("OPTIONS")) {
            return abuseProtection(request, requestId);
        }
        if (!method.equals("POST")) {
            return HostReply.error(405, ErrorCode.METHOD_NOT_ALLOWED, "the Event Grid webhook accepts POST and OPTIONS",
                    requestId, Map.of("Allow", "POST, OPTIONS"));
        }
        String functionName = HttpFunctionHandler.query(request).get("functionName");
        if (functionName == null || functionName.isBlank()) {
            throw new ValidationException("add ?functionName=<name of an EventGridTrigger function> to the webhook URL");
        }
        FunctionDefinition function = catalog.byName(functionName)
                .filter(f -> f.trigger() instanceof FunctionDefinition.EventGrid)
                .orElse(null);
        if (function == null) {
            return HostReply.error(ErrorCode.NOT_FOUND, "no EventGridTrigger function is named " + functionName, requestId);
        }
        JsonNode payload = Json.readTree("the Event Grid payload", body.read());
        List<EventEnvelope> envelopes = EventEnvelopes.parse(payload);
        List<ObjectNode> events = EventEnvelopes.events(payload);
        String kind = request.getHeaders().get("aeg-event-type");
        if ("SubscriptionValidation".equalsIgnoreCase(kind)
                || (envelopes.size() == 1 && VALIDATION_EVENT.equals(envelopes.get(0).type()))) {
            return validation(envelopes, requestId);
        }
        for (int i = 0; i < events.size(); i++) {
            String invocationId = i == 0 ? requestId : requestId + "-" + (i + 1);
            LocalExecutionContext context = LocalExecutionContext.of(invocationId, function.name());
            try {
                invoker.invoke(function, FunctionInvoker.Input.payload(events.get(i).toString()), context);
            } catch (FunctionInvoker.FunctionFailure failure) {
                HttpFunctionHandler.logFailure(function, invocationId, failure.getCause());
                return HostReply.internal(requestId);
            }
        }
        return HostReply.empty(202, Map.of());
    }

    private static HostReply validation(List<EventEnvelope> envelopes, String requestId) {
        EventEnvelope event = envelopes.get(0);
        JsonNode code = event.data().get("validationCode");
        if (!VALIDATION_EVENT.equals(event.type()) || code == null || !code.isTextual() || code.textValue().isBlank()) {
            throw new ValidationException("a SubscriptionValidation delivery must hold a " + VALIDATION_EVENT
                    + " event with data.validationCode");
        }
        return HostReply.json(200, Map.of("validationResponse", code.textValue()));
    }

    private static HostReply abuseProtection(Request request, String requestId) {
        String origin = request.getHeaders().get("WebHook-Request-Origin");
        if (origin == null || origin.isBlank()) {
            return HostReply.error(ErrorCode.INVALID_REQUEST,
                    "a CloudEvents validation request needs the WebHook-Request-Origin header", requestId);
        }
        return HostReply.empty(200, Map.of(
                "WebHook-Allowed-Origin", origin,
                "WebHook-Allowed-Rate", "*",
                "Allow", "POST, OPTIONS"));
    }
}

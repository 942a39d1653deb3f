package health.vigil.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.common.HttpApi;
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
    private final String systemKey;

    EventGridWebhook(FunctionCatalog catalog, FunctionInvoker invoker, String systemKey) {
        this.catalog = catalog;
        this.invoker = invoker;
        this.systemKey = systemKey;
    }

    /** Reads the request body lazily, after the cheap checks. */
    @FunctionalInterface
    interface BodyReader {
        byte[] read() throws IOException;
    }

    HostReply handle(Request request, String method, String requestId, BodyReader body) throws IOException {
        // The key first, before anything is read: as on the Functions host, ?code= or x-functions-key.
        String given = request.getHeaders().get("x-functions-key");
        if (given == null) {
            given = HttpFunctionHandler.query(request).get("code");
        }
        if (!SystemKeys.matches(systemKey, given)) {
            return HostReply.error(ErrorCode.UNAUTHENTICATED, "the Event Grid webhook needs the host's "
                    + SystemKeys.EVENT_GRID + " system key as ?code= or in the x-functions-key header; locally it is"
                    + " in host-keys/" + SystemKeys.EVENT_GRID + ".key under the Vigil home", requestId);
        }
        if (!method.equals("POST") && !method.equals("OPTIONS")) {
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
            return HostReply.error(ErrorCode.NOT_FOUND, "no EventGridTrigger function is named "
                    + Json.quotedName(functionName), requestId);
        }
        if (method.equals("OPTIONS")) {
            // Only for a function that takes events: a handshake for one that does not would promise deliveries
            // that every POST then refuses.
            return abuseProtection(request, requestId);
        }
        String contentType = request.getHeaders().get("content-type");
        if (contentType != null && !EVENT_MEDIA_TYPES.contains(mediaType(contentType))) {
            return HostReply.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "an Event Grid delivery is JSON: send it with"
                    + " Content-Type application/json, application/cloudevents+json or"
                    + " application/cloudevents-batch+json", requestId);
        }
        String unreadable = HttpApi.encodingProblem(contentType, request.getHeaders().get("content-encoding"));
        if (unreadable != null) {
            return HostReply.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE, unreadable, requestId);
        }
        JsonNode payload = Json.readTree("the Event Grid payload", body.read());
        List<EventEnvelope> envelopes = EventEnvelopes.parse(payload);
        List<ObjectNode> events = EventEnvelopes.events(payload);
        String kind = request.getHeaders().get("aeg-event-type");
        if ("SubscriptionValidation".equalsIgnoreCase(kind)
                || (envelopes.size() == 1 && VALIDATION_EVENT.equals(envelopes.get(0).type()))) {
            return validation(envelopes, requestId);
        }
        // Every event of the delivery is handled, whatever happens to the others: a refused event must not cost the
        // good ones after it their run (the answer covers the whole delivery, and a 4xx is not delivered again).
        VigilException firstRefusal = null;
        int refusedAt = -1;
        boolean failed = false;
        for (int i = 0; i < events.size(); i++) {
            String invocationId = i == 0 ? requestId : requestId + "-" + (i + 1);
            LocalExecutionContext context = LocalExecutionContext.of(invocationId, function.name());
            try {
                invoker.invoke(function, FunctionInvoker.Input.payload(events.get(i).toString()), context);
            } catch (FunctionInvoker.FunctionFailure failure) {
                if (failure.getCause() instanceof VigilException refused && refused.code().isClientError()) {
                    HttpFunctionHandler.logRefusal(function, invocationId, refused.code());
                    if (firstRefusal == null) {
                        firstRefusal = refused;
                        refusedAt = i;
                    }
                } else {
                    HttpFunctionHandler.logFailure(function, invocationId, failure.getCause());
                    failed = true;
                }
            }
        }
        if (failed) {
            // Delivered again, the events already handled change nothing (each is handled once by its id).
            return HostReply.internal(requestId);
        }
        if (firstRefusal != null) {
            // The event itself is wrong (a subject outside the container, a type the function does not take):
            // delivering it again cannot help, so it is a 4xx, which Event Grid does not retry.
            return HostReply.error(firstRefusal.code(), label(refusedAt, events.size()) + " was refused"
                    + (events.size() > 1 ? " (the others were handled)" : "") + ": " + firstRefusal.getMessage(),
                    requestId);
        }
        return HostReply.empty(202, Map.of());
    }

    /** What Event Grid sends: its own schema as JSON, CloudEvents structured one at a time or batched. */
    private static final java.util.Set<String> EVENT_MEDIA_TYPES = java.util.Set.of("application/json",
            "application/cloudevents+json", "application/cloudevents-batch+json");

    /** The media type of a Content-Type value, without its parameters, in lower case. */
    private static String mediaType(String contentType) {
        int end = contentType.indexOf(';');
        return (end < 0 ? contentType : contentType.substring(0, end)).strip().toLowerCase(java.util.Locale.ROOT);
    }

    private static String label(int index, int count) {
        return count == 1 ? "the event" : "event " + (index + 1) + " of " + count;
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

    /** A DNS host name, as the CloudEvents webhook spec's WebHook-Request-Origin holds. */
    private static final java.util.regex.Pattern ORIGIN = java.util.regex.Pattern.compile("[A-Za-z0-9.-]{1,253}");

    private static HostReply abuseProtection(Request request, String requestId) {
        String origin = request.getHeaders().get("WebHook-Request-Origin");
        if (origin == null || origin.isBlank()) {
            return HostReply.error(ErrorCode.INVALID_REQUEST,
                    "a CloudEvents validation request needs the WebHook-Request-Origin header", requestId);
        }
        if (!ORIGIN.matcher(origin).matches()) {
            // Repeated in the answer's header only when it is what the header holds: the sender's host name.
            return HostReply.error(ErrorCode.INVALID_REQUEST, "WebHook-Request-Origin must be the sender's host"
                    + " name (letters, digits, '-' and '.'), such as eventemitter.example.com", requestId);
        }
        return HostReply.empty(200, Map.of(
                "WebHook-Allowed-Origin", origin,
                "WebHook-Allowed-Rate", "*",
                "Allow", "POST, OPTIONS"));
    }
}

package health.vigil.functions.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.port.Telemetry;
import java.io.IOException;
import java.util.Objects;

/**
 * What the event-, queue- and timer-triggered functions share: a failure is counted once in {@code vigil.errors}
 * under the function's name and its error code (never its message), then thrown on, so the host retries the
 * delivery, moves the message to its poison queue or dead-letters the event as it would without it; an event
 * refused for good is the exception ({@link #onEvent}). HTTP functions are counted by {@link HttpApi}.
 */
public final class Triggers {
    private final Telemetry telemetry;

    public Triggers(Telemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** Runs the function's work; a failure is counted and rethrown. */
    public void run(ExecutionContext context, Runnable work) {
        try {
            work.run();
        } catch (VigilException e) {
            telemetry.failed(context.getFunctionName(), e.code());
            throw e;
        } catch (RuntimeException e) {
            telemetry.failed(context.getFunctionName(), ErrorCode.INTERNAL);
            throw e;
        }
    }

    /**
     * Runs an event-triggered function's work on {@code event}. A refusal no retry can turn into a success
     * ({@link ErrorCode#isFinalRefusal()}) is counted and, under the Functions host, logged as one warning naming the
     * event, the code and the reason, and the delivery completes: Event Grid learns from that host only that the
     * function failed, and would deliver the event again for a day before dead-lettering it. A host that takes a
     * thrown refusal as final ({@link FinalRefusalHost}) is given it. Any other failure (a store that is unavailable,
     * a conflict that a later delivery may not meet) is counted and thrown, so the event is delivered again.
     */
    public void onEvent(ExecutionContext context, String event, Runnable work) {
        try {
            run(context, work);
        } catch (VigilException e) {
            if (!e.code().isFinalRefusal() || context instanceof FinalRefusalHost) {
                throw e;
            }
            // The refusal's own message, which the host logged with the failure before; none of the event's data.
            context.getLogger().warning(context.getFunctionName() + " refused event " + eventId(event) + " with "
                    + e.code() + ": " + e.getMessage() + "; the delivery is complete, since delivering the event again"
                    + " cannot change the answer");
        }
    }

    /** The event's id when the payload has one that can be written in a log line; otherwise says there is none. */
    private static String eventId(String event) {
        try {
            JsonNode payload = Json.mapper().readTree(event);
            JsonNode one = payload != null && payload.isArray() && payload.size() == 1 ? payload.get(0) : payload;
            JsonNode id = one == null ? null : one.get("id");
            String text = id == null || !id.isTextual() ? null : id.textValue();
            if (text != null && text.length() <= 256 && Json.isPrintableText(text)) {
                return text;
            }
        } catch (IOException | RuntimeException unreadable) {
            // Not JSON at all: said below like an event without an id.
        }
        return "(one without a readable id)";
    }
}

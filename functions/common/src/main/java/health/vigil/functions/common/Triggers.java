package health.vigil.functions.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.Telemetry;
import java.util.Objects;

/**
 * What the event-, queue- and timer-triggered functions share: a failure is counted once in {@code vigil.errors}
 * under the function's name and its error code (never its message), then thrown on, so the host retries the
 * delivery, moves the message to its poison queue or dead-letters the event as it would without it; an event
 * refused for good is the exception ({@link #onEvent}). HTTP functions are counted by {@link HttpApi}.
 */
public final class Triggers {
    private final Telemetry telemetry;
    private final RefusedEvents refused;

    public Triggers(Telemetry telemetry, RefusedEvents refused) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.refused = Objects.requireNonNull(refused, "refused");
    }

    /** The platform's: its telemetry, and refused events kept in its artifact store (Blob Storage in Azure). */
    public static Triggers of(VigilPlatform platform) {
        return new Triggers(platform.telemetry(), new RefusedEvents(platform.artifacts(), platform.clock()));
    }

    /** Runs the function's work; a failure is counted and rethrown. */
    public void run(ExecutionContext context, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            throw counted(context, e);
        }
    }

    /**
     * Runs an event-triggered function's work on {@code event}. Under the Functions host, a refusal no retry can turn
     * into a success ({@link ErrorCode#isFinalRefusal()}) completes the delivery: Event Grid learns from that host only
     * that the function failed, and would deliver the event again for a day before dead-lettering it. The event is
     * first kept as a dead-letter record in {@code event-deadletter} ({@link RefusedEvents}); the delivery that writes
     * it counts the refusal and logs one warning naming the event, the code, the reason and the record, and a
     * duplicate delivery that finds it does neither. A record that cannot be written fails the delivery, counted as
     * the store's failure, so Event Grid delivers the event again (and dead-letters it itself after its last attempt):
     * a refusal is never dropped unseen. A host that takes a thrown refusal as final ({@link FinalRefusalHost}) is
     * given it. Any other failure (a store that is unavailable, a conflict that a later delivery may not meet) is
     * counted and thrown, so the event is delivered again.
     */
    public void onEvent(ExecutionContext context, String event, Runnable work) {
        try {
            work.run();
        } catch (VigilException e) {
            if (!e.code().isFinalRefusal() || context instanceof FinalRefusalHost) {
                throw counted(context, e);
            }
            keep(context, event, e);
        } catch (RuntimeException e) {
            throw counted(context, e);
        }
    }

    private void keep(ExecutionContext context, String event, VigilException refusal) {
        String function = context.getFunctionName();
        boolean written;
        try {
            written = refused.keep(function, event, refusal);
        } catch (RuntimeException storeFailure) {
            StoreException unkept = new StoreException(function + " refused event " + eventId(event) + " with "
                    + refusal.code() + ", and its dead-letter record could not be written to "
                    + RefusedEvents.CONTAINER + " (" + storeFailure.getClass().getSimpleName() + "); the delivery"
                    + " fails so that the event is delivered again", storeFailure);
            unkept.addSuppressed(refusal);
            throw counted(context, unkept);
        }
        if (!written) {
            return;
        }
        telemetry.failed(function, refusal.code());
        // The refusal's own message, which the host logged with the failure before; none of the event's data.
        context.getLogger().warning(function + " refused event " + eventId(event) + " with " + refusal.code() + ": "
                + refusal.getMessage() + "; the delivery is complete, since delivering the event again cannot change"
                + " the answer, and the event is kept in " + RefusedEvents.CONTAINER + "/"
                + RefusedEvents.blobName(function, event));
    }

    private RuntimeException counted(ExecutionContext context, RuntimeException failure) {
        telemetry.failed(context.getFunctionName(),
                failure instanceof VigilException e ? e.code() : ErrorCode.INTERNAL);
        return failure;
    }

    /** The event's id when the payload has one that can be written in a log line; otherwise says there is none. */
    private static String eventId(String event) {
        JsonNode one = RefusedEvents.event(event);
        JsonNode id = one == null ? null : one.get("id");
        String text = id == null || !id.isTextual() ? null : id.textValue();
        if (text != null && text.length() <= 256 && Json.isPrintableText(text)) {
            return text;
        }
        return "(one without a readable id)";
    }
}

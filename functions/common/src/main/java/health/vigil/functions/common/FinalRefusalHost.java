package health.vigil.functions.common;

import com.microsoft.azure.functions.ExecutionContext;

/**
 * The invocation context of a host that takes a refusal thrown by an event-triggered function as final: it answers
 * the delivery with a 4xx and delivers the event no more, as Event Grid treats a webhook's 400 (the local host,
 * whose bus dead-letters such an event at once). The Functions host is not one: it tells Event Grid only that the
 * function failed, so {@link Triggers#onEvent} keeps the event itself ({@link RefusedEvents}) and completes the
 * delivery there instead.
 */
public interface FinalRefusalHost extends ExecutionContext {
}

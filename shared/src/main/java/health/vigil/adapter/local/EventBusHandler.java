package health.vigil.adapter.local;

/**
 * What the {@link InProcessEventBus} delivers to: the local host invokes the named EventGridTrigger function
 * with one event's JSON. Throwing means the delivery failed and will be retried.
 */
@FunctionalInterface
public interface EventBusHandler {
    void deliver(String functionName, String eventJson) throws Exception;
}

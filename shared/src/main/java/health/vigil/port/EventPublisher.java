package health.vigil.port;

import health.vigil.events.VigilEvent;

/** Publishes Vigil's own events (to the Event Grid custom topic, or the local bus). */
public interface EventPublisher {
    void publish(VigilEvent event);
}

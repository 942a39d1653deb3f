package health.vigil.registry;

import health.vigil.events.VigilEvent;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import java.util.Objects;

/**
 * Which decisions' events are out (ADR 0025): a decision is marked announced in the registry's handled-events set
 * only after its event is published, so a call that died between its audit record and its event leaves the event to
 * the next call instead of losing it. Keys are the decisions' own idempotency keys (audit keys or causes), distinct
 * across services.
 */
public final class Announcements {
    /** The handler name of the marks in the registry's handled-events set. */
    public static final String HANDLER = "announced";

    private final RegistryStore store;
    private final EventPublisher events;

    public Announcements(RegistryStore store, EventPublisher events) {
        this.store = Objects.requireNonNull(store, "store");
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Whether the decision's event is out. */
    public boolean done(String key) {
        return store.isEventHandled(HANDLER, key);
    }

    /** Publishes the decision's event, then marks it announced. */
    public void publish(String key, VigilEvent event) {
        events.publish(event);
        markDone(key);
    }

    /** Marks a decision that has no event to publish as done. */
    public void markDone(String key) {
        store.markEventHandled(HANDLER, key);
    }
}

package health.vigil.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One event as a trigger received it, whichever schema it came in: the fields Event Grid's schema and
 * CloudEvents 1.0 have in common. {@code source} is the CloudEvents source or the Event Grid topic (which a
 * publisher may leave out); {@code subject} and {@code time} may be null for CloudEvents, where they are
 * optional attributes.
 */
public record EventEnvelope(
        String id,
        String type,
        String source,
        String subject,
        Instant time,
        JsonNode data,
        Schema schema) {

    /** The wire schema the event arrived in. */
    public enum Schema {
        /** Azure Event Grid's own schema ({@code eventType}, {@code eventTime}, {@code topic}, ...). */
        EVENT_GRID,
        /** CloudEvents 1.0 in its JSON format ({@code specversion}, {@code type}, {@code source}, ...). */
        CLOUD_EVENTS
    }

    public EventEnvelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(schema, "schema");
        // JsonNode is mutable: keep our own copy so the envelope stays a value.
        data = data == null ? NullNode.getInstance() : data.deepCopy();
    }

    /** A copy of the event's data ({@code NullNode} when the event had none). */
    @Override
    public JsonNode data() {
        return data.deepCopy();
    }
}

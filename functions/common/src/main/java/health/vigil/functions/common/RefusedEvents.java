package health.vigil.functions.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import health.vigil.error.ConflictException;
import health.vigil.error.VigilException;
import health.vigil.events.DeadLetter;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * Keeps each event a function refused for good under the Functions host as a {@link DeadLetter} in the
 * {@code event-deadletter} container, where Event Grid puts the events it gave up on: that host tells Event Grid only
 * that the function failed, so the function completes such a delivery itself and the event would otherwise be kept
 * nowhere. One blob per event and function, {@code refused/{function}/{event id}.json} (Event Grid names its own
 * under the subscription's name in capitals), written only if it is not there: a duplicate delivery finds it.
 */
public final class RefusedEvents {
    /** Where the refused events' records are: under {@link #FOLDER} in the container of Event Grid's dead letters. */
    public static final String CONTAINER = ArtifactStore.EVENT_DEADLETTER;
    public static final String FOLDER = "refused/";

    private final ArtifactStore store;
    private final Clock clock;

    public RefusedEvents(ArtifactStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Keeps the record of the payload {@code delivered}, which {@code function} refused with {@code refusal}: true
     * when this call wrote it, false when a record of this event and function is there already (an earlier delivery
     * wrote it). A record that could not be written is the store's exception.
     */
    public boolean keep(String function, String delivered, VigilException refusal) {
        String payload = Objects.requireNonNullElse(delivered, "");
        String name = blobName(function, payload);
        JsonNode event = event(payload);
        DeadLetter record = new DeadLetter(DeadLetter.REFUSED_BY_FUNCTION, null, function, null,
                refusal.code().name(), refusal.getClass().getSimpleName(), publishTime(event), clock.instant(),
                event == null ? TextNode.valueOf(payload) : event);
        byte[] bytes = Json.write(record.toJson()).getBytes(StandardCharsets.UTF_8);
        try {
            store.put(ArtifactStore.EVENT_DEADLETTER, name, new ByteArrayInputStream(bytes), false);
            return true;
        } catch (ConflictException refused) {
            // Create-only: a record already there is this event's. Any other conflict (a store that cannot keep the
            // name) leaves no record, and is the failure it is.
            if (store.describe(ArtifactStore.EVENT_DEADLETTER, name).isPresent()) {
                return false;
            }
            throw refused;
        }
    }

    /**
     * The record's name: {@code refused/{function}/{event id}.json}, the id as {@link DeadLetter#namePart} makes it;
     * for a payload without an id, {@code no-id-} and 16 hex digits of the payload's sha256, so that a duplicate
     * delivery of it still finds its record.
     */
    public static String blobName(String function, String delivered) {
        String payload = Objects.requireNonNullElse(delivered, "");
        JsonNode event = event(payload);
        JsonNode id = event == null ? null : event.get("id");
        String part = id != null && id.isTextual() && !id.textValue().isEmpty() ? DeadLetter.namePart(id.textValue())
                : "no-id-" + Sha256.hex(payload.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        return FOLDER + DeadLetter.namePart(function) + "/" + part + ".json";
    }

    /**
     * The one event of a trigger's payload (a JSON array of one is unwrapped, as Event Grid may send it); null when
     * the payload is not JSON.
     */
    public static JsonNode event(String payload) {
        try {
            JsonNode read = Json.mapper().readTree(payload);
            return read != null && read.isArray() && read.size() == 1 ? read.get(0) : read;
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    /** When the event says it happened (Event Grid's {@code eventTime}, the CloudEvents {@code time}), if readable. */
    private static Instant publishTime(JsonNode event) {
        for (String field : new String[] {"eventTime", "time"}) {
            JsonNode time = event == null || !event.isObject() ? null : event.get(field);
            if (time != null && time.isTextual()) {
                try {
                    return Instant.parse(time.textValue());
                } catch (DateTimeParseException unreadable) {
                    return null;
                }
            }
        }
        return null;
    }
}

package health.vigil.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * An event whose delivery ended without its function handling it, as an operator finds it among the dead letters: the
 * event as delivered, why its delivery stopped, how the function last failed (the error code and the exception's
 * type, never its message, which may quote the event) and when. The local bus writes one file of it per event and
 * subscription; in Azure a function that refuses an event for good writes one blob of it.
 * {@code subscription} and {@code deliveryAttempts} are null where the writer is not told them, and
 * {@code lastErrorCode}, {@code lastErrorType} and {@code lastDeliveryAttemptTime} where no attempt was made.
 */
public record DeadLetter(String reason, String subscription, String function, Integer deliveryAttempts,
        String lastErrorCode, String lastErrorType, Instant publishTime, Instant lastDeliveryAttemptTime,
        JsonNode event) {
    /** The reason of an event its function refused with a status no retry changes (400, 401, 403 or 413). */
    public static final String REFUSED_BY_FUNCTION = "RefusedByFunction";
    /** The longest part of a dead letter's name an event id or a subscription's name gives. */
    private static final int NAME_PART = 64;

    public DeadLetter {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(event, "event");
        event = event.deepCopy();
    }

    /** A copy of the event as delivered. */
    @Override
    public JsonNode event() {
        return event.deepCopy();
    }

    /** The record as the dead-letter file or blob holds it. */
    public ObjectNode toJson() {
        ObjectNode record = Json.mapper().createObjectNode();
        record.put("deadLetterReason", reason);
        record.put("subscription", subscription);
        record.put("function", function);
        record.put("deliveryAttempts", deliveryAttempts);
        record.put("lastErrorCode", lastErrorCode);
        record.put("lastErrorType", lastErrorType);
        record.put("publishTime", publishTime == null ? null : publishTime.toString());
        record.put("lastDeliveryAttemptTime", lastDeliveryAttemptTime == null ? null : lastDeliveryAttemptTime.toString());
        record.set("event", event.deepCopy());
        return record;
    }

    /**
     * A name part for {@code text} (an event id, a subscription's or function's name) that a file system and Blob
     * Storage both take: the text as it is when it is a short plain name; otherwise its plain part, cut to 64
     * characters, and 16 hex digits of its sha256, so that two ids that differ only where a character was replaced
     * ({@code a:b} and {@code a/b}) never share a name, and an id of 256 characters still makes a name of at most 81.
     */
    public static String namePart(String text) {
        String plain = plain(text);
        if (plain.equals(text) && plain.length() <= NAME_PART) {
            return plain;
        }
        return plain.substring(0, Math.min(NAME_PART, plain.length())) + "-"
                + Sha256.hex(text.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** {@code text} with every character but letters, digits, {@code .}, {@code _} and {@code -} replaced. */
    public static String plain(String text) {
        return text.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}

package health.vigil.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes events on the wire. Event Grid hands a trigger either its own schema or CloudEvents 1.0
 * (as one object or as an array); this class turns both into {@link EventEnvelope}s, builds a
 * {@link BlobCreated} from a storage event, and writes Vigil's events as CloudEvents. Messages name the
 * field and the rule, never the field's value.
 */
public final class EventEnvelopes {
    public static final String CLOUD_EVENTS_SPEC_VERSION = "1.0";

    private static final Pattern BLOB_SUBJECT = Pattern.compile("^/blobServices/default/containers/([^/]+)/blobs/(.+)$");
    private static final Pattern VERSION_SUBJECT = Pattern.compile("^/models/([^/]+)/versions/([1-9][0-9]{0,8})$");
    private static final TypeRef MAP_TYPE = new TypeRef();

    private EventEnvelopes() {}

    /** Parses a trigger payload: one event object or a non-empty array of them, in either schema. */
    public static List<EventEnvelope> parse(String payload) {
        if (payload == null) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, "event payload is missing: send an event object or an array of events");
        }
        return parse(Json.readTree("event payload", payload.getBytes(StandardCharsets.UTF_8)));
    }

    /** Parses an already-read payload: one event object or a non-empty array of them, in either schema. */
    public static List<EventEnvelope> parse(JsonNode payload) {
        List<ObjectNode> events = events(payload);
        List<EventEnvelope> envelopes = new ArrayList<>(events.size());
        EventEnvelope.Schema first = null;
        for (int i = 0; i < events.size(); i++) {
            EventEnvelope envelope = read(events.get(i), label(i, events.size()));
            if (first == null) {
                first = envelope.schema();
            } else if (first != envelope.schema()) {
                throw new ValidationException("the event array mixes the Event Grid schema and CloudEvents 1.0; "
                        + "a delivery uses one schema for all its events");
            }
            envelopes.add(envelope);
        }
        return List.copyOf(envelopes);
    }

    /**
     * Parses the input of one EventGridTrigger invocation, which is exactly one event (an array holding a
     * single event is accepted too, since some senders wrap it).
     */
    public static EventEnvelope parseSingle(String eventJson) {
        List<EventEnvelope> envelopes = parse(eventJson);
        if (envelopes.size() != 1) {
            throw new ValidationException("expected exactly one event but the payload holds " + envelopes.size()
                    + "; an EventGridTrigger invocation receives one event");
        }
        return envelopes.get(0);
    }

    /**
     * Splits a payload into its event objects without interpreting them: a single object gives a list of
     * one, an array gives its elements, each of which must be an object.
     */
    public static List<ObjectNode> events(JsonNode payload) {
        if (payload instanceof ObjectNode object) {
            return List.of(object.deepCopy());
        }
        if (payload != null && payload.isArray()) {
            if (payload.isEmpty()) {
                throw new ValidationException("the event array is empty: send at least one event");
            }
            List<ObjectNode> events = new ArrayList<>(payload.size());
            for (int i = 0; i < payload.size(); i++) {
                if (!(payload.get(i) instanceof ObjectNode object)) {
                    throw new ValidationException("element " + (i + 1) + " of the event array is "
                            + kind(payload.get(i)) + "; each element must be an event object");
                }
                events.add(object.deepCopy());
            }
            return events;
        }
        throw new ValidationException("the event payload is " + kind(payload)
                + "; send one event object or an array of event objects (Event Grid schema or CloudEvents 1.0)");
    }

    /** Reads one event object, telling the schema apart by {@code specversion} (CloudEvents) or {@code eventType} (Event Grid). */
    public static EventEnvelope read(JsonNode event) {
        return read(event, "the event");
    }

    private static EventEnvelope read(JsonNode event, String label) {
        if (!(event instanceof ObjectNode)) {
            throw new ValidationException(label + " is " + kind(event) + "; it must be a JSON object");
        }
        if (event.has("specversion")) {
            return readCloudEvent(event, label);
        }
        if (event.has("eventType")) {
            return readEventGridEvent(event, label);
        }
        throw new ValidationException(label + " is neither a CloudEvents 1.0 event (it has no `specversion`) "
                + "nor an Event Grid event (it has no `eventType`)");
    }

    private static EventEnvelope readCloudEvent(JsonNode event, String label) {
        String what = label + " (CloudEvents)";
        String specVersion = requiredText(event, "specversion", what);
        if (!CLOUD_EVENTS_SPEC_VERSION.equals(specVersion)) {
            throw new ValidationException(what + " has an unsupported `specversion`; only CloudEvents 1.0 is accepted");
        }
        String id = eventId(event, what);
        String source = requiredText(event, "source", what);
        String type = requiredText(event, "type", what);
        String subject = optionalText(event, "subject", what);
        String timeText = optionalText(event, "time", what);
        Instant time = timeText == null ? null : parseTime(timeText, "time", what);
        JsonNode data = event.get("data");
        JsonNode base64 = event.get("data_base64");
        if (data != null && base64 != null) {
            throw new ValidationException(what + " has both `data` and `data_base64`; CloudEvents allows one of them");
        }
        if (base64 != null) {
            if (!base64.isTextual()) {
                throw new ValidationException(what + " has a `data_base64` that is not a string");
            }
            try {
                data = BinaryNode.valueOf(Base64.getDecoder().decode(base64.textValue()));
            } catch (IllegalArgumentException e) {
                throw new ValidationException(what + " has a `data_base64` that is not valid base64");
            }
        }
        return new EventEnvelope(id, type, source, subject, time, data, EventEnvelope.Schema.CLOUD_EVENTS);
    }

    private static EventEnvelope readEventGridEvent(JsonNode event, String label) {
        String what = label + " (Event Grid schema)";
        String id = eventId(event, what);
        String type = requiredText(event, "eventType", what);
        // Event Grid's own events leave the subject empty (its subscription validation event sends "subject": "").
        String subject = requiredString(event, "subject", what);
        Instant time = parseTime(requiredText(event, "eventTime", what), "eventTime", what);
        String topic = optionalText(event, "topic", what);
        return new EventEnvelope(id, type, topic, subject, time, event.get("data"), EventEnvelope.Schema.EVENT_GRID);
    }

    /**
     * Checks that an event is one of the types its handler is subscribed to and that its {@code data} object has
     * the text and whole-number fields the handler reads. A handler given any other event is wired to the wrong
     * subscription: it is refused (Event Grid retries and then dead-letters it, where operations see it; the local
     * webhook answers 400) rather than passed over in silence.
     *
     * @param handler the function's name, for the message
     * @param types the event types the handler's subscription filters on
     * @param textFields fields of {@code data} that must be non-blank text
     * @param wholeFields fields of {@code data} that must be whole numbers
     * @return the event's {@code data}
     */
    public static JsonNode requireData(EventEnvelope event, String handler, Set<String> types, List<String> textFields,
            List<String> wholeFields) {
        if (!types.contains(event.type())) {
            throw new ValidationException(handler + " handles " + String.join(" and ", new TreeSet<>(types))
                    + " events only and this one has another type; check the event subscription's filter");
        }
        JsonNode data = event.data();
        List<String> missing = new ArrayList<>();
        for (String field : textFields) {
            JsonNode value = data == null ? null : data.get(field);
            if (value == null || !value.isTextual() || value.asText().isBlank()) {
                missing.add("'" + field + "' (text)");
            }
        }
        for (String field : wholeFields) {
            JsonNode value = data == null ? null : data.get(field);
            if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
                missing.add("'" + field + "' (a whole number)");
            }
        }
        if (!missing.isEmpty()) {
            throw new ValidationException("a " + event.type() + " event for " + handler + " needs "
                    + String.join(", ", missing) + " in its data");
        }
        return data;
    }

    /**
     * Checks that an event about one model version names the same version in its subject as in its data: Vigil
     * publishes such an event with the subject {@code /models/{model}/versions/{version}} ({@link ModelVersion#subject})
     * and the same model and version in its data. One whose subject names another model or version was not published
     * by Vigil as it is, and acting on either half would act on a version the other half does not name, so it is
     * refused and nothing is done; the subscription's subject filter reads the subject and the handler the data. An
     * event without a subject (CloudEvents make it optional) has nothing to disagree with and is judged by its data.
     *
     * @param handler the function's name, for the message
     * @param named the version the event's data names
     * @return {@code named}
     */
    public static ModelVersion requireSubjectNames(EventEnvelope event, String handler, ModelVersion named) {
        String subject = event.subject();
        if (subject == null || subject.isEmpty() || subject.equals(named.subject())) {
            return named;
        }
        Matcher m = VERSION_SUBJECT.matcher(subject);
        // The subject is the sender's text: repeated only when it reads as a model and a version number.
        String subjectNames = m.matches() && ModelName.isValid(m.group(1))
                ? "names " + m.group(1) + " version " + m.group(2)
                : "is not of the form /models/{model}/versions/{version} (it is not repeated here)";
        throw new ValidationException("the " + event.type() + " event's subject " + subjectNames + " but its data names "
                + named.name() + " version " + named.number() + "; " + handler + " did nothing: send the event with the"
                + " same model and version in its subject (/models/{model}/versions/{version}) and its data");
    }

    /**
     * The registration-relevant parts of a {@code Microsoft.Storage.BlobCreated} event, whose subject is
     * {@code /blobServices/default/containers/{container}/blobs/{name}}.
     */
    public static BlobCreated blobCreated(EventEnvelope event) {
        if (!EventTypes.BLOB_CREATED.equals(event.type())) {
            throw new ValidationException("the event is not a " + EventTypes.BLOB_CREATED + " event; "
                    + "subscribe this handler to " + EventTypes.BLOB_CREATED + " only");
        }
        Matcher m = event.subject() == null ? null : BLOB_SUBJECT.matcher(event.subject());
        if (m == null || !m.matches()) {
            throw new ValidationException("the BlobCreated event's subject does not have the form "
                    + "/blobServices/default/containers/{container}/blobs/{name}");
        }
        JsonNode data = event.data();
        if (!data.isObject()) {
            throw new ValidationException("the BlobCreated event has no `data` object");
        }
        JsonNode length = data.get("contentLength");
        if (length == null || !length.canConvertToLong() || !length.isIntegralNumber() || length.longValue() < 0) {
            throw new ValidationException("the BlobCreated event's `data.contentLength` must be a whole number of at least 0");
        }
        String url = optionalText(data, "url", "the BlobCreated event's data");
        String eTag = optionalText(data, "eTag", "the BlobCreated event's data");
        return new BlobCreated(event.id(), m.group(1), m.group(2), url, length.longValue(), eTag);
    }

    /** A Vigil event in the CloudEvents 1.0 JSON format, as Event Grid's custom topic delivers it. */
    public static ObjectNode cloudEvent(VigilEvent event) {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("specversion", CLOUD_EVENTS_SPEC_VERSION);
        node.put("id", event.id());
        node.put("source", event.source());
        node.put("type", event.type());
        if (event.subject() != null) {
            node.put("subject", event.subject());
        }
        node.put("time", DateTimeFormatter.ISO_INSTANT.format(event.time()));
        node.put("datacontenttype", "application/json");
        node.set("data", Json.mapper().valueToTree(event.data()));
        return node;
    }

    /**
     * Converts an Event Grid schema event to CloudEvents 1.0 the way Event Grid does for a subscription whose
     * delivery schema is CloudEvents (topic becomes source, eventType becomes type, eventTime becomes time).
     */
    public static ObjectNode toCloudEvent(EventEnvelope event) {
        if (event.schema() == EventEnvelope.Schema.CLOUD_EVENTS) {
            throw new ValidationException("the event is already a CloudEvent");
        }
        if (event.source() == null) {
            throw new ValidationException("the Event Grid event has no `topic`, which a CloudEvent needs as its source");
        }
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("specversion", CLOUD_EVENTS_SPEC_VERSION);
        node.put("id", event.id());
        node.put("source", event.source());
        node.put("type", event.type());
        if (event.subject() != null) {
            node.put("subject", event.subject());
        }
        node.put("time", DateTimeFormatter.ISO_INSTANT.format(event.time()));
        if (!event.data().isNull()) {
            node.put("datacontenttype", "application/json");
            node.set("data", event.data());
        }
        return node;
    }

    /** Turns a delivered Vigil event back into a {@link VigilEvent}; its data must be a JSON object. */
    public static VigilEvent vigilEvent(EventEnvelope event) {
        if (event.time() == null) {
            throw new ValidationException("the event has no `time`; Vigil events always carry one");
        }
        JsonNode data = event.data();
        if (!data.isNull() && !data.isObject()) {
            throw new ValidationException("the event's `data` is " + kind(data) + "; Vigil events carry a JSON object");
        }
        Map<String, Object> map = data.isNull() ? Map.of() : Json.mapper().convertValue(data, MAP_TYPE);
        return new VigilEvent(event.id(), event.type(), event.source() == null ? VigilEvent.SOURCE : event.source(),
                event.subject(), event.time(), map);
    }

    /**
     * An event's id: at most 256 characters, none of them a control or format character, and whole text (no lone
     * surrogate). Ids go into logs and idempotency keys: a forged one holding line breaks, terminal escapes or a
     * direction override would write or disguise lines of a log, and two ids with different lone surrogates would be
     * stored as the same text, so the second event would be taken for the first.
     */
    private static String eventId(JsonNode event, String what) {
        String id = requiredText(event, "id", what);
        if (id.length() > 256 || !Json.isPrintableText(id)) {
            throw new ValidationException(what + " has an `id` that is longer than 256 characters or holds control"
                    + " characters or broken text; an event id is printable text such as a GUID");
        }
        return id;
    }

    private static String requiredText(JsonNode event, String field, String what) {
        String value = optionalText(event, field, what);
        if (value == null) {
            throw new ValidationException(what + " has no `" + field + "`; it is required");
        }
        return value;
    }

    /** A string that must be present but may be empty. */
    private static String requiredString(JsonNode event, String field, String what) {
        JsonNode value = event.get(field);
        if (value == null || value.isNull()) {
            throw new ValidationException(what + " has no `" + field + "`; it is required");
        }
        if (!value.isTextual()) {
            throw new ValidationException(what + " has a `" + field + "` that is not a string");
        }
        return value.textValue();
    }

    private static String optionalText(JsonNode event, String field, String what) {
        JsonNode value = event.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw new ValidationException(what + " has a `" + field + "` that is not a non-empty string");
        }
        return value.textValue();
    }

    private static Instant parseTime(String text, String field, String what) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException withoutOffset) {
            try {
                // Some Event Grid publishers write UTC times without an offset.
                return LocalDateTime.parse(text, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                throw new ValidationException(what + " has a `" + field + "` that is not an RFC 3339 timestamp "
                        + "(for example 2026-01-31T12:00:00Z)");
            }
        }
    }

    private static String label(int index, int count) {
        return count == 1 ? "the event" : "event " + (index + 1) + " of " + count;
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "missing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "not JSON";
        };
    }

    private static final class TypeRef extends com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> {}
}

package health.vigil.adapter.local;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.JsonProcessingException;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One Event Grid subscription as declared in {@code infra/bicep/event-subscriptions.json}: which function of
 * which Function App receives which event types, optionally filtered by subject prefix, in which delivery
 * schema. Bicep deploys the same list with {@code loadJsonContent()}; the local bus reads it to route.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventBusSubscription(
        String name,
        String function,
        String app,
        List<String> eventTypes,
        String subjectBeginsWith,
        DeliverySchema schema) {

    /** Event Grid's delivery schemas, named as in the Bicep resource. */
    public enum DeliverySchema {
        @JsonProperty("CloudEventSchemaV1_0")
        CLOUD_EVENTS,
        @JsonProperty("EventGridSchema")
        EVENT_GRID
    }

    public static final Set<String> APPS = Set.of("scoring", "control");
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9-]{3,64}$");
    private static final Pattern FUNCTION = Pattern.compile("^[A-Za-z][A-Za-z0-9_-]{0,127}$");

    public EventBusSubscription {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ValidationException("a subscription `name` must be 3-64 letters, digits or hyphens (Event Grid's rule)");
        }
        if (function == null || !FUNCTION.matcher(function).matches()) {
            throw new ValidationException("subscription " + name + " needs a `function`: the @FunctionName of an EventGridTrigger function");
        }
        if (app == null || !APPS.contains(app)) {
            throw new ValidationException("subscription " + name + " has `app` " + app + "; use scoring or control");
        }
        if (eventTypes == null || eventTypes.isEmpty()) {
            throw new ValidationException("subscription " + name + " lists no `eventTypes`; name at least one");
        }
        eventTypes = List.copyOf(eventTypes);
        if (schema == null) {
            throw new ValidationException("subscription " + name + " needs a `schema`: CloudEventSchemaV1_0 or EventGridSchema");
        }
        for (String type : eventTypes) {
            if (type == null || type.isBlank()) {
                throw new ValidationException("subscription " + name + " has an empty event type");
            }
            // Vigil's own topic takes CloudEvents in, and Event Grid cannot turn those into its own schema.
            if (type.startsWith("Vigil.") && schema != DeliverySchema.CLOUD_EVENTS) {
                throw new ValidationException("subscription " + name + " receives " + type
                        + ", which the Vigil topic publishes as CloudEvents; set its schema to CloudEventSchemaV1_0");
            }
        }
        if (subjectBeginsWith != null && subjectBeginsWith.isBlank()) {
            subjectBeginsWith = null;
        }
    }

    /** Event Grid's filter: the type is listed, and the subject starts with the prefix (case-insensitively, Event Grid's default). */
    public boolean matches(String eventType, String subject) {
        if (!eventTypes.contains(eventType)) {
            return false;
        }
        if (subjectBeginsWith == null) {
            return true;
        }
        return subject != null
                && subject.toLowerCase(Locale.ROOT).startsWith(subjectBeginsWith.toLowerCase(Locale.ROOT));
    }

    /** Reads a subscription list (a JSON array); names must be unique. */
    public static List<EventBusSubscription> readList(String what, byte[] json) {
        Objects.requireNonNull(what, "what");
        List<EventBusSubscription> list;
        try {
            list = Json.mapper().readValue(json, new TypeReference<List<EventBusSubscription>>() {});
        } catch (JsonProcessingException e) {
            throw Json.malformed(what, e);
        } catch (IOException e) {
            throw new UncheckedIOException(what + " could not be read", e);
        }
        if (list == null) {
            throw new ValidationException(what + " is null; it must be an array of subscriptions");
        }
        Set<String> names = new HashSet<>();
        for (EventBusSubscription s : list) {
            if (s == null) {
                throw new ValidationException(what + " has a null entry; remove it");
            }
            if (!names.add(s.name().toLowerCase(Locale.ROOT))) {
                throw new ValidationException(what + " declares subscription " + s.name() + " twice; names must be unique");
            }
        }
        return List.copyOf(list);
    }

    /** Reads a subscription list from a class-path resource. */
    public static List<EventBusSubscription> readResource(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new ValidationException("the event subscriptions resource " + resource + " is not on the class path");
            }
            return readList(resource, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}

package health.vigil.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A Vigil event in the CloudEvents 1.0 shape. {@code data} carries ids and outcomes, never patient data.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VigilEvent(
        String id,
        String type,
        String source,
        String subject,
        Instant time,
        Map<String, Object> data) {

    public static final String SOURCE = "/vigil";

    public VigilEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(time, "time");
        data = data == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(data));
    }

    public static VigilEvent of(String type, String subject, Instant time, Map<String, Object> data) {
        return new VigilEvent(UUID.randomUUID().toString(), type, SOURCE, subject, time, data);
    }
}

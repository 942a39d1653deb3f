package health.vigil.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a shadow prediction names its live partner in the prediction log. A shadow prediction has no explanation
 * (nobody receives it), so the record's explanation field carries {@code {"shadowOf": id, "segments": {...}}}: the
 * live prediction's id and the row's segments (in the columns the gates judge segments by, as
 * {@link health.vigil.features.SegmentValues} defines them), written when the row was mirrored. See ADR 0015.
 */
public final class ShadowPairing {
    static final String SHADOW_OF = "shadowOf";
    static final String SEGMENTS = "segments";

    /** The pairing a shadow record carries. */
    public record Pair(String livePredictionId, Map<String, String> segments) {
        public Pair {
            segments = Map.copyOf(segments);
        }
    }

    private ShadowPairing() {}

    public static String write(String livePredictionId, Map<String, String> segments) {
        Map<String, Object> context = new LinkedHashMap<>();
        context.put(SHADOW_OF, livePredictionId);
        context.put(SEGMENTS, new LinkedHashMap<>(segments));
        return Json.write(context);
    }

    /** The pairing of a shadow record; empty for anything else (a live record's explanation). */
    public static Optional<Pair> read(String context) {
        if (context == null || !context.contains(SHADOW_OF)) {
            return Optional.empty();
        }
        JsonNode node = Json.readTree("shadow pairing", context.getBytes(StandardCharsets.UTF_8));
        JsonNode id = node.get(SHADOW_OF);
        if (id == null || !id.isTextual()) {
            return Optional.empty();
        }
        Map<String, String> segments = new LinkedHashMap<>();
        JsonNode s = node.get(SEGMENTS);
        if (s != null) {
            s.fields().forEachRemaining(e -> segments.put(e.getKey(), e.getValue().asText()));
        }
        return Optional.of(new Pair(id.asText(), segments));
    }
}

package health.vigil.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Live-scored rows handed to the shadow version of their model, off the request path: for each row the live
 * prediction's id, the patient's pseudonym and the row's fields.
 * {@code time} is the live predictions' time, which the shadow predictions take too, so both land in the same window.
 * {@code liveFields} are the field names the live path accepted for the rows (the features of every live version): a
 * field among them that the shadow version does not take was sent for a live version, and the shadow ignores it.
 */
public record MirroredRows(ModelName model, int shadowVersion, Instant time, List<Row> rows, Set<String> liveFields) {

    /**
     * One mirrored row: {@code values} as the live version's validator read them, and {@code raw} the request's
     * fields as they came (the shadow version validates them against its own schema). Both are patient data: never
     * logged, never in a message.
     */
    public record Row(String livePredictionId, String pseudonym, Map<String, Object> values, Map<String, ?> raw) {
        public Row {
            Objects.requireNonNull(livePredictionId, "livePredictionId");
            Objects.requireNonNull(values, "values");
            Objects.requireNonNull(raw, "raw");
        }

        @Override
        public String toString() {
            return "MirroredRows.Row[" + livePredictionId + "]";
        }
    }

    public MirroredRows {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(time, "time");
        rows = List.copyOf(rows);
        // Kept as the live path's read-only set, not copied: a lookup of a field name may be of a null key.
        Objects.requireNonNull(liveFields, "liveFields");
    }
}

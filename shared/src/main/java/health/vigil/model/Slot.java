package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A traffic slot of a deployment. */
public enum Slot {
    STABLE,
    CANARY,
    SHADOW,
    /**
     * Not a traffic slot: the predictions of a batch job, kept apart so that canary analysis, which compares the
     * stable and canary slots, never counts a nightly file as live traffic.
     */
    BATCH;

    /** Computed once: every prediction-log record writes it. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static Slot fromWire(String value) {
        return Slot.valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}

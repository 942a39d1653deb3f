package health.vigil.model;

import health.vigil.error.ValidationException;
import java.util.Objects;

/** One version in one slot with its share of live traffic in percent (shadow slots take 0: they score in the background). */
public record TrafficSlot(Slot slot, int version, int weightPercent) {
    public TrafficSlot {
        Objects.requireNonNull(slot, "slot");
        if (version < 1) {
            throw new ValidationException("slot " + slot.wireName() + " names version " + version + "; versions start at 1");
        }
        if (weightPercent < 0 || weightPercent > 100) {
            throw new ValidationException("slot " + slot.wireName() + " has weight " + weightPercent
                    + "%; weights are 0-100");
        }
    }
}

package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What serves a model's traffic: a stable slot and optionally a canary (with its share of traffic) and a
 * shadow. Live weights (stable + canary) add up to 100. {@code revision} increases with every change and
 * {@code etag} is the store's concurrency token.
 */
public record Deployment(
        ModelName modelName,
        List<TrafficSlot> slots,
        long revision,
        String updatedBy,
        Instant updatedAt,
        String etag) {

    public Deployment {
        Objects.requireNonNull(modelName, "modelName");
        slots = List.copyOf(slots);
        Set<Slot> seen = EnumSet.noneOf(Slot.class);
        int live = 0;
        for (TrafficSlot s : slots) {
            if (!seen.add(s.slot())) {
                throw new ValidationException("deployment of " + modelName + " has slot " + s.slot().wireName() + " twice");
            }
            if (s.slot() == Slot.SHADOW && s.weightPercent() != 0) {
                throw new ValidationException("the shadow slot takes no live traffic: its weight must be 0");
            }
            if (s.slot() != Slot.SHADOW) {
                live += s.weightPercent();
            }
        }
        if (!seen.contains(Slot.STABLE)) {
            throw new ValidationException("deployment of " + modelName + " has no stable slot");
        }
        if (live != 100) {
            throw new ValidationException("deployment of " + modelName + " has live weights adding up to " + live
                    + "%; stable and canary must add up to 100%");
        }
    }

    /** A deployment with every live request going to one version. */
    public static Deployment stableOnly(ModelName model, int version, long revision, String by, Instant at, String etag) {
        return new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, version, 100)), revision, by, at, etag);
    }

    public Optional<TrafficSlot> slot(Slot slot) {
        return slots.stream().filter(s -> s.slot() == slot).findFirst();
    }

    @JsonIgnore
    public TrafficSlot stable() {
        return slot(Slot.STABLE).orElseThrow();
    }
}

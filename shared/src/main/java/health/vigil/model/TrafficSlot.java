package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Objects;

/**
 * One version in one slot with its share of live traffic in basis points (1 = 0.01 %, 10,000 = all of it);
 * shadow slots take 0: they score in the background. {@code since} is when the slot took this version and share,
 * kept for the shadow slot so that its report does not expect shadow scores for requests scored before it was set;
 * absent for live slots and for shadow slots stored before it was kept.
 */
public record TrafficSlot(Slot slot, int version, int weightBasisPoints,
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant since) {
    /** All live traffic, in basis points. */
    public static final int ALL = 10_000;

    public TrafficSlot {
        Objects.requireNonNull(slot, "slot");
        if (version < 1) {
            throw new ValidationException("slot " + slot.wireName() + " names version " + version + "; versions start at 1");
        }
        if (weightBasisPoints < 0 || weightBasisPoints > ALL) {
            throw new ValidationException("slot " + slot.wireName() + " has weight " + weightBasisPoints
                    + " basis points; weights are 0-10000 (10000 = 100 %)");
        }
    }

    public TrafficSlot(Slot slot, int version, int weightBasisPoints) {
        this(slot, version, weightBasisPoints, null);
    }

    /**
     * Reads the stored document; deployments saved before weights were kept in basis points hold
     * {@code weightPercent}, which is read as that many hundred basis points.
     */
    @JsonCreator
    static TrafficSlot fromDocument(@JsonProperty("slot") Slot slot, @JsonProperty("version") int version,
            @JsonProperty("weightBasisPoints") Integer weightBasisPoints, @JsonProperty("weightPercent") Integer weightPercent,
            @JsonProperty("since") Instant since) {
        if (weightBasisPoints != null && weightPercent != null) {
            throw new ValidationException("slot " + (slot == null ? "?" : slot.wireName()) + " has both"
                    + " weightBasisPoints and weightPercent; keep weightBasisPoints only");
        }
        if (weightBasisPoints == null && weightPercent == null) {
            throw new ValidationException("slot " + (slot == null ? "?" : slot.wireName()) + " has no weightBasisPoints");
        }
        return new TrafficSlot(slot, version, weightBasisPoints != null ? weightBasisPoints
                : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, weightPercent * 100L)), since);
    }
}

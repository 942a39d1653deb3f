package health.vigil.shadow;

import java.time.Instant;
import java.util.List;

/**
 * Live against shadow over a window of the prediction log. {@code shadowSince} is when the current shadow slot was set
 * (null for a version that is not the current shadow, and for a shadow stored before the moment was kept).
 * {@code expectedMirrored} counts the live predictions from then on that the current share picks for mirroring (the
 * choice depends on the prediction id alone, see {@code MirrorSampling}); {@code missing} are those without a shadow
 * partner: dropped when the queue was full, refused or failed by the shadow, or still waiting. {@code thisInstance}
 * is what this process's mirror counted since it started (absent where no scoring runs in the process); fleet-wide
 * drops are the {@code vigil.shadow.mirrored} metric.
 */
public record ShadowReport(
        String model,
        int shadowVersion,
        int mirroredBasisPoints,
        Instant shadowSince,
        Instant from,
        Instant to,
        long livePredictions,
        long expectedMirrored,
        long shadowPredictions,
        long paired,
        long missing,
        ShadowMirror.Counts thisInstance,
        ShadowComparison.Result overall,
        List<Segment> segments) {

    public ShadowReport {
        segments = List.copyOf(segments);
    }

    /** The comparison within one value of one segment column. */
    public record Segment(String column, String value, ShadowComparison.Result comparison) {}
}

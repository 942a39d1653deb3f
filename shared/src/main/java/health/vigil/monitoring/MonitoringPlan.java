package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.SegmentColumns;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The plan of a check fanned out over the partitions of its window, written once before any message is queued:
 * which version and slot, the policy and segment columns at the time the check started (so every partition and the
 * merge judge by the same ones), and the log partitions in the order their partials are merged.
 */
record MonitoringPlan(String reportId, String model, int version, String slot, Instant from, Instant to,
        MonitoringPolicy policy, SegmentColumns segmentColumns, List<PredictionLog.Partition> partitions,
        Instant plannedAt) {

    MonitoringPlan {
        Objects.requireNonNull(reportId, "reportId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(policy, "policy");
        segmentColumns = segmentColumns == null ? SegmentColumns.NONE : segmentColumns;
        partitions = List.copyOf(partitions);
        if (partitions.isEmpty()) {
            throw new ValidationException("a fanned-out check has at least one partition");
        }
    }
}

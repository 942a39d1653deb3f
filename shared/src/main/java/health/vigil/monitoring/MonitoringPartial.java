package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import java.util.List;
import java.util.Objects;

/**
 * What one partition of the prediction log contributes to the check of a window: its prediction count, its drift
 * summary (null when the version has no reference profile), and the labelled summaries overall and per segment.
 * Counts and sums only, no row, value or pseudonym. Written as JSON it reads back equal (Jackson writes a double as
 * the shortest decimal that reads back to it), so partials merged after a round trip through storage give the same
 * report as partials merged in memory.
 *
 * @param partition the log partition's name ({@link health.vigil.port.PredictionLog.Partition#name()})
 * @param served the versions and slots of every prediction of the partition in the window, whichever this check is
 *     of (so the first check of a window learns them in the read it makes anyway); null in a partial stored before
 *     partials kept them
 */
record MonitoringPartial(String reportId, String partition, long predictions, DriftSummary drift,
        LabelledSummary.Parts labelled, List<MonitoringSegments.Segment> segments,
        List<MonitoringService.Served> served) {

    MonitoringPartial {
        Objects.requireNonNull(reportId, "reportId");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(labelled, "labelled");
        if (predictions < 0) {
            throw new ValidationException("a partial check's prediction count is negative");
        }
        segments = segments == null ? List.of() : List.copyOf(segments);
        served = served == null ? null : List.copyOf(served);
    }
}

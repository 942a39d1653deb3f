package health.vigil.monitoring;

import java.time.Instant;
import java.util.List;

/**
 * What a monitoring run started: the reports of the windows that are checked (now, or before), and the windows whose
 * check was fanned out over the partitions of their prediction log and is still being merged.
 */
public record MonitoringRun(List<MonitoringReport> reports, List<Pending> pending) {

    public MonitoringRun {
        reports = List.copyOf(reports);
        pending = List.copyOf(pending);
    }

    /**
     * A check in progress: its report appears under {@code reportId} once every partition is done.
     *
     * @param partitions how many partitions the window's check was split into
     * @param done how many of them had their partial summary written when the run returned
     */
    public record Pending(String reportId, String model, int version, String slot, Instant from, Instant to,
            int partitions, int done) {}
}

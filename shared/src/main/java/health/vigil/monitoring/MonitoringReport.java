package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One check of one deployed version in one traffic slot over one window {@code [from, to)}: the drift against the
 * version's training reference, the label-free performance estimate (inside {@code drift}), the realised
 * performance over the predictions whose outcomes have arrived, and the verdict of the model's monitoring policy.
 * Holds statistics and ids only, never a row, a feature value or a pseudonym.
 *
 * @param id {@code model/vVERSION/SLOT/FROM--TO}, the same for every check of that window (a replay finds it)
 * @param labelledFraction share of the window's predictions with an outcome (null without predictions, and when
 *     the window's outcomes are withheld: with {@code predictions} it would give them back)
 * @param driftedWindows how many windows in a row, ending with this one, found drift
 * @param performanceDegraded realised (or, without enough labels, expected) performance fell below the policy
 * @param estimateError the label-free expected AUROC minus the AUROC realised on the window's outcomes: the
 *     estimator's own track record, shown beside it (null until the realised AUROC is judged: the policy's minimum of
 *     outcomes, and of each class; null when the window's positives are withheld)
 * @param performance realised performance over the window's outcomes, with the counts the policy's
 *     {@code minCellSize} withholds withheld, and their statistics ({@link SmallCells}), as made and as read
 * @param reasons why the severity is what it is, in words; the window's counts only as {@code performance} shows
 *     them, as made and as read
 * @param segments realised performance per segment (the columns the model's gates judge segments by), with the
 *     counts the policy's {@code minCellSize} withholds withheld ({@link SmallCells}), as made and as read
 * @param provisional the window's log was read before it settled ({@code VIGIL_MONITORING_SETTLE_SECONDS}), so
 *     predictions stamped before its end may be missing: the first check after it settled replaces this report by the
 *     final one, under the same id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MonitoringReport(String id, String model, int version, String slot, Instant from, Instant to,
        Instant checkedAt, Severity severity, List<String> reasons, long predictions, Double labelledFraction,
        int driftedWindows, boolean performanceDegraded, Double estimateError, DriftReport drift,
        LabelledPerformance performance, MonitoringPolicy policy, List<SegmentPerformance> segments,
        boolean provisional) {

    public MonitoringReport {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(severity, "severity");
        segments = segments == null ? List.of() : List.copyOf(SmallCells.suppress(segments, policy));
        performance = SmallCells.window(performance, policy);
        // A report stored before the window's counts were withheld still gives them in its reasons' words.
        reasons = List.copyOf(SmallCells.reasons(reasons, performance));
        if (performance != null && performance.labelled() == null) {
            labelledFraction = null;
        }
        if (performance != null && performance.positives() == null) {
            estimateError = null;
        }
        if (!from.isBefore(to)) {
            throw new ValidationException("a monitoring window must end after it starts");
        }
    }

    /** A final report: its window had settled when it was read. */
    public MonitoringReport(String id, String model, int version, String slot, Instant from, Instant to,
            Instant checkedAt, Severity severity, List<String> reasons, long predictions, Double labelledFraction,
            int driftedWindows, boolean performanceDegraded, Double estimateError, DriftReport drift,
            LabelledPerformance performance, MonitoringPolicy policy, List<SegmentPerformance> segments) {
        this(id, model, version, slot, from, to, checkedAt, severity, reasons, predictions, labelledFraction,
                driftedWindows, performanceDegraded, estimateError, drift, performance, policy, segments, false);
    }

    /** What a window's verdict asks of people. */
    public enum Severity {
        /** Too few predictions to judge anything. */
        INSUFFICIENT_DATA,
        /** Nothing reached a threshold. */
        OK,
        /** Drift in this window only: watch. */
        WARNING,
        /** Drift in enough consecutive windows, or performance below the policy's floor: act (runbook). */
        ALERT
    }

    public boolean drifted() {
        return drift != null && drift.drifted();
    }

    /** The report id of a window, readable in a blob name and an audit record. */
    public static String idOf(String model, int version, String slot, Instant from, Instant to) {
        return model + "/v" + version + "/" + slot + "/" + compact(from) + "--" + compact(to);
    }

    /** {@code 2026-12-01T10:00:00Z} as {@code 2026-12-01T100000Z}: no colon, so it is a portable file name. */
    static String compact(Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(t);
    }
}

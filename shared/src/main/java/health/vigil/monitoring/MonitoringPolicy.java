package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Objects;

/**
 * How one model's monitoring windows are judged. A window's drift counts only with enough rows (the drift
 * thresholds' {@code minRows}); labelled performance only with at least {@code minLabelled} outcomes of both
 * classes. A window is an {@link MonitoringReport.Severity#ALERT} when drift was found in {@code consecutiveWindows}
 * windows in a row (this one included), or when performance fell below a floor; a single drifted window is a
 * {@link MonitoringReport.Severity#WARNING}.
 *
 * @param window the length of a check window (windows are aligned to it, counted from the epoch)
 * @param drift the per-feature drift thresholds
 * @param consecutiveWindows how many drifted windows in a row raise an alert (at least 1)
 * @param minLabelled fewest labelled predictions before labelled performance is judged
 * @param minAuroc realised AUROC below this is an alert (performance degraded)
 * @param maxBrier realised Brier score above this is an alert (performance degraded)
 * @param minExpectedAuroc label-free expected AUROC below this is an alert, when the window has too few labels
 */
public record MonitoringPolicy(Duration window, DriftThresholds drift, int consecutiveWindows, long minLabelled,
        double minAuroc, double maxBrier, double minExpectedAuroc) {

    public static final MonitoringPolicy DEFAULTS = new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS,
            1, 50, 0.6, 0.25, 0.6);

    public MonitoringPolicy {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(drift, "drift");
        if (window.compareTo(Duration.ofMinutes(1)) < 0 || window.compareTo(Duration.ofDays(31)) > 0
                || Duration.ofDays(1).toMillis() % window.toMillis() != 0 && window.toMillis() % Duration.ofDays(1).toMillis() != 0) {
            throw new ValidationException("the monitoring window must be between 1 minute and 31 days and divide a day"
                    + " (or be whole days); " + window + " does not");
        }
        if (consecutiveWindows < 1 || consecutiveWindows > 48) {
            throw new ValidationException("consecutiveWindows must be between 1 and 48; it is " + consecutiveWindows);
        }
        if (minLabelled < 2) {
            throw new ValidationException("minLabelled must be at least 2; it is " + minLabelled);
        }
        unit(minAuroc, "minAuroc");
        unit(maxBrier, "maxBrier");
        unit(minExpectedAuroc, "minExpectedAuroc");
    }

    private static void unit(double v, String name) {
        if (!(v >= 0 && v <= 1)) {
            throw new ValidationException(name + " must be between 0 and 1");
        }
    }
}

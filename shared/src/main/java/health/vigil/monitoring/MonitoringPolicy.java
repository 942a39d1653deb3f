package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Objects;

/**
 * How one model's monitoring windows are judged. A window's drift counts only with enough rows (the drift
 * thresholds' {@code minRows}); labelled performance only with at least {@code minLabelled} outcomes, and the
 * realised AUROC only when at least {@code minLabelledPerClass} of them are positive and as many negative (one
 * positive among fifty outcomes gives an AUROC that is noise). A window is an {@link MonitoringReport.Severity#ALERT}
 * when drift was found in {@code consecutiveWindows} windows in a row (this one included), or when performance fell
 * below a floor; a single drifted window is a {@link MonitoringReport.Severity#WARNING}.
 *
 * @param window the length of a check window (windows are aligned to it, counted from the epoch)
 * @param drift the per-feature drift thresholds
 * @param consecutiveWindows how many drifted windows in a row raise an alert (at least 1)
 * @param minLabelled fewest labelled predictions before labelled performance is judged
 * @param minLabelledPerClass fewest positive, and fewest negative, outcomes before the realised AUROC is judged
 * @param minAuroc realised AUROC below this is an alert (performance degraded)
 * @param maxBrier realised Brier score above this is an alert (performance degraded)
 * @param minExpectedAuroc label-free expected AUROC below this is an alert, when the window has too few labels to
 *     judge the realised AUROC
 */
public record MonitoringPolicy(Duration window, DriftThresholds drift, int consecutiveWindows, long minLabelled,
        long minLabelledPerClass, double minAuroc, double maxBrier, double minExpectedAuroc) {

    public static final MonitoringPolicy DEFAULTS = new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS,
            1, 50, 10, 0.6, 0.25, 0.6);

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
        if (minLabelledPerClass < 1) {
            throw new ValidationException("minLabelledPerClass must be at least 1; it is " + minLabelledPerClass);
        }
        unit(minAuroc, "minAuroc");
        unit(maxBrier, "maxBrier");
        unit(minExpectedAuroc, "minExpectedAuroc");
    }

    /**
     * Reads the policy a stored report was judged by. A report stored before the policy had
     * {@code minLabelledPerClass} judged the AUROC with one outcome of each class, the least it is defined with.
     */
    @JsonCreator
    static MonitoringPolicy read(@JsonProperty("window") Duration window, @JsonProperty("drift") DriftThresholds drift,
            @JsonProperty("consecutiveWindows") int consecutiveWindows, @JsonProperty("minLabelled") long minLabelled,
            @JsonProperty("minLabelledPerClass") Long minLabelledPerClass, @JsonProperty("minAuroc") double minAuroc,
            @JsonProperty("maxBrier") double maxBrier, @JsonProperty("minExpectedAuroc") double minExpectedAuroc) {
        return new MonitoringPolicy(window, drift, consecutiveWindows, minLabelled,
                minLabelledPerClass == null ? 1 : minLabelledPerClass, minAuroc, maxBrier, minExpectedAuroc);
    }

    /** Whether {@code performance} has enough outcomes of each class for its AUROC to be judged. */
    boolean judgesAuroc(LabelledPerformance performance) {
        return judgesAuroc(performance.labelled(), performance.positives());
    }

    /**
     * Whether {@code labelled} outcomes of which {@code positives} were positive are enough to judge an AUROC on: the
     * window's, the gauge's, the estimate's error and each segment's.
     */
    boolean judgesAuroc(long labelled, long positives) {
        return labelled >= minLabelled && positives >= minLabelledPerClass
                && labelled - positives >= minLabelledPerClass;
    }

    private static void unit(double v, String name) {
        if (!(v >= 0 && v <= 1)) {
            throw new ValidationException(name + " must be between 0 and 1");
        }
    }
}

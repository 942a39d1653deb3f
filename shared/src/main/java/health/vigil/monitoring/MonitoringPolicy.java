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
 * @param minCellSize fewest outcomes a segment's count may show: a segment count from 1 to one less is withheld
 *     ({@link SmallCells}); 0 or 1 shows every count
 */
public record MonitoringPolicy(Duration window, DriftThresholds drift, int consecutiveWindows, long minLabelled,
        long minLabelledPerClass, double minAuroc, double maxBrier, double minExpectedAuroc, int minCellSize) {

    /** The smallest segment count shown by default, as the CMS cell-size rule has it (no count from 1 to 10). */
    public static final int DEFAULT_MIN_CELL_SIZE = 11;

    public static final MonitoringPolicy DEFAULTS = new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS,
            1, 50, 10, 0.6, 0.25, 0.6, DEFAULT_MIN_CELL_SIZE);

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
        if (minCellSize < 0) {
            throw new ValidationException("minCellSize must be 0 or more (0 or 1 shows every segment count); it is "
                    + minCellSize);
        }
    }

    /** A policy with the default minimum cell size. */
    public MonitoringPolicy(Duration window, DriftThresholds drift, int consecutiveWindows, long minLabelled,
            long minLabelledPerClass, double minAuroc, double maxBrier, double minExpectedAuroc) {
        this(window, drift, consecutiveWindows, minLabelled, minLabelledPerClass, minAuroc, maxBrier, minExpectedAuroc,
                DEFAULT_MIN_CELL_SIZE);
    }

    /**
     * Reads the policy a stored report was judged by. A report stored before the policy had
     * {@code minLabelledPerClass} judged the AUROC with one outcome of each class, the least it is defined with; one
     * stored before {@code minCellSize} reads the default, so its segments are shown as a report made now shows them.
     */
    @JsonCreator
    static MonitoringPolicy read(@JsonProperty("window") Duration window, @JsonProperty("drift") DriftThresholds drift,
            @JsonProperty("consecutiveWindows") int consecutiveWindows, @JsonProperty("minLabelled") long minLabelled,
            @JsonProperty("minLabelledPerClass") Long minLabelledPerClass, @JsonProperty("minAuroc") double minAuroc,
            @JsonProperty("maxBrier") double maxBrier, @JsonProperty("minExpectedAuroc") double minExpectedAuroc,
            @JsonProperty("minCellSize") Integer minCellSize) {
        return new MonitoringPolicy(window, drift, consecutiveWindows, minLabelled,
                minLabelledPerClass == null ? 1 : minLabelledPerClass, minAuroc, maxBrier, minExpectedAuroc,
                minCellSize == null ? DEFAULT_MIN_CELL_SIZE : minCellSize);
    }

    /** Whether {@code performance} has enough outcomes of each class for its AUROC to be judged. */
    boolean judgesAuroc(LabelledPerformance performance) {
        return judgesAuroc(performance.labelled(), performance.positives());
    }

    /**
     * Whether {@code labelled} outcomes of which {@code positives} were positive are enough to judge an AUROC on: the
     * window's, the gauge's, the estimate's error and each segment's.
     */
    public boolean judgesAuroc(long labelled, long positives) {
        return labelled >= minLabelled && positives >= minLabelledPerClass
                && labelled - positives >= minLabelledPerClass;
    }

    /**
     * Whether {@code labelled} outcomes are enough to judge a Brier score on: the policy's minimum, whatever their
     * classes (a Brier score is defined, and says something, on outcomes of one class too).
     */
    public boolean judgesBrier(long labelled) {
        return labelled >= minLabelled;
    }

    private static void unit(double v, String name) {
        if (!(v >= 0 && v <= 1)) {
            throw new ValidationException(name + " must be between 0 and 1");
        }
    }
}

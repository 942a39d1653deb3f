package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The curves behind a gate report's numbers, on the rows the candidate was judged on, for drawing: the
 * reliability (calibration) curve's bins and the ROC curve's points, thinned for display.
 */
public record GateCurves(List<CalibrationBin> calibration, List<RocPoint> roc) {

    /** One bin of the reliability curve: its score range, its rows, their mean risk and the observed rate. */
    public record CalibrationBin(double lower, double upper, long count, double meanScore, double observedRate) {}

    /** One point of the ROC curve; {@code threshold} is null for the start of the curve (nothing positive). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RocPoint(Double threshold, double falsePositiveRate, double truePositiveRate) {}

    public GateCurves {
        calibration = calibration == null ? List.of() : List.copyOf(calibration);
        roc = roc == null ? List.of() : List.copyOf(roc);
    }
}

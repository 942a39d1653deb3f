package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.statistics.ScoreSketch;

/**
 * Performance expected from the scores alone, before any label arrives. Valid when the scores are calibrated
 * probabilities and the link between features and outcome has not changed; see {@link LabelFreeEstimator}.
 * A value is null (and absent from the JSON) when its denominator is zero: precision when no case is flagged, the
 * AUROC with fewer than two cases; a report never holds NaN.
 *
 * @param threshold the decision threshold the confusion-matrix rates refer to
 * @param cases how many scores the estimate rests on
 * @param expectedPrevalence mean score: the expected share of positive outcomes
 * @param flaggedRate share of cases at or above the threshold (known exactly, no estimate)
 * @param expectedPrecision expected share of flagged cases that turn out positive
 * @param expectedRecall expected share of positive cases that are flagged
 * @param expectedSpecificity expected share of negative cases that are not flagged
 * @param expectedAuroc expected AUROC
 * @param aurocErrorBound how far {@code expectedAuroc} may be from the value on exact scores (0 when computed
 *     from exact scores; from a {@link ScoreSketch} the order of two scores in one bin is unknown)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PerformanceEstimate(double threshold, long cases, double expectedPrevalence, double flaggedRate,
        Double expectedPrecision, Double expectedRecall, Double expectedSpecificity, Double expectedAuroc,
        Double aurocErrorBound) {

    /** Reports stored by earlier releases wrote an undefined value as "NaN"; it reads back as absent. */
    public PerformanceEstimate {
        expectedPrecision = defined(expectedPrecision);
        expectedRecall = defined(expectedRecall);
        expectedSpecificity = defined(expectedSpecificity);
        expectedAuroc = defined(expectedAuroc);
        aurocErrorBound = defined(aurocErrorBound);
    }

    private static Double defined(Double v) {
        return v == null || v.isNaN() ? null : v;
    }
}

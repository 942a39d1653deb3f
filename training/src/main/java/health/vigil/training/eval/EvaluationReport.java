package health.vigil.training.eval;

import java.util.List;

/**
 * How a trained model did: the decision threshold and the rule that chose it on the validation part, the
 * validation metrics, and the test metrics overall and by age group and sex. Written to a model package
 * as {@code evaluation.json}.
 */
public record EvaluationReport(
        String split,
        double threshold,
        String thresholdRule,
        SegmentMetrics validation,
        SegmentMetrics test,
        List<SegmentMetrics> testByAgeGroup,
        List<SegmentMetrics> testBySex) {

    public EvaluationReport {
        testByAgeGroup = List.copyOf(testByAgeGroup);
        testBySex = List.copyOf(testBySex);
    }
}

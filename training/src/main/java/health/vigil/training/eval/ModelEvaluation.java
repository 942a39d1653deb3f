package health.vigil.training.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates scores on a patient-grouped split: the decision threshold is chosen on the validation part
 * (the one that maximises F1) and every figure reported for the test part uses that threshold, so the
 * test part influences nothing but the report.
 */
public final class ModelEvaluation {
    public static final String THRESHOLD_RULE = "maximises F1 on the validation part";

    private ModelEvaluation() {}

    /**
     * @param ageGroups the age group of each test row, {@code sexGroups} the sex of each test row; the
     *     group orders give the report's order.
     */
    public static EvaluationReport evaluate(String split, double[] validationScores, boolean[] validationLabels,
            double[] testScores, boolean[] testLabels, String[] ageGroups, List<String> ageOrder, String[] sexGroups,
            List<String> sexOrder) {
        double threshold = BinaryMetrics.thresholdMaximisingF1(validationScores, validationLabels);
        // The manifest needs a threshold strictly between 0 and 1.
        threshold = Math.min(Math.max(threshold, 1e-6), 1 - 1e-6);
        SegmentMetrics validation = SegmentMetrics.of("validation", validationScores, validationLabels, threshold);
        SegmentMetrics test = SegmentMetrics.of("test", testScores, testLabels, threshold);
        return new EvaluationReport(split, threshold, THRESHOLD_RULE, validation, test,
                bySegment(testScores, testLabels, ageGroups, ageOrder, threshold),
                bySegment(testScores, testLabels, sexGroups, sexOrder, threshold));
    }

    static List<SegmentMetrics> bySegment(double[] scores, boolean[] labels, String[] groups, List<String> order,
            double threshold) {
        List<SegmentMetrics> out = new ArrayList<>();
        for (String group : order) {
            int n = 0;
            for (String g : groups) {
                if (g.equals(group)) {
                    n++;
                }
            }
            double[] s = new double[n];
            boolean[] y = new boolean[n];
            int k = 0;
            for (int i = 0; i < groups.length; i++) {
                if (groups[i].equals(group)) {
                    s[k] = scores[i];
                    y[k++] = labels[i];
                }
            }
            out.add(SegmentMetrics.of(group, s, y, threshold));
        }
        return out;
    }
}

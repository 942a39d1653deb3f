package health.vigil.training.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
        double threshold = thresholdMaximisingF1(validationScores, validationLabels);
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

    /**
     * The threshold that maximises F1 on these (validation) scores: the candidate thresholds are the
     * distinct scores; ties go to the higher threshold (fewer patients flagged for the same F1). One pass
     * over the scores sorted once, rather than a confusion matrix per candidate.
     */
    static double thresholdMaximisingF1(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("one label per score is needed");
        }
        long totalPositives = SegmentMetrics.positives(labels);
        if (totalPositives == 0) {
            throw new IllegalArgumentException("the validation part has no positive example to choose a threshold on");
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        double best = -1;
        double bestThreshold = 0.5;
        long tp = 0;
        long flagged = 0;
        int i = 0;
        while (i < order.length) {
            int j = i;
            while (j < order.length && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    tp++;
                }
                j++;
            }
            flagged += j - i;
            double f1 = 2.0 * tp / (flagged + totalPositives);
            if (f1 > best) {
                best = f1;
                bestThreshold = scores[order[i]];
            }
            i = j;
        }
        return bestThreshold;
    }
}

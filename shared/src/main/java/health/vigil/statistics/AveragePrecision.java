package health.vigil.statistics;

import health.vigil.error.ValidationException;

/**
 * Average precision: the area under the precision-recall curve taken as a step function,
 * {@code sum_k (R_k - R_(k-1)) * P_k} over the distinct score thresholds from the highest down. Cases with
 * equal scores enter together (one threshold), so the value does not depend on how ties are ordered.
 */
public final class AveragePrecision {
    private AveragePrecision() {}

    public static double of(double[] scores, boolean[] labels) {
        Checks.finite(scores, "the scores");
        Checks.sameLength(scores, labels);
        double[] pos = Auroc.sortedClass(scores, labels, true);
        double[] neg = Auroc.sortedClass(scores, labels, false);
        if (pos.length == 0) {
            throw new ValidationException("the labels hold no positive case; average precision needs at least one");
        }
        int i = pos.length - 1;
        int j = neg.length - 1;
        long truePositives = 0;
        long falsePositives = 0;
        double ap = 0;
        // Walk the distinct scores from the highest down; each is one threshold.
        while (i >= 0) {
            double v = j >= 0 && neg[j] > pos[i] ? neg[j] : pos[i];
            int newPositives = 0;
            while (i >= 0 && pos[i] == v) {
                newPositives++;
                i--;
            }
            while (j >= 0 && neg[j] == v) {
                falsePositives++;
                j--;
            }
            if (newPositives > 0) {
                truePositives += newPositives;
                ap += (double) newPositives / pos.length * truePositives / (truePositives + falsePositives);
            }
        }
        return ap;
    }
}

package health.vigil.statistics;

import java.util.Arrays;

/**
 * Area under the ROC curve: the chance that a randomly chosen positive case scores higher than a randomly
 * chosen negative one, a tie counting one half. This is the Mann-Whitney U statistic divided by
 * {@code positives * negatives}; computed in O(n log n) from the two sorted classes.
 */
public final class Auroc {
    private Auroc() {}

    public static double of(double[] scores, boolean[] labels) {
        Checks.finite(scores, "the scores");
        Checks.sameLength(scores, labels);
        Checks.bothClasses(labels, 1);
        double[] negatives = sortedClass(scores, labels, false);
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            if (labels[i]) {
                sum += placement(negatives, scores[i]);
            }
        }
        return sum / (scores.length - negatives.length);
    }

    /** The scores of one class, sorted ascending. */
    static double[] sortedClass(double[] scores, boolean[] labels, boolean positive) {
        int count = 0;
        for (boolean y : labels) {
            if (y == positive) {
                count++;
            }
        }
        double[] out = new double[count];
        int k = 0;
        for (int i = 0; i < scores.length; i++) {
            if (labels[i] == positive) {
                out[k++] = scores[i];
            }
        }
        Arrays.sort(out);
        return out;
    }

    /** Share of {@code sorted} strictly below {@code value}, plus half the share equal to it. */
    static double placement(double[] sorted, double value) {
        int below = lowerBound(sorted, value);
        int notAbove = upperBound(sorted, value);
        return (below + 0.5 * (notAbove - below)) / sorted.length;
    }

    /** First index whose value is {@code >= value}. */
    static int lowerBound(double[] sorted, double value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** First index whose value is {@code > value}. */
    static int upperBound(double[] sorted, double value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}

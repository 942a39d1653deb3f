package health.vigil.statistics;

import health.vigil.error.ValidationException;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * DeLong's test for two correlated AUROCs: two models (canary and stable) scored on the same patients.
 * Each patient's placement value (DeLong, DeLong and Clarke-Pearson 1988) is the share of the other class
 * it beats; their covariance across patients gives the variance of the AUROC difference without any
 * distributional assumption. Placements are computed from sorted classes, O(n log n), as in Sun and Xu
 * (2014).
 */
public final class DeLongTest {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    private static final double Z_95 = STANDARD_NORMAL.inverseSurvivalProbability(0.025);

    /**
     * The two AUROCs, their difference (first minus second), its standard error, z, the two-sided p-value and
     * a 95% confidence interval of the difference. When the difference has zero variance (every patient's
     * placement is the same under both models, e.g. identical rankings) z is 0 and the p-value 1 if the AUROCs
     * are equal, and z is infinite and the p-value 0 otherwise.
     */
    public record Result(double aurocFirst, double aurocSecond, double difference, double standardError,
            double z, double pValue, double lower95, double upper95) {}

    private DeLongTest() {}

    public static Result compare(double[] first, double[] second, boolean[] labels) {
        Checks.finite(first, "the first model's scores");
        Checks.finite(second, "the second model's scores");
        Checks.sameLength(first, labels);
        if (second.length != first.length) {
            throw new ValidationException("the two models scored " + first.length + " and " + second.length
                    + " patients; DeLong's test needs both models' scores for the same patients");
        }
        int positives = Checks.bothClasses(labels, 2);
        int negatives = labels.length - positives;

        double[][] placementsFirst = placements(first, labels, positives);
        double[][] placementsSecond = placements(second, labels, positives);
        double[][] v10 = {placementsFirst[0], placementsSecond[0]}; // per positive: share of negatives it outscores
        double[][] v01 = {placementsFirst[1], placementsSecond[1]}; // per negative: share of positives above it
        double auc1 = mean(v10[0]);
        double auc2 = mean(v10[1]);
        double var = (covariance(v10[0], v10[0]) + covariance(v10[1], v10[1]) - 2 * covariance(v10[0], v10[1]))
                / positives
                + (covariance(v01[0], v01[0]) + covariance(v01[1], v01[1]) - 2 * covariance(v01[0], v01[1]))
                / negatives;
        return result(auc1, auc2, Math.sqrt(Math.max(0.0, var)));
    }

    /**
     * The z-test of {@code auc1 - auc2} with standard error {@code se}. A zero standard error means the difference is
     * known without error (every patient's placements agree between the models, or neither sample varies).
     */
    private static Result result(double auc1, double auc2, double se) {
        double difference = auc1 - auc2;
        double z;
        double p;
        if (se == 0) {
            z = difference == 0 ? 0 : Math.copySign(Double.POSITIVE_INFINITY, difference);
            p = difference == 0 ? 1.0 : 0.0;
        } else {
            z = difference / se;
            p = Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z)));
        }
        return new Result(auc1, auc2, difference, se, z, p, difference - Z_95 * se, difference + Z_95 * se);
    }

    /**
     * DeLong's comparison of two AUROCs measured on different patients (the two arms of an A/B experiment): each
     * AUROC's variance is {@code var(V10)/m + var(V01)/n} from its own placements (DeLong, DeLong and
     * Clarke-Pearson 1988), and with no patient in both samples the covariance term is zero, so the difference has
     * variance {@code var1 + var2}.
     */
    public static Result independent(double[] firstScores, boolean[] firstLabels, double[] secondScores,
            boolean[] secondLabels) {
        double[] first = aurocAndVariance(firstScores, firstLabels, "the first sample's scores");
        double[] second = aurocAndVariance(secondScores, secondLabels, "the second sample's scores");
        return result(first[0], second[0], Math.sqrt(first[1] + second[1]));
    }

    /** One sample's AUROC and DeLong variance of it. */
    private static double[] aurocAndVariance(double[] scores, boolean[] labels, String what) {
        Checks.finite(scores, what);
        Checks.sameLength(scores, labels);
        int positives = Checks.bothClasses(labels, 2);
        int negatives = labels.length - positives;
        double[][] v = placements(scores, labels, positives);
        return new double[] {mean(v[0]), covariance(v[0], v[0]) / positives + covariance(v[1], v[1]) / negatives};
    }

    /** Each positive's share of negatives it outscores, and each negative's share of positives above it. */
    private static double[][] placements(double[] scores, boolean[] labels, int positives) {
        double[] sortedNeg = Auroc.sortedClass(scores, labels, false);
        double[] sortedPos = Auroc.sortedClass(scores, labels, true);
        double[] v10 = new double[positives];
        double[] v01 = new double[labels.length - positives];
        int p = 0;
        int q = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i]) {
                v10[p++] = Auroc.placement(sortedNeg, scores[i]);
            } else {
                v01[q++] = 1.0 - Auroc.placement(sortedPos, scores[i]);
            }
        }
        return new double[][] {v10, v01};
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Sample covariance (denominator n - 1), as DeLong et al. define the structural components' covariance. */
    private static double covariance(double[] a, double[] b) {
        double ma = mean(a);
        double mb = mean(b);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - ma) * (b[i] - mb);
        }
        return s / (a.length - 1);
    }
}

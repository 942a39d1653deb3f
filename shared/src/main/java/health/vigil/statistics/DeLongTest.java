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

        double[][] v10 = new double[2][positives]; // per positive: share of negatives it outscores
        double[][] v01 = new double[2][negatives]; // per negative: share of positives that outscore it
        double[][] models = {first, second};
        for (int k = 0; k < 2; k++) {
            double[] sortedNeg = Auroc.sortedClass(models[k], labels, false);
            double[] sortedPos = Auroc.sortedClass(models[k], labels, true);
            int p = 0;
            int q = 0;
            for (int i = 0; i < labels.length; i++) {
                double s = models[k][i];
                if (labels[i]) {
                    v10[k][p++] = Auroc.placement(sortedNeg, s);
                } else {
                    v01[k][q++] = 1.0 - Auroc.placement(sortedPos, s);
                }
            }
        }
        double auc1 = mean(v10[0]);
        double auc2 = mean(v10[1]);
        double var = (covariance(v10[0], v10[0]) + covariance(v10[1], v10[1]) - 2 * covariance(v10[0], v10[1]))
                / positives
                + (covariance(v01[0], v01[0]) + covariance(v01[1], v01[1]) - 2 * covariance(v01[0], v01[1]))
                / negatives;
        double difference = auc1 - auc2;
        double se = Math.sqrt(Math.max(0.0, var));
        double z;
        double p;
        if (se == 0) {
            // Every patient's placements agree between the models: the difference is known without error.
            z = difference == 0 ? 0 : Math.copySign(Double.POSITIVE_INFINITY, difference);
            p = difference == 0 ? 1.0 : 0.0;
        } else {
            z = difference / se;
            p = Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z)));
        }
        return new Result(auc1, auc2, difference, se, z, p, difference - Z_95 * se, difference + Z_95 * se);
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

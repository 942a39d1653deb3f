package health.vigil.statistics;

import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.distribution.TDistribution;

/**
 * Student's paired t-test on differences (shadow score minus live score): the mean difference, its standard error
 * {@code sd / sqrt(n)}, t on {@code n - 1} degrees of freedom, the two-sided p-value and a 95 % confidence
 * interval of the mean difference. With millions of pairs the t distribution is the normal one; the interval is
 * what an operator reads ("the shadow scores 0.012 higher, 0.010 to 0.014").
 */
public final class PairedTTest {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /** Fewer than two pairs, or no spread at all, give NaN t, p-value and interval (none can be computed). */
    public record Result(long pairs, double meanDifference, double standardError, double t, double pValue,
            double lower95, double upper95) {}

    private PairedTTest() {}

    public static Result test(double[] differences) {
        Checks.finite(differences, "the paired differences");
        int n = differences.length;
        if (n < 2) {
            double mean = n == 1 ? differences[0] : Double.NaN;
            return new Result(n, mean, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = 0;
        boolean constant = true;
        for (double d : differences) {
            mean += d;
            constant &= d == differences[0];
        }
        mean /= n;
        if (constant) {
            // No spread at all, whatever rounding the mean's sum leaves.
            return new Result(n, mean, 0, Double.NaN, Double.NaN, mean, mean);
        }
        double squares = 0;
        for (double d : differences) {
            squares += (d - mean) * (d - mean);
        }
        double se = Math.sqrt(squares / (n - 1) / n);
        if (se == 0) {
            return new Result(n, mean, 0, Double.NaN, Double.NaN, mean, mean);
        }
        double t = mean / se;
        double p;
        double critical;
        if (n > 1_000_000) {
            p = 2 * STANDARD_NORMAL.survivalProbability(Math.abs(t));
            critical = STANDARD_NORMAL.inverseSurvivalProbability(0.025);
        } else {
            TDistribution student = TDistribution.of(n - 1.0);
            p = 2 * student.survivalProbability(Math.abs(t));
            critical = student.inverseSurvivalProbability(0.025);
        }
        return new Result(n, mean, se, t, Math.min(1.0, p), mean - critical * se, mean + critical * se);
    }
}

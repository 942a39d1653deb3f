package health.vigil.statistics;

import health.vigil.error.ValidationException;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * McNemar's test that two decisions made on the same cases (a live and a shadow model on the same requests) flag
 * equally often. Only the discordant pairs count: {@code b} flagged by the first only, {@code c} by the second
 * only. Under the null each discordant pair goes either way with probability one half. With fewer than
 * {@value #EXACT_BELOW} discordant pairs the p-value is the exact two-sided binomial one; from there on the
 * chi-square statistic {@code (b - c)^2 / (b + c)} on one degree of freedom (McNemar 1947; Agresti,
 * <i>Categorical Data Analysis</i>, 3rd ed., section 11.1).
 */
public final class McNemarTest {
    /** Below this many discordant pairs the exact binomial p-value is used. */
    public static final int EXACT_BELOW = 25;
    private static final ChiSquaredDistribution CHI_SQUARE_1 = ChiSquaredDistribution.of(1);

    /**
     * The discordant counts, the chi-square statistic (reported in both regimes), the two-sided p-value and
     * whether it is exact. No discordant pair at all gives statistic 0 and p-value 1.
     */
    public record Result(long firstOnly, long secondOnly, double statistic, double pValue, boolean exact) {}

    private McNemarTest() {}

    public static Result test(long firstOnly, long secondOnly) {
        if (firstOnly < 0 || secondOnly < 0) {
            throw new ValidationException("discordant counts are " + firstOnly + " and " + secondOnly
                    + "; counts cannot be negative");
        }
        long discordant = firstOnly + secondOnly;
        if (discordant == 0) {
            return new Result(0, 0, 0, 1.0, true);
        }
        double difference = firstOnly - secondOnly;
        double statistic = difference * difference / discordant;
        if (discordant < EXACT_BELOW) {
            BinomialDistribution half = BinomialDistribution.of((int) discordant, 0.5);
            double tail = half.cumulativeProbability((int) Math.min(firstOnly, secondOnly));
            return new Result(firstOnly, secondOnly, statistic, Math.min(1.0, 2 * tail), true);
        }
        return new Result(firstOnly, secondOnly, statistic, CHI_SQUARE_1.survivalProbability(statistic), false);
    }
}

package health.vigil.statistics;

import health.vigil.error.ValidationException;
import org.apache.commons.statistics.distribution.BetaDistribution;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Two-sided z-test that two proportions are equal (for example the flagged rate or the event rate of the
 * canary against the stable model), with the pooled standard error
 * {@code sqrt(p(1-p)(1/n1 + 1/n2))}. Its z squared equals Pearson's chi-square of the 2 x 2 table.
 */
public final class TwoProportionTest {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /**
     * Both proportions, their difference (first minus second), z and the two-sided p-value. When the pooled
     * proportion is 0 or 1 both groups are identical in outcome: z is 0 and the p-value 1.
     */
    public record Result(double first, double second, double difference, double z, double pValue) {}

    private TwoProportionTest() {}

    public static Result compare(long successes1, long trials1, long successes2, long trials2) {
        check(successes1, trials1, "first");
        check(successes2, trials2, "second");
        double p1 = (double) successes1 / trials1;
        double p2 = (double) successes2 / trials2;
        double pooled = (double) (successes1 + successes2) / (trials1 + trials2);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / trials1 + 1.0 / trials2));
        if (se == 0) {
            return new Result(p1, p2, p1 - p2, 0, 1.0);
        }
        double z = (p1 - p2) / se;
        return new Result(p1, p2, p1 - p2, z, Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z))));
    }

    /**
     * One-sided test of {@code H0: p1 - p2 <= margin} against {@code p1 - p2 > margin} (a non-inferiority test,
     * margin 0 giving the one-sided test of equality), with the unpooled (Wald) standard error
     * {@code sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)}: the pooled one assumes the groups equal, which a margin does not.
     * The p-value is {@code P(Z >= z)}; when both groups are all-or-nothing the difference is exact and the p-value
     * is 0 beyond the margin and 1 within it.
     */
    public static Result excess(long successes1, long trials1, long successes2, long trials2, double margin) {
        check(successes1, trials1, "first");
        check(successes2, trials2, "second");
        if (!(margin >= 0 && margin < 1)) {
            throw new ValidationException("the margin is " + margin + "; it must be 0 or more and below 1");
        }
        double p1 = (double) successes1 / trials1;
        double p2 = (double) successes2 / trials2;
        double se = Math.sqrt(p1 * (1 - p1) / trials1 + p2 * (1 - p2) / trials2);
        double beyond = p1 - p2 - margin;
        if (se == 0) {
            return new Result(p1, p2, p1 - p2, beyond > 0 ? Double.POSITIVE_INFINITY : 0, beyond > 0 ? 0.0 : 1.0);
        }
        double z = beyond / se;
        return new Result(p1, p2, p1 - p2, z, STANDARD_NORMAL.survivalProbability(z));
    }

    /**
     * Exact one-sided test of {@code H0: p1 - p2 <= margin} for rare events (server errors, refused rows, missing
     * inputs), valid at any sample size and level, where the normal approximation is not: Berger and Boos's (1994)
     * confidence-interval p-value. With {@code u} the one-sided {@code 1 - nuisanceLevel} Clopper-Pearson upper bound
     * of {@code p2}, the p-value is {@code nuisanceLevel + P(X >= successes1)} for {@code X ~ Binomial(trials1,
     * min(1, u + margin))}. Under H0, {@code p1 <= p2 + margin <= u + margin} unless {@code p2 > u} (probability at
     * most {@code nuisanceLevel}), and the binomial tail rises with its probability, so {@code P(p-value <= a) <= a}
     * for every {@code a}. {@code z} is the Wald statistic, for people. Any count a {@code long} holds is taken.
     */
    public static Result excessExact(long successes1, long trials1, long successes2, long trials2, double margin,
            double nuisanceLevel) {
        check(successes1, trials1, "first");
        check(successes2, trials2, "second");
        if (!(margin >= 0 && margin < 1)) {
            throw new ValidationException("the margin is " + margin + "; it must be 0 or more and below 1");
        }
        if (!(nuisanceLevel > 0 && nuisanceLevel < 1)) {
            throw new ValidationException("the nuisance level is " + nuisanceLevel
                    + "; it must be above 0 and below 1");
        }
        double p1 = (double) successes1 / trials1;
        double p2 = (double) successes2 / trials2;
        double upper = successes2 == trials2 ? 1
                : BetaDistribution.of(successes2 + 1.0, (double) (trials2 - successes2)).inverseSurvivalProbability(
                        nuisanceLevel);
        double boundary = Math.min(1, upper + margin);
        double tail = BinomialTail.atLeast(successes1, trials1, boundary);
        double se = Math.sqrt(p1 * (1 - p1) / trials1 + p2 * (1 - p2) / trials2);
        double beyond = p1 - p2 - margin;
        double z = se == 0 ? (beyond > 0 ? Double.POSITIVE_INFINITY : 0) : beyond / se;
        return new Result(p1, p2, p1 - p2, z, Math.min(1.0, nuisanceLevel + tail));
    }

    /**
     * The 95 % confidence interval of {@code p1 - p2} that an experiment report gives beside the pooled test:
     * Newcombe's hybrid score interval (Newcombe 1998, method 10), each proportion's Wilson interval combined,
     * {@code {lower, upper}} within [-1, 1]. Unlike the Wald interval it does not collapse where a rate is 0 or 1
     * (0 of 40 against 0 of 50 is about -0.071 to 0.088, where Wald gives 0 to 0, a certainty the data do not hold),
     * and it keeps its coverage in the small groups of an experiment's first days.
     */
    public static double[] differenceInterval95(long successes1, long trials1, long successes2, long trials2) {
        check(successes1, trials1, "first");
        check(successes2, trials2, "second");
        double p1 = (double) successes1 / trials1;
        double p2 = (double) successes2 / trials2;
        double z = STANDARD_NORMAL.inverseSurvivalProbability(0.025);
        double[] first = wilson(p1, trials1, z);
        double[] second = wilson(p2, trials2, z);
        double d = p1 - p2;
        double lower = d - Math.sqrt(square(p1 - first[0]) + square(second[1] - p2));
        double upper = d + Math.sqrt(square(first[1] - p1) + square(p2 - second[0]));
        return new double[] {Math.max(-1, lower), Math.min(1, upper)};
    }

    /** Wilson's score interval of a proportion {@code p} of {@code n} trials at {@code z}: {@code {lower, upper}}. */
    private static double[] wilson(double p, long n, double z) {
        double z2n = z * z / n;
        double centre = (p + z2n / 2) / (1 + z2n);
        double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / n + z2n / (4.0 * n));
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    private static double square(double x) {
        return x * x;
    }

    private static void check(long successes, long trials, String which) {
        if (trials < 1) {
            throw new ValidationException("the " + which + " group has " + trials + " trials; it needs at least 1");
        }
        if (successes < 0 || successes > trials) {
            throw new ValidationException("the " + which + " group has " + successes + " successes out of " + trials
                    + " trials; successes must be between 0 and the number of trials");
        }
    }
}

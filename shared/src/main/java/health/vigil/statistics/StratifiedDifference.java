package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.statistics.distribution.BetaDistribution;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The difference between two groups (first minus second) over several strata, each compared within itself and the
 * differences averaged with weights proportional to the first group's size in the stratum: the comparison of a
 * canary with stable over the steps of a ramp, where each step's canary is compared with stable's requests of the
 * same minutes. Comparing within strata keeps a change in who is scored over the hours of a ramp (case mix by time
 * of day) out of the difference, which pooling both groups' rows would not: stable's rows come mostly from the early
 * steps, the canary's from the late ones. With one stratum every test here is the ordinary two-sample one.
 */
public final class StratifiedDifference {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /** The most products of two probabilities an exact tail over several strata takes (about a tenth of a second). */
    static final long EXACT_TAIL_WORK = 50_000_000;
    /** The most values of the sum's distribution an exact tail over several strata holds (8 MiB). */
    static final int EXACT_TAIL_SUPPORT = 1 << 20;
    /** The most probability the exact tail over several strata leaves out of the strata's counts, in all. */
    static final double LEFT_OUT = 1e-15;

    /**
     * One stratum: each group's size, mean and per-observation variance (for a proportion {@code p(1 - p)}).
     */
    public record Stratum(long n1, double mean1, double variance1, long n2, double mean2, double variance2) {
        public Stratum {
            if (n1 < 1 || n2 < 1) {
                throw new ValidationException("a stratum needs at least one observation in each group; it has " + n1
                        + " and " + n2);
            }
        }

        /** A stratum of two proportions: {@code events1} of {@code n1} against {@code events2} of {@code n2}. */
        public static Stratum ofRates(long events1, long n1, long events2, long n2) {
            check(events1, n1);
            check(events2, n2);
            double p1 = (double) events1 / n1;
            double p2 = (double) events2 / n2;
            return new Stratum(n1, p1, p1 * (1 - p1), n2, p2, p2 * (1 - p2));
        }
    }

    /**
     * The weighted difference, its standard error, z against the margin and the p-value. {@code first} and
     * {@code second} are the groups' weighted means (the second standardised to the first's mix over the strata).
     */
    public record Result(double first, double second, double difference, double standardError, double z,
            double pValue) {}

    private StratifiedDifference() {}

    /**
     * One-sided test of {@code H0: difference <= margin} with the unpooled (Wald) standard error: {@code P(Z >= z)}.
     * With one stratum of rates it is {@link TwoProportionTest#excess}.
     */
    public static Result excess(List<Stratum> strata, double margin) {
        Result r = difference(strata);
        return withZ(r, r.difference() - margin, false);
    }

    /** Two one-sided tests of {@code H0: |difference| <= margin}, the smaller p-value doubled. */
    public static Result beyond(List<Stratum> strata, double margin) {
        Result r = difference(strata);
        return withZ(r, Math.abs(r.difference()) - margin, true);
    }

    private static Result withZ(Result r, double beyond, boolean doubled) {
        double z;
        double p;
        if (r.standardError() == 0) {
            z = beyond > 0 ? Double.POSITIVE_INFINITY : 0;
            p = beyond > 0 ? 0 : 1;
        } else {
            z = beyond / r.standardError();
            p = STANDARD_NORMAL.survivalProbability(z);
        }
        return new Result(r.first(), r.second(), r.difference(), r.standardError(), z,
                Math.min(1.0, doubled ? 2 * p : p));
    }

    private static Result difference(List<Stratum> strata) {
        if (strata.isEmpty()) {
            throw new ValidationException("a stratified difference needs at least one stratum");
        }
        double total = 0;
        for (Stratum s : strata) {
            total += s.n1();
        }
        double first = 0;
        double second = 0;
        double variance = 0;
        for (Stratum s : strata) {
            double w = s.n1() / total;
            first += w * s.mean1();
            second += w * s.mean2();
            variance += w * w * (s.variance1() / s.n1() + s.variance2() / s.n2());
        }
        return new Result(first, second, first - second, Math.sqrt(variance), 0, 1);
    }

    /**
     * Exact one-sided test of {@code H0: p1 - p2 <= margin} in every stratum, for rare events, by Berger and Boos's
     * confidence-set p-value extended to strata: with {@code u_k} the one-sided Clopper-Pearson upper bound of the
     * second group's rate in stratum k at level {@code nuisanceLevel / K}, the p-value is {@code nuisanceLevel +
     * P(X >= x)} for x the first group's events over all strata and X the sum of independent
     * {@code Binomial(n1_k, min(1, u_k + margin))}. Under H0 each stratum's count is stochastically at most its
     * binomial unless some {@code p2_k} lies above {@code u_k} (probability at most {@code nuisanceLevel} in all), and
     * the tail rises with every binomial's probability, so the p-value is valid at any sample size. With one stratum
     * it is {@link TwoProportionTest#excessExact}. {@code events} and {@code trials} hold {first, second} per stratum.
     */
    public static Result excessExact(long[][] events, long[][] trials, double margin, double nuisanceLevel) {
        if (events.length == 0 || events.length != trials.length) {
            throw new ValidationException("an exact stratified test needs the same number (at least one) of event and"
                    + " trial counts");
        }
        if (!(nuisanceLevel > 0 && nuisanceLevel < 1)) {
            throw new ValidationException("the nuisance level is " + nuisanceLevel + "; it must be above 0 and below 1");
        }
        int k = events.length;
        long observed = 0;
        double[] boundary = new double[k];
        List<Stratum> strata = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            strata.add(Stratum.ofRates(events[i][0], trials[i][0], events[i][1], trials[i][1]));
            observed += events[i][0];
            long x2 = events[i][1];
            long n2 = trials[i][1];
            double upper = x2 == n2 ? 1
                    : BetaDistribution.of(x2 + 1.0, (double) (n2 - x2)).inverseSurvivalProbability(nuisanceLevel / k);
            boundary[i] = Math.min(1, upper + margin);
        }
        double tail = observed == 0 ? 1 : sumTail(trials, boundary, observed);
        Result wald = excess(strata, margin);
        return new Result(wald.first(), wald.second(), wald.difference(), wald.standardError(), wald.z(),
                Math.min(1.0, nuisanceLevel + tail));
    }

    /**
     * {@code P(X >= x)} for X the sum of independent {@code Binomial(trials[i][0], p[i])}, x at least 1. With several
     * strata, the distribution of the sum below x is built stratum by stratum, each stratum's count taken only within
     * the range outside which it has less than {@link #LEFT_OUT} / 2K on either side. What is left out only lowers
     * that distribution, so the tail can only come out higher than the exact one, by less than {@code LEFT_OUT}, and
     * the work grows with the ranges (with the square root of the trials) rather than with x. Where it would still take
     * more than {@link #EXACT_TAIL_WORK} products or hold more than {@link #EXACT_TAIL_SUPPORT} values, or a stratum
     * has more trials than an {@code int} holds, X is replaced by one binomial of all the trials at the highest
     * probability, which lies above X (a binomial rises with its probability): a valid tail again, no smaller than the
     * exact one, with less power where the strata's probabilities differ.
     */
    private static double sumTail(long[][] trials, double[] p, long x) {
        int k = p.length;
        if (k == 1) {
            return BinomialTail.atLeast(x, trials[0][0], p[0]);
        }
        BinomialDistribution[] counts = new BinomialDistribution[k];
        int[] lowest = new int[k];
        int[] highest = new int[k];
        long from = 0;
        long to = 0;
        long work = 0;
        for (int i = 0; i < k; i++) {
            if (trials[i][0] > Integer.MAX_VALUE) {
                return dominatingTail(trials, p, x);
            }
            counts[i] = BinomialDistribution.of((int) trials[i][0], p[i]);
            lowest[i] = counts[i].inverseCumulativeProbability(LEFT_OUT / (2 * k));
            highest[i] = (int) Math.min(counts[i].inverseSurvivalProbability(LEFT_OUT / (2 * k)), x - 1);
            if (lowest[i] > highest[i] || from + lowest[i] > x - 1) {
                return 1; // the sum is at least x but for less than LEFT_OUT
            }
            long width = highest[i] - lowest[i] + 1L;
            work += i == 0 ? width : (to - from + 1) * width;
            from += lowest[i];
            to = Math.min(to + highest[i], x - 1);
            if (work > EXACT_TAIL_WORK || to - from + 1 > EXACT_TAIL_SUPPORT) {
                return dominatingTail(trials, p, x);
            }
        }
        // The distribution of the sum from its lowest kept value up to x - 1, stratum by stratum.
        double[] sum = probabilities(counts[0], lowest[0], highest[0]);
        long sumFrom = lowest[0];
        for (int i = 1; i < k; i++) {
            double[] stratum = probabilities(counts[i], lowest[i], highest[i]);
            long nextFrom = sumFrom + lowest[i];
            double[] next = new double[(int) (Math.min(sumFrom + sum.length - 1 + highest[i], x - 1) - nextFrom + 1)];
            for (int s = 0; s < sum.length; s++) {
                if (sum[s] == 0) {
                    continue;
                }
                for (int j = 0; j < stratum.length && s + j < next.length; j++) {
                    next[s + j] += sum[s] * stratum[j];
                }
            }
            sum = next;
            sumFrom = nextFrom;
        }
        double cdf = 0;
        for (double v : sum) {
            cdf += v;
        }
        return Math.max(0, 1 - cdf);
    }

    private static double[] probabilities(BinomialDistribution count, int lowest, int highest) {
        double[] pmf = new double[highest - lowest + 1];
        for (int j = 0; j < pmf.length; j++) {
            pmf[j] = count.probability(lowest + j);
        }
        return pmf;
    }

    /** {@code P(Y >= x)} for Y one binomial of every stratum's trials at the highest of their probabilities. */
    private static double dominatingTail(long[][] trials, double[] p, long x) {
        long n = 0;
        double highest = 0;
        for (int i = 0; i < p.length; i++) {
            n = Math.addExact(n, trials[i][0]);
            highest = Math.max(highest, p[i]);
        }
        return BinomialTail.atLeast(x, n, highest);
    }

    private static void check(long events, long trials) {
        if (trials < 1 || events < 0 || events > trials) {
            throw new ValidationException("a group has " + events + " events out of " + trials + " trials; it needs"
                    + " at least one trial and between 0 and that many events");
        }
    }
}

package health.vigil.statistics;

import java.util.Arrays;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Wilcoxon's signed-rank test that paired differences (shadow score minus live score, request by request) are
 * symmetric about zero. Zero differences are dropped (Wilcoxon's convention), the absolute differences ranked
 * with mid-ranks for ties, and {@code W+}, the sum of the positive differences' ranks, compared with its normal
 * approximation: mean {@code n(n+1)/4}, variance {@code n(n+1)(2n+1)/24 - sum(t^3 - t)/48} over tie groups of
 * size {@code t}, with a continuity correction of one half (Hollander, Wolfe and Chicken, <i>Nonparametric
 * Statistical Methods</i>, 3rd ed., section 3.1). The shadow report has hundreds to millions of pairs, where the
 * approximation is what every package uses; with fewer than {@value #MIN_PAIRS} non-zero pairs no p-value is
 * given. Written here because the production code has only the distributions library; the tests check it
 * against Apache Commons Statistics' inference module.
 */
public final class WilcoxonSignedRankTest {
    /** Non-zero pairs needed for a p-value from the normal approximation. */
    public static final int MIN_PAIRS = 10;
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    /**
     * Pairs used (non-zero differences), {@code W+}, z and the two-sided p-value; z and the p-value are NaN with
     * fewer than {@link #MIN_PAIRS} non-zero pairs.
     */
    public record Result(int pairs, int zeros, double wPlus, double z, double pValue) {}

    private WilcoxonSignedRankTest() {}

    /** The test on the differences {@code second[i] - first[i]}. */
    public static Result test(double[] differences) {
        Checks.finite(differences, "the paired differences");
        int zeros = 0;
        double[] magnitudes = new double[differences.length];
        boolean[] positive = new boolean[differences.length];
        int n = 0;
        for (double d : differences) {
            if (d == 0) {
                zeros++;
            } else {
                magnitudes[n] = Math.abs(d);
                positive[n] = d > 0;
                n++;
            }
        }
        if (n < MIN_PAIRS) {
            return new Result(n, zeros, Double.NaN, Double.NaN, Double.NaN);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] m = Arrays.copyOf(magnitudes, n);
        Arrays.sort(order, (a, b) -> Double.compare(m[a], m[b]));
        double wPlus = 0;
        double ties = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && m[order[j + 1]] == m[order[i]]) {
                j++;
            }
            double midRank = (i + j + 2) / 2.0; // ranks i+1 .. j+1
            for (int k = i; k <= j; k++) {
                if (positive[order[k]]) {
                    wPlus += midRank;
                }
            }
            double t = j - i + 1;
            ties += t * t * t - t;
            i = j + 1;
        }
        double mean = n * (n + 1.0) / 4;
        double variance = n * (n + 1.0) * (2.0 * n + 1) / 24 - ties / 48;
        if (variance <= 0) {
            return new Result(n, zeros, wPlus, 0, 1.0);
        }
        double excess = Math.max(0, Math.abs(wPlus - mean) - 0.5);
        double z = Math.copySign(excess / Math.sqrt(variance), wPlus - mean);
        return new Result(n, zeros, wPlus, z, Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(Math.abs(z))));
    }
}

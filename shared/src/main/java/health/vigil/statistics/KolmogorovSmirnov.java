package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.Arrays;

/**
 * Two-sample Kolmogorov-Smirnov test: the largest distance between two empirical CDFs, and the chance of a
 * distance at least that large if both samples came from one distribution.
 *
 * <p>On raw samples ({@link #twoSample}) the p-value is exact for small samples and comes from Kolmogorov's
 * limiting distribution for large ones. The exact p-value is the permutation probability conditional on the
 * tie pattern of the pooled sample: every way of choosing which n of the n+m sorted positions belong to the
 * first sample is equally likely, and D can only change where the pooled values change. That makes it exact
 * with ties too, which Apache Commons Statistics' test (it brackets D over orderings of the ties) and R's
 * {@code ks.test} (no exact p-value with ties) do not offer; hence this implementation.
 *
 * <p>Against a reference profile that keeps only quantile bins ({@link #binned}), the statistic compares the
 * two CDFs at the reference bin edges only. It is a lower bound of the KS distance between the underlying
 * samples (a difference inside one bin is not seen), and its p-value, taken from Kolmogorov's limiting
 * distribution with the effective size {@code n*N/(n+N)}, is conservative: never smaller than the p-value an
 * exact test of the binned statistic would give.
 */
public final class KolmogorovSmirnov {

    /** Above this many (n * m) pairs {@link Method#AUTO} uses the limiting distribution. */
    public static final long EXACT_LIMIT = 1_000_000L;

    /** How the p-value was (or should be) computed. */
    public enum Method {
        /** Exact when {@code n * m <= EXACT_LIMIT}, otherwise asymptotic. */
        AUTO,
        /** The exact permutation distribution (cost grows with n * m). */
        EXACT,
        /**
         * Kolmogorov's limiting distribution of {@code sqrt(n*m/(n+m)) * D}, as R's {@code ks.test} uses for
         * large samples (SciPy and Commons Statistics use a finite-size distribution instead; the difference
         * shrinks like {@code 1/sqrt(n*m/(n+m))} and is immaterial at the sizes where AUTO picks this).
         */
        ASYMPTOTIC
    }

    /** The statistic D, its p-value {@code P(D >= d)} and how the p-value was computed. */
    public record Result(double statistic, double pValue, Method method) {}

    private KolmogorovSmirnov() {}

    public static Result twoSample(double[] x, double[] y) {
        return twoSample(x, y, Method.AUTO);
    }

    public static Result twoSample(double[] x, double[] y, Method method) {
        Checks.finite(x, "the first sample");
        Checks.finite(y, "the second sample");
        if (method == null) {
            throw new ValidationException("choose a p-value method: AUTO, EXACT or ASYMPTOTIC");
        }
        double[] a = x.clone();
        double[] b = y.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        long n = a.length;
        long m = b.length;
        // blockEnds[t] is true when pooled position t (number of values taken so far) ends a run of equal values.
        boolean[] blockEnds = new boolean[(int) (n + m) + 1];
        long maxGap = 0; // max |i*m - j*n| over block ends: D = maxGap / (n*m), kept integral to compare exactly
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            double v = i < n && (j >= m || a[i] <= b[j]) ? a[i] : b[j];
            while (i < n && a[i] == v) {
                i++;
            }
            while (j < m && b[j] == v) {
                j++;
            }
            blockEnds[i + j] = true;
            maxGap = Math.max(maxGap, Math.abs(i * m - j * n));
        }
        double d = (double) maxGap / ((double) n * m);
        Method used = method == Method.AUTO ? (n * m <= EXACT_LIMIT ? Method.EXACT : Method.ASYMPTOTIC) : method;
        if (used == Method.EXACT && n * m > 100 * EXACT_LIMIT) {
            throw new ValidationException("the exact p-value for samples of " + n + " and " + m + " values would take"
                    + " too long; use AUTO or ASYMPTOTIC (exact is offered up to n*m = " + 100 * EXACT_LIMIT + ")");
        }
        double p = used == Method.EXACT
                ? exactPValue((int) n, (int) m, maxGap, blockEnds)
                : kolmogorovSurvival(Math.sqrt((double) n * m / (n + m)) * d);
        return new Result(d, p, used);
    }

    /**
     * {@code P(max |i*m - j*n| >= gap)} over the block-end positions of a uniformly random labelling of the
     * pooled sorted sample: a walk that takes an x-step with probability (remaining x)/(remaining values).
     * Mass that reaches a violating block end is absorbed there, so small p-values keep their precision.
     */
    static double exactPValue(int n, int m, long gap, boolean[] blockEnds) {
        if (gap == 0) {
            return 1.0;
        }
        // prob[i] = chance of standing at (i, t - i) without having been absorbed.
        double[] prob = new double[n + 1];
        double[] next = new double[n + 1];
        prob[0] = 1.0;
        double absorbed = 0;
        int total = n + m;
        for (int t = 0; t < total; t++) {
            Arrays.fill(next, 0.0);
            int lo = Math.max(0, t - m);
            int hi = Math.min(t, n);
            int remaining = total - t;
            for (int i = lo; i <= hi; i++) {
                double p = prob[i];
                if (p == 0) {
                    continue;
                }
                int j = t - i;
                double takeX = (double) (n - i) / remaining;
                if (i < n) {
                    next[i + 1] += p * takeX;
                }
                if (j < m) {
                    next[i] += p * (1.0 - takeX);
                }
            }
            int t1 = t + 1;
            if (blockEnds[t1]) {
                int lo1 = Math.max(0, t1 - m);
                int hi1 = Math.min(t1, n);
                for (int i = lo1; i <= hi1; i++) {
                    if (next[i] != 0 && Math.abs((long) i * m - (long) (t1 - i) * n) >= gap) {
                        absorbed += next[i];
                        next[i] = 0;
                    }
                }
            }
            double[] swap = prob;
            prob = next;
            next = swap;
        }
        return Math.min(1.0, absorbed);
    }

    /**
     * KS statistic and p-value of production counts against reference shares over the same bins, comparing
     * the CDFs at the interior bin edges only (see the class comment for what that does and does not see).
     */
    public static Result binned(double[] referenceShares, double referenceRows, long[] counts) {
        double[] production = Checks.toShares(counts);
        Checks.shares(referenceShares, "the reference shares");
        if (referenceShares.length != counts.length) {
            throw new ValidationException("the reference has " + referenceShares.length + " bins but the production"
                    + " counts have " + counts.length + "; both sides must use the same bins");
        }
        if (!(referenceRows > 0) || Double.isInfinite(referenceRows)) {
            throw new ValidationException("the reference row count must be a positive number");
        }
        double cumulativeRef = 0;
        double cumulativeProd = 0;
        double d = 0;
        for (int i = 0; i < counts.length - 1; i++) {
            cumulativeRef += referenceShares[i];
            cumulativeProd += production[i];
            d = Math.max(d, Math.abs(cumulativeRef - cumulativeProd));
        }
        double n = Checks.sum(counts);
        double effective = n * referenceRows / (n + referenceRows);
        return new Result(d, kolmogorovSurvival(Math.sqrt(effective) * d), Method.ASYMPTOTIC);
    }

    /**
     * {@code P(K > lambda)} for Kolmogorov's distribution K, the limit of {@code sqrt(n) * D_n}. Two series,
     * each used where it converges in a few terms: the theta-function form below lambda 1.18, the
     * alternating series above.
     */
    public static double kolmogorovSurvival(double lambda) {
        if (Double.isNaN(lambda)) {
            throw new ValidationException("lambda is NaN");
        }
        if (lambda <= 0) {
            return 1.0;
        }
        if (lambda < 1.18) {
            double w = Math.PI * Math.PI / (8 * lambda * lambda);
            double sum = 0;
            for (int k = 1; k <= 40; k++) {
                int odd = 2 * k - 1;
                double term = Math.exp(-odd * odd * w);
                sum += term;
                if (term < 1e-17 * sum) {
                    break;
                }
            }
            double cdf = Math.sqrt(2 * Math.PI) / lambda * sum;
            return Math.min(1.0, Math.max(0.0, 1.0 - cdf));
        }
        double sum = 0;
        for (int k = 1; k <= 100; k++) {
            double term = Math.exp(-2.0 * k * k * lambda * lambda);
            sum += (k % 2 == 1 ? term : -term);
            if (term < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return Math.min(1.0, Math.max(0.0, 2 * sum));
    }
}

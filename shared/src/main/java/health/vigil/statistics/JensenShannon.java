package health.vigil.statistics;

import health.vigil.error.ValidationException;

/**
 * Jensen-Shannon distance between two discrete distributions over the same bins: the square root of the
 * Jensen-Shannon divergence with base-2 logarithms, so it is a metric between 0 (same distribution) and 1
 * (no bin in common). Unlike PSI it needs no convention for empty bins.
 */
public final class JensenShannon {
    private static final double LN2 = Math.log(2);

    private JensenShannon() {}

    public static double distance(double[] p, double[] q) {
        Checks.shares(p, "the first distribution");
        Checks.shares(q, "the second distribution");
        if (p.length != q.length) {
            throw new ValidationException("the distributions have " + p.length + " and " + q.length
                    + " bins; both must use the same bins");
        }
        double divergence = 0;
        for (int i = 0; i < p.length; i++) {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0) {
                divergence += 0.5 * p[i] * Math.log(p[i] / m);
            }
            if (q[i] > 0) {
                divergence += 0.5 * q[i] * Math.log(q[i] / m);
            }
        }
        // Rounding can leave a tiny negative divergence for identical inputs.
        return Math.sqrt(Math.max(0.0, divergence / LN2));
    }

    /** Distance between reference shares and production counts over the same bins. */
    public static double distance(double[] referenceShares, long[] counts) {
        return distance(referenceShares, Checks.toShares(counts));
    }
}

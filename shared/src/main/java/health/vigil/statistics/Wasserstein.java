package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.Arrays;

/**
 * Wasserstein-1 (earth mover's) distance, {@code integral |F(t) - G(t)| dt}: how far, in the feature's own
 * unit, mass has to move to turn one distribution into the other. Reported for information, because its
 * unit differs per feature and so a single threshold cannot apply to all of them.
 */
public final class Wasserstein {
    private Wasserstein() {}

    /** Exact W1 between the empirical distributions of two raw samples. */
    public static double distance(double[] x, double[] y) {
        Checks.finite(x, "the first sample");
        Checks.finite(y, "the second sample");
        double[] a = x.clone();
        double[] b = y.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        int i = 0;
        int j = 0;
        double previous = Math.min(a[0], b[0]);
        double total = 0;
        // Between consecutive pooled values both CDFs are constant; add |F - G| times the gap.
        while (i < a.length || j < b.length) {
            double v = i < a.length && (j >= b.length || a[i] <= b[j]) ? a[i] : b[j];
            total += Math.abs((double) i / a.length - (double) j / b.length) * (v - previous);
            while (i < a.length && a[i] == v) {
                i++;
            }
            while (j < b.length && b[j] == v) {
                j++;
            }
            previous = v;
        }
        return total;
    }

    /**
     * W1 between a reference and production histogram over the same bins, each read as spread uniformly
     * inside its bins; the open-ended outer bins are closed at the outermost edges (production values beyond
     * them count as sitting inside the outer bins, the way the drift check bins them).
     *
     * @param edges k+1 increasing bin edges
     */
    public static double binned(double[] edges, double[] referenceShares, long[] counts) {
        double[] production = Checks.toShares(counts);
        Checks.shares(referenceShares, "the reference shares");
        if (edges == null || edges.length != referenceShares.length + 1 || counts.length != referenceShares.length) {
            throw new ValidationException("k bins need k+1 edges, k reference shares and k production counts");
        }
        double total = 0;
        double dLeft = 0; // F_ref - F_prod at the left edge of the current bin
        for (int i = 0; i < referenceShares.length; i++) {
            double width = edges[i + 1] - edges[i];
            if (!(width > 0) || Double.isInfinite(width)) {
                throw new ValidationException("bin edges must be finite and increasing");
            }
            double dRight = dLeft + referenceShares[i] - production[i];
            // Both CDFs are linear inside a bin, so the difference is linear from dLeft to dRight.
            if (dLeft * dRight >= 0) {
                total += width * (Math.abs(dLeft) + Math.abs(dRight)) / 2;
            } else {
                total += width * (dLeft * dLeft + dRight * dRight) / (2 * (Math.abs(dLeft) + Math.abs(dRight)));
            }
            dLeft = dRight;
        }
        return total;
    }
}

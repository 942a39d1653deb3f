package health.vigil.statistics;

import health.vigil.error.ValidationException;

/**
 * Population Stability Index between a reference distribution and production counts over the same bins
 * (the reference's quantile bins for numeric features, the categories for categorical ones):
 * {@code PSI = sum_i (a_i - e_i) * ln(a_i / e_i)} with {@code e_i} the reference share and {@code a_i} the
 * production share of bin i. Conventional reading: below 0.1 stable, 0.1-0.25 moderate shift, above 0.25
 * a major shift.
 *
 * <p><b>Empty bins.</b> A bin with no rows on one side counts as half a row on that side: its share becomes
 * {@code 0.5 / n}, with {@code n} that side's row count, and every non-empty bin keeps its share. This keeps
 * the index finite, makes an empty bin weigh more the more rows back it (an empty bin among 20 rows is weak
 * evidence, among a million it is strong), and leaves the textbook formula untouched when no bin is empty. A bin
 * empty on both sides adds nothing: both say the same (no rows there), and charging each side's half row would read
 * a difference of sample sizes as a shift (twelve categories of which eight never occur in training, production
 * matching training exactly, 100 rows against 50,000: 0.25, a "major shift", from nothing).
 */
public final class PopulationStabilityIndex {
    private PopulationStabilityIndex() {}

    /**
     * PSI of production {@code counts} against reference {@code referenceShares} that came from
     * {@code referenceRows} rows.
     */
    public static double of(double[] referenceShares, double referenceRows, long[] counts) {
        Checks.shares(referenceShares, "the reference shares");
        Checks.counts(counts, "the production counts");
        if (referenceShares.length != counts.length) {
            throw new ValidationException("the reference has " + referenceShares.length + " bins but the production"
                    + " counts have " + counts.length + "; both sides must use the same bins");
        }
        if (!(referenceRows > 0) || Double.isInfinite(referenceRows)) {
            throw new ValidationException("the reference row count must be a positive number");
        }
        long n = Checks.sum(counts);
        if (n == 0) {
            throw new ValidationException("there are no production rows to compare with the reference");
        }
        double psi = 0;
        for (int i = 0; i < counts.length; i++) {
            if (referenceShares[i] == 0 && counts[i] == 0) {
                continue;
            }
            double expected = referenceShares[i] > 0 ? referenceShares[i] : 0.5 / referenceRows;
            double actual = counts[i] > 0 ? (double) counts[i] / n : 0.5 / n;
            psi += (actual - expected) * Math.log(actual / expected);
        }
        return psi;
    }

    /** The textbook formula on two share vectors; every share must be positive (no empty-bin convention). */
    public static double ofShares(double[] expected, double[] actual) {
        Checks.shares(expected, "the expected shares");
        Checks.shares(actual, "the actual shares");
        if (expected.length != actual.length) {
            throw new ValidationException("the expected shares have " + expected.length + " bins but the actual"
                    + " shares have " + actual.length + "; both sides must use the same bins");
        }
        double psi = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0 || actual[i] == 0) {
                throw new ValidationException("bin " + i + " is empty on one side; use of(shares, rows, counts),"
                        + " which applies the empty-bin convention");
            }
            psi += (actual[i] - expected[i]) * Math.log(actual[i] / expected[i]);
        }
        return psi;
    }
}

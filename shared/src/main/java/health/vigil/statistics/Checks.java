package health.vigil.statistics;

import health.vigil.error.ValidationException;

/** Input checks shared by the statistics and the monitoring service, so every method rejects bad input the same way. */
public final class Checks {
    private Checks() {}

    public static void nonEmpty(double[] values, String what) {
        if (values == null || values.length == 0) {
            throw new ValidationException(what + " is empty; it needs at least one value");
        }
    }

    public static void finite(double[] values, String what) {
        nonEmpty(values, what);
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new ValidationException(what + " holds a value that is NaN or infinite; remove missing"
                        + " values before computing this statistic");
            }
        }
    }

    /** Scores are probabilities of the positive class. */
    public static void probabilities(double[] scores, String what) {
        nonEmpty(scores, what);
        for (double s : scores) {
            if (!(s >= 0.0 && s <= 1.0)) {
                throw new ValidationException(what + " holds a value outside 0-1 (or NaN); scores must be"
                        + " probabilities of the positive class");
            }
        }
    }

    public static void sameLength(double[] scores, boolean[] labels) {
        if (labels == null) {
            throw new ValidationException("labels are missing; give one label per score");
        }
        if (scores.length != labels.length) {
            throw new ValidationException("there are " + scores.length + " scores but " + labels.length
                    + " labels; give one label per score");
        }
    }

    public static int positives(boolean[] labels) {
        int p = 0;
        for (boolean y : labels) {
            if (y) {
                p++;
            }
        }
        return p;
    }

    /** AUROC-type statistics need at least {@code min} patients of each class. */
    public static int bothClasses(boolean[] labels, int min) {
        int positives = positives(labels);
        int negatives = labels.length - positives;
        if (positives < min || negatives < min) {
            throw new ValidationException("the labels hold " + positives + " positive and " + negatives
                    + " negative cases; this statistic needs at least " + min + " of each");
        }
        return positives;
    }

    public static void counts(long[] counts, String what) {
        if (counts == null || counts.length == 0) {
            throw new ValidationException(what + " is empty; it needs at least one bin");
        }
        for (long c : counts) {
            if (c < 0) {
                throw new ValidationException(what + " holds a negative count");
            }
        }
    }

    public static void shares(double[] shares, String what) {
        if (shares == null || shares.length == 0) {
            throw new ValidationException(what + " is empty; it needs at least one bin");
        }
        double sum = 0;
        for (double s : shares) {
            if (!(s >= 0.0 && s <= 1.0)) {
                throw new ValidationException(what + " holds a share outside 0-1 (or NaN)");
            }
            sum += s;
        }
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new ValidationException(what + " sums to " + sum + "; shares must sum to 1");
        }
    }

    public static long sum(long[] counts) {
        long total = 0;
        for (long c : counts) {
            total = Math.addExact(total, c);
        }
        return total;
    }

    /** Production counts as shares of their total. */
    public static double[] toShares(long[] counts) {
        Checks.counts(counts, "the production counts");
        long n = Checks.sum(counts);
        if (n == 0) {
            throw new ValidationException("there are no production rows to compare with the reference");
        }
        double[] shares = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            shares[i] = (double) counts[i] / n;
        }
        return shares;
    }
}

package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Pearson's chi-square tests for categorical features: goodness of fit of production counts to the reference
 * shares, and homogeneity of a groups-by-categories table (reference counts against production counts).
 *
 * <p><b>Expected-count rule.</b> The chi-square approximation needs enough expected counts, so before testing,
 * every category whose expected count is below 5 in any row is pooled: the category with the smallest total is
 * merged into the next smallest until every remaining category expects at least 5 in every row. This is the
 * strict form of Cochran's rule (all expected counts at least 5), chosen because it needs no judgement call.
 * If fewer than two categories remain, the result is marked not valid and carries no statistic or p-value:
 * there is too little data for this test, and the caller must not read it as "no drift".
 */
public final class ChiSquareTest {
    /** Smallest expected count every pooled category must reach. */
    public static final double MIN_EXPECTED = 5.0;

    /**
     * Outcome of a test. When {@code valid} is false, {@code statistic} and {@code pValue} are NaN and
     * {@code degreesOfFreedom} is 0. {@code pooledCategories} counts the original categories that were
     * merged into others by the expected-count rule.
     */
    public record Result(double statistic, int degreesOfFreedom, double pValue, boolean valid, int pooledCategories) {
        static Result notValid(int pooled) {
            return new Result(Double.NaN, 0, Double.NaN, false, pooled);
        }
    }

    private ChiSquareTest() {}

    /** Tests whether {@code observed} counts fit the {@code expectedShares} (a known distribution). */
    public static Result goodnessOfFit(double[] expectedShares, long[] observed) {
        Checks.shares(expectedShares, "the expected shares");
        Checks.counts(observed, "the observed counts");
        if (expectedShares.length != observed.length) {
            throw new ValidationException("there are " + expectedShares.length + " expected shares but "
                    + observed.length + " observed counts; give one share per category");
        }
        long n = Checks.sum(observed);
        if (n == 0) {
            throw new ValidationException("there are no observed counts to test");
        }
        List<Group> cells = new ArrayList<>(); // values = {expected, observed}
        for (int i = 0; i < observed.length; i++) {
            cells.add(new Group(new double[] {expectedShares[i] * n, observed[i]}));
        }
        int pooled = pool(cells, c -> c[0]);
        if (cells.size() < 2) {
            return Result.notValid(pooled);
        }
        double statistic = 0;
        for (Group g : cells) {
            double diff = g.values[1] - g.values[0];
            statistic += diff * diff / g.values[0];
        }
        int df = cells.size() - 1;
        return new Result(statistic, df, pValue(statistic, df), true, pooled);
    }

    /**
     * Tests whether the rows of {@code table} (groups, e.g. reference and production) share one distribution
     * over its columns (categories). Counts may be fractional (a reference profile gives shares times rows).
     */
    public static Result homogeneity(double[][] table) {
        if (table == null || table.length < 2) {
            throw new ValidationException("a homogeneity test needs at least two rows (groups)");
        }
        int k = table[0].length;
        for (double[] row : table) {
            if (row == null || row.length != k) {
                throw new ValidationException("every row of the table must have the same number of categories");
            }
            double rowTotal = 0;
            for (double v : row) {
                if (!(v >= 0) || Double.isInfinite(v)) {
                    throw new ValidationException("the table holds a count that is negative, NaN or infinite");
                }
                rowTotal += v;
            }
            if (rowTotal == 0) {
                throw new ValidationException("a row of the table has no counts; every group needs data");
            }
        }
        if (k == 0) {
            throw new ValidationException("the table has no categories");
        }
        int rows = table.length;
        double[] rowTotals = new double[rows];
        List<Group> columns = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            double[] column = new double[rows];
            for (int r = 0; r < rows; r++) {
                column[r] = table[r][c];
                rowTotals[r] += table[r][c];
            }
            columns.add(new Group(column));
        }
        double grand = 0;
        double smallestRow = Double.POSITIVE_INFINITY;
        for (double t : rowTotals) {
            grand += t;
            smallestRow = Math.min(smallestRow, t);
        }
        double minRow = smallestRow;
        double total = grand;
        // The smallest expected count of a column is (smallest row total) * (column total) / grand total.
        int pooled = pool(columns, col -> minRow * sum(col) / total);
        if (columns.size() < 2) {
            return Result.notValid(pooled);
        }
        double statistic = 0;
        for (Group g : columns) {
            double columnTotal = sum(g.values);
            for (int r = 0; r < rows; r++) {
                double expected = rowTotals[r] * columnTotal / grand;
                double diff = g.values[r] - expected;
                statistic += diff * diff / expected;
            }
        }
        int df = (rows - 1) * (columns.size() - 1);
        return new Result(statistic, df, pValue(statistic, df), true, pooled);
    }

    /** Reference counts (shares times rows) against production counts: a 2 x k homogeneity test. */
    public static Result referenceVersusProduction(double[] referenceShares, double referenceRows, long[] counts) {
        Checks.shares(referenceShares, "the reference shares");
        Checks.counts(counts, "the production counts");
        if (referenceShares.length != counts.length) {
            throw new ValidationException("the reference has " + referenceShares.length + " categories but the"
                    + " production counts have " + counts.length + "; both sides must use the same categories");
        }
        double[][] table = new double[2][counts.length];
        for (int i = 0; i < counts.length; i++) {
            table[0][i] = referenceShares[i] * referenceRows;
            table[1][i] = counts[i];
        }
        return homogeneity(table);
    }

    static double pValue(double statistic, int df) {
        return ChiSquaredDistribution.of(df).survivalProbability(statistic);
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }

    /** One category, or several pooled into one; {@code values} per row (or {expected, observed}). */
    private static final class Group {
        final double[] values;
        int members = 1;

        Group(double[] values) {
            this.values = values;
        }
    }

    /**
     * Merges the category with the smallest expected count into the next smallest while the smallest
     * expects less than {@link #MIN_EXPECTED}; returns how many original categories ended up pooled.
     */
    private static int pool(List<Group> groups, ToDoubleFunction<double[]> smallestExpected) {
        Comparator<Group> bySize = Comparator.comparingDouble(g -> smallestExpected.applyAsDouble(g.values));
        groups.sort(bySize);
        while (groups.size() >= 2 && smallestExpected.applyAsDouble(groups.get(0).values) < MIN_EXPECTED) {
            Group smallest = groups.remove(0);
            Group into = groups.get(0);
            for (int i = 0; i < into.values.length; i++) {
                into.values[i] += smallest.values[i];
            }
            into.members += smallest.members;
            groups.sort(bySize);
        }
        int pooled = 0;
        for (Group g : groups) {
            if (g.members > 1) {
                pooled += g.members;
            }
        }
        return pooled;
    }
}

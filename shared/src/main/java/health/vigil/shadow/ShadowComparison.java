package health.vigil.shadow;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.statistics.McNemarTest;
import health.vigil.statistics.PairedTTest;
import health.vigil.statistics.WilcoxonSignedRankTest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Live and shadow predictions of the same requests, compared pair by pair: how often the decisions agree, McNemar's
 * test of the discordant decisions, and the shadow-minus-live score differences (mean, mean absolute, quantiles,
 * the paired t-test and Wilcoxon's signed-rank test).
 */
public final class ShadowComparison {
    /** The quantiles of the score differences the report gives. */
    static final double[] QUANTILES = {0.05, 0.25, 0.5, 0.75, 0.95};

    /**
     * One comparison as the report serves it; statistics that cannot be computed are null. A count the model's
     * minimum cell size withholds ({@link ShadowCells}) is absent, with the statistics read from it, and
     * {@code suppressed} says why.
     */
    public record Result(@JsonInclude(JsonInclude.Include.NON_NULL) Long pairs, Double agreement,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long bothFlagged,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long liveOnly,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long shadowOnly,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long neither, Double liveFlagRate, Double shadowFlagRate,
            Decisions mcnemar, Scores scoreDifference, @JsonInclude(JsonInclude.Include.NON_NULL) String suppressed) {

        /** A comparison with every count shown. */
        Result(long pairs, Double agreement, long bothFlagged, long liveOnly, long shadowOnly, long neither,
                Double liveFlagRate, Double shadowFlagRate, Decisions mcnemar, Scores scoreDifference) {
            this(pairs, agreement, bothFlagged, liveOnly, shadowOnly, neither, liveFlagRate, shadowFlagRate, mcnemar,
                    scoreDifference, null);
        }
    }

    /** McNemar's test of the decisions. */
    public record Decisions(double statistic, double pValue, boolean exact) {}

    /** Shadow score minus live score. */
    public record Scores(Double mean, Double meanAbsolute, Map<String, Double> quantiles, Double pairedT,
            Double pairedTPValue, Double meanLower95, Double meanUpper95, Double wilcoxonZ, Double wilcoxonPValue,
            long zeroDifferences) {}

    private double[] differences = new double[64];
    private int n;
    private long bothFlagged;
    private long liveOnly;
    private long shadowOnly;

    void add(double liveScore, boolean liveDecision, double shadowScore, boolean shadowDecision) {
        if (n == differences.length) {
            differences = Arrays.copyOf(differences, n * 2);
        }
        differences[n++] = shadowScore - liveScore;
        if (liveDecision && shadowDecision) {
            bothFlagged++;
        } else if (liveDecision) {
            liveOnly++;
        } else if (shadowDecision) {
            shadowOnly++;
        }
    }

    Result result() {
        if (n == 0) {
            return new Result(0, null, 0, 0, 0, 0, null, null, null, null);
        }
        double[] d = Arrays.copyOf(differences, n);
        long neither = n - bothFlagged - liveOnly - shadowOnly;
        McNemarTest.Result m = McNemarTest.test(liveOnly, shadowOnly);
        PairedTTest.Result t = PairedTTest.test(d);
        WilcoxonSignedRankTest.Result w = WilcoxonSignedRankTest.test(d);
        double absolute = 0;
        for (double x : d) {
            absolute += Math.abs(x);
        }
        double[] sorted = d.clone();
        Arrays.sort(sorted);
        Map<String, Double> quantiles = new LinkedHashMap<>();
        for (double q : QUANTILES) {
            quantiles.put(String.format(java.util.Locale.ROOT, "p%02d", Math.round(q * 100)), quantile(sorted, q));
        }
        Scores scores = new Scores(t.meanDifference(), absolute / n, quantiles, finite(t.t()), finite(t.pValue()),
                finite(t.lower95()), finite(t.upper95()), finite(w.z()), finite(w.pValue()), w.zeros());
        return new Result(n, (double) (bothFlagged + neither) / n, bothFlagged, liveOnly, shadowOnly, neither,
                (double) (bothFlagged + liveOnly) / n, (double) (bothFlagged + shadowOnly) / n,
                new Decisions(m.statistic(), m.pValue(), m.exact()), scores);
    }

    /** The q-th quantile of sorted values by linear interpolation between order statistics (Hyndman and Fan type 7). */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }
}

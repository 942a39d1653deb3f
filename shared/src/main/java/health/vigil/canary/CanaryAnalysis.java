package health.vigil.canary;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.StepAnalysis;
import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.PopulationStabilityIndex;
import health.vigil.statistics.TwoProportionTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Judges one step of a canary ramp: canary against stable over the step's window, on the score distribution, the
 * flag rate and the missing-input rate, each test held to an equal share of the ramp's false-rollback budget
 * (Bonferroni over every judged step and metric), so a healthy canary is rolled back by chance with probability at
 * most {@link CanaryPolicy#falseRollbackRate()} over the whole ramp. A step with fewer predictions than the
 * policy's minimum on either side is not tested at all (it spends none of the budget): its bake time is extended.
 * The method and its guarantee: docs/canary-analysis.md.
 */
public final class CanaryAnalysis {
    /** The metrics each judged step tests; the false-rollback budget is split over them. */
    public static final List<String> METRICS = List.of("score_distribution", "flag_rate", "missing_input_rate");
    static final int BINS = 10;

    private CanaryAnalysis() {}

    /** The level each test of each judged step is held to. */
    public static double testLevel(CanaryRamp ramp) {
        return ramp.policy().falseRollbackRate() / (ramp.judgedSteps() * METRICS.size());
    }

    /** Judges the ramp's current step on the two windows (the controller's call, and the simulation benchmark's). */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable, Instant from, Instant to) {
        CanaryPolicy policy = ramp.policy();
        int minimum = policy.minSamplePerSlot();
        if (canary.count() < minimum || stable.count() < minimum) {
            String reason = String.format(Locale.ROOT, "too little evidence to judge step %d (%s): the window holds %d"
                    + " canary and %d stable predictions and each side needs at least %d; the bake time is extended by"
                    + " %s and nothing is decided", ramp.step() + 1, percent(ramp.weightBasisPoints()), canary.count(),
                    stable.count(), minimum, ramp.bakeTime());
            return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, canary.count(), stable.count(),
                    StepAnalysis.EXTEND, reason, List.of());
        }
        double level = testLevel(ramp);
        List<CanaryMetric> metrics = new ArrayList<>();
        metrics.add(scoreDistribution(canary.scores(), stable.scores(), level, policy.psiLimit()));
        metrics.add(flagRate(canary, stable, level, policy.flagRateMargin()));
        metrics.add(missingInputRate(canary, stable, level, policy.missingRateMargin()));
        List<CanaryMetric> failed = metrics.stream().filter(CanaryMetric::failed).toList();
        String reason = failed.isEmpty()
                ? String.format(Locale.ROOT, "step %d (%s) passed: no metric differed beyond its margin at level %.3g"
                        + " (%d canary, %d stable predictions)", ramp.step() + 1, percent(ramp.weightBasisPoints()),
                        level, canary.count(), stable.count())
                : "step " + (ramp.step() + 1) + " (" + percent(ramp.weightBasisPoints()) + ") failed on "
                        + failed.stream().map(m -> String.format(Locale.ROOT, "%s (canary %.4g, stable %.4g, p = %.3g"
                                + " < %.3g)", m.name(), m.canary(), m.stable(), m.pValue(), m.level()))
                                .collect(Collectors.joining(", "));
        return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, canary.count(), stable.count(),
                failed.isEmpty() ? StepAnalysis.PASS : StepAnalysis.FAIL, reason, metrics);
    }

    /**
     * The two-sample Kolmogorov–Smirnov test says whether the distributions differ; the PSI (on stable's deciles)
     * says whether by enough to matter. A significant but small difference (a retrained model scores a little
     * differently) does not fail the canary.
     */
    static CanaryMetric scoreDistribution(double[] canary, double[] stable, double level, double psiLimit) {
        KolmogorovSmirnov.Result ks = KolmogorovSmirnov.twoSample(canary, stable);
        double psi = psiOnStableDeciles(canary, stable);
        boolean failed = ks.pValue() < level && psi > psiLimit;
        return new CanaryMetric("score_distribution", psi, 0, ks.statistic(), ks.pValue(), level, failed,
                "two-sample Kolmogorov-Smirnov D (p-value); values are the PSI of canary against stable (limit "
                        + psiLimit + ")");
    }

    static double psiOnStableDeciles(double[] canary, double[] stable) {
        double[] sorted = stable.clone();
        Arrays.sort(sorted);
        double[] edges = new double[BINS - 1];
        for (int i = 1; i < BINS; i++) {
            edges[i - 1] = sorted[(int) Math.min(sorted.length - 1, Math.floor((double) i * sorted.length / BINS))];
        }
        long[] stableCounts = counts(stable, edges);
        long[] canaryCounts = counts(canary, edges);
        double[] shares = new double[BINS];
        for (int i = 0; i < BINS; i++) {
            shares[i] = (double) stableCounts[i] / stable.length;
        }
        return PopulationStabilityIndex.of(shares, stable.length, canaryCounts);
    }

    /** Bin i holds values below edge i and at or above edge i-1; ties with an edge go up. */
    private static long[] counts(double[] values, double[] edges) {
        long[] counts = new long[edges.length + 1];
        for (double v : values) {
            int bin = Arrays.binarySearch(edges, v);
            if (bin >= 0) {
                while (bin < edges.length && edges[bin] == v) {
                    bin++;
                }
            } else {
                bin = -bin - 1;
            }
            counts[bin]++;
        }
        return counts;
    }

    /** Two-sided with a margin: the canary's flag rate above stable's by more than the margin, or below by more. */
    static CanaryMetric flagRate(WindowSample canary, WindowSample stable, double level, double margin) {
        TwoProportionTest.Result up = TwoProportionTest.excess(canary.flagged(), canary.count(), stable.flagged(),
                stable.count(), margin);
        TwoProportionTest.Result down = TwoProportionTest.excess(stable.flagged(), stable.count(), canary.flagged(),
                canary.count(), margin);
        boolean upper = up.pValue() <= down.pValue();
        double p = Math.min(1.0, 2 * Math.min(up.pValue(), down.pValue()));
        double z = finite(upper ? up.z() : down.z());
        return new CanaryMetric("flag_rate", up.first(), up.second(), z, p, level, p < level,
                "two one-sided two-proportion z-tests of |canary - stable| > " + margin + " (p doubled)");
    }

    /** One-sided: only a canary that misses inputs more often than stable is a problem. */
    static CanaryMetric missingInputRate(WindowSample canary, WindowSample stable, double level, double margin) {
        TwoProportionTest.Result r = TwoProportionTest.excess(canary.missing(), canary.count(), stable.missing(),
                stable.count(), margin);
        return new CanaryMetric("missing_input_rate", r.first(), r.second(), finite(r.z()), r.pValue(), level,
                r.pValue() < level, "one-sided two-proportion z-test of canary - stable > " + margin);
    }

    private static double finite(double z) {
        return Double.isInfinite(z) ? Math.copySign(Double.MAX_VALUE, z) : z;
    }

    /** Basis points as a percentage for people: 100 → "1 %", 1 → "0.01 %". */
    public static String percent(int basisPoints) {
        return String.format(Locale.ROOT, "%s %%", basisPoints % 100 == 0 ? Integer.toString(basisPoints / 100)
                : String.format(Locale.ROOT, "%.2f", basisPoints / 100.0));
    }
}

package health.vigil.canary;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.StepAnalysis;
import health.vigil.statistics.DeLongTest;
import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.PopulationStabilityIndex;
import health.vigil.statistics.TwoProportionTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Judges one step of a canary ramp: canary against stable over the step's window, on the score distribution, the
 * flag rate and the missing-input rate (from the prediction log), and on the server-error rate, the refused rate and
 * the latency p99 (from the request statistics), and, where outcomes are known, on calibration and AUROC. The ramp's
 * false-rollback budget is split evenly over the judged steps, each step's over the metrics by fixed shares
 * ({@link #SHARES}), and each metric's over up to three looks by the step's sample (a quarter of it when the sample
 * first reaches a quarter of the policy's minimum, another quarter at half, the rest at the minimum), so a healthy
 * canary is rolled back by chance with probability at most {@link CanaryPolicy#falseRollbackRate()} over the whole
 * ramp (union bound over every test made). A step may fail at any look but passes only once each slot has the
 * policy's minimum of rows; until then the bake time is extended. What a step has spent is read from its earlier
 * analyses in the ramp. The method and its guarantee: docs/canary-analysis.md.
 */
public final class CanaryAnalysis {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /**
     * Each metric's share of a step's false-rollback budget, fixed in advance (whether outcomes or latencies arrive
     * or not, so the split never depends on the data): more on server errors and calibration, the harms a canary
     * most often brings and the ones hardest to see in a small sample.
     */
    public static final Map<String, Double> SHARES = shares();
    /** The metrics each judged step may test. */
    public static final List<String> METRICS = List.copyOf(SHARES.keySet());
    /** The cumulative part of a metric's step budget spent by the first, second and final look. */
    static final double[] SPENT_BY_LOOK = {0.25, 0.5, 1.0};
    /** The looks of a step, as parts of the policy's minimum sample per slot; the last is the minimum itself. */
    static final double[] LOOK_FRACTIONS = {0.25, 0.5, 1.0};
    /** The fewest rows per slot at which a step may be looked at before its minimum (normal tests need some). */
    static final int FIRST_LOOK_FLOOR = 50;
    /** Part of a rare-event test's level spent on the bound of stable's rate (Berger and Boos 1994). */
    static final double NUISANCE_PART = 0.25;
    /** Stable's rows per canary row from which rates are tested exactly ({@link #excess}). */
    static final int EXACT_RATIO = 5;
    static final LabelledSample NO_OUTCOMES = new LabelledSample(0, 0);
    static final int BINS = 10;

    private CanaryAnalysis() {}

    private static Map<String, Double> shares() {
        Map<String, Double> shares = new LinkedHashMap<>();
        shares.put("score_distribution", 0.15);
        shares.put("flag_rate", 0.10);
        shares.put("missing_input_rate", 0.10);
        shares.put("server_error_rate", 0.20);
        shares.put("refused_rate", 0.10);
        shares.put("latency_p99", 0.10);
        shares.put("calibration_error", 0.20);
        shares.put("auroc", 0.05);
        return Collections.unmodifiableMap(shares);
    }

    /** The false-rollback budget of each judged step: the policy's rate over the judged steps. */
    public static double stepBudget(CanaryRamp ramp) {
        return ramp.policy().falseRollbackRate() / ramp.judgedSteps();
    }

    /** The rows per slot at the first, second and final look of a step (the final one is the policy's minimum). */
    public static int[] looks(int minimum) {
        int[] looks = new int[LOOK_FRACTIONS.length];
        int previous = 0;
        for (int i = 0; i < looks.length; i++) {
            int wanted = (int) Math.ceil(LOOK_FRACTIONS[i] * minimum);
            previous = Math.min(minimum, Math.max(previous, Math.max(FIRST_LOOK_FLOOR, wanted)));
            looks[i] = previous;
        }
        return looks;
    }

    /** The last look (1-3) a sample of {@code n} per slot has reached, 0 before the first. */
    static int lookReached(long n, int minimum) {
        int[] looks = looks(minimum);
        int reached = 0;
        while (reached < looks.length && n >= looks[reached]) {
            reached++;
        }
        return reached;
    }

    /** What the ramp's current step has already spent on a metric: the levels of its earlier tests in this step. */
    static double spent(CanaryRamp ramp, String metric) {
        double spent = 0;
        for (StepAnalysis a : ramp.analyses()) {
            if (a.step() == ramp.step()) {
                for (CanaryMetric m : a.metrics()) {
                    if (m.name().equals(metric)) {
                        spent += m.level();
                    }
                }
            }
        }
        return spent;
    }

    /**
     * The level a metric is tested at now, with {@code n} the smaller of its two samples: its share of the step budget
     * spent up to the look reached, less what earlier looks of the step spent; 0 when there is nothing new to spend
     * (before the first look, or the look already tested).
     */
    static double levelNow(CanaryRamp ramp, String metric, long n) {
        int look = lookReached(n, ramp.policy().minSamplePerSlot());
        if (look == 0) {
            return 0;
        }
        double share = stepBudget(ramp) * SHARES.get(metric);
        double level = share * SPENT_BY_LOOK[look - 1] - spent(ramp, metric);
        return level > share * 1e-9 ? level : 0;
    }

    /**
     * The ramp after a step's analysis, as the controller writes it: extended (the window keeps its start), rolled
     * back, moved to the next step or, after the last judged step, promoted.
     */
    public static CanaryRamp advance(CanaryRamp ramp, StepAnalysis analysis, Instant now) {
        return switch (analysis.decision()) {
            case StepAnalysis.EXTEND -> ramp.with(CanaryStatus.RUNNING, ramp.step(), ramp.stepStartedAt(),
                    now.plus(ramp.bakeTime()), ramp.extensions() + 1, "extended", analysis.reason(), analysis);
            case StepAnalysis.FAIL -> ramp.with(CanaryStatus.ROLLED_BACK, ramp.step(), ramp.stepStartedAt(), now,
                    ramp.extensions(), "rolled_back", analysis.reason(), analysis);
            default -> ramp.lastJudgedStep()
                    ? ramp.with(CanaryStatus.PROMOTED, ramp.step() + 1, now, now, 0, "promoted", analysis.reason()
                            + "; every step passed, the canary takes all traffic", analysis)
                    : ramp.with(CanaryStatus.RUNNING, ramp.step() + 1, now, now.plus(ramp.bakeTime()), 0, "stepped",
                            analysis.reason() + "; moving to " + percent(ramp.steps().get(ramp.step() + 1)), analysis);
        };
    }

    /** Judges the ramp's current step on predictions alone (no request statistics in the window). */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable, Instant from, Instant to) {
        return judge(ramp, canary, stable, RequestSample.NONE, RequestSample.NONE, from, to);
    }

    /** Judges the ramp's current step on the two slots' predictions and requests, without outcomes. */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable,
            RequestSample canaryRequests, RequestSample stableRequests, Instant from, Instant to) {
        return judge(ramp, canary, stable, canaryRequests, stableRequests, NO_OUTCOMES, NO_OUTCOMES, from, to);
    }

    /**
     * Judges the ramp's current step on the two slots' predictions, requests and the predictions that have a realised
     * outcome (the controller's call).
     */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable,
            RequestSample canaryRequests, RequestSample stableRequests, LabelledSample canaryLabelled,
            LabelledSample stableLabelled, Instant from, Instant to) {
        CanaryPolicy policy = ramp.policy();
        int minimum = policy.minSamplePerSlot();
        int firstLook = looks(minimum)[0];
        // Rows that reached each slot: the request statistics count refused and failed rows too; without them
        // (none recorded in the window) the prediction log's count.
        long canaryRows = Math.max(canary.count(), canaryRequests.rows());
        long stableRows = Math.max(stable.count(), stableRequests.rows());
        if (canaryRows < firstLook || stableRows < firstLook) {
            String reason = String.format(Locale.ROOT, "too little evidence to judge step %d (%s): the window holds %d"
                    + " canary and %d stable requests and each side needs at least %d for a first look (%d to pass);"
                    + " the bake time is extended by %s and nothing is decided", ramp.step() + 1,
                    percent(ramp.weightBasisPoints()), canaryRows, stableRows, firstLook, minimum, ramp.bakeTime());
            return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, canary.count(), stable.count(),
                    StepAnalysis.EXTEND, reason, List.of());
        }
        List<CanaryMetric> metrics = new ArrayList<>();
        List<String> untested = new ArrayList<>();
        long predictions = Math.min(canary.count(), stable.count());
        double level = levelNow(ramp, "score_distribution", predictions);
        if (level > 0) {
            metrics.add(scoreDistribution(canary.scores(), stable.scores(), level, policy.psiLimit()));
        }
        level = levelNow(ramp, "flag_rate", predictions);
        if (level > 0) {
            metrics.add(flagRate(canary, stable, level, policy.flagRateMargin()));
        }
        level = levelNow(ramp, "missing_input_rate", predictions);
        if (level > 0) {
            metrics.add(missingInputRate(canary, stable, level, policy.missingRateMargin()));
        }
        if (predictions < firstLook) {
            untested.add(String.format(Locale.ROOT, "score_distribution, flag_rate and missing_input_rate (%d canary,"
                    + " %d stable predictions)", canary.count(), stable.count()));
        }
        long rows = Math.min(canaryRequests.rows(), stableRequests.rows());
        level = levelNow(ramp, "server_error_rate", rows);
        if (level > 0) {
            metrics.add(excessRate("server_error_rate", canaryRequests.failed(), canaryRequests.rows(),
                    stableRequests.failed(), stableRequests.rows(), level, policy.errorRateMargin()));
        }
        level = levelNow(ramp, "refused_rate", rows);
        if (level > 0) {
            metrics.add(excessRate("refused_rate", canaryRequests.refused(), canaryRequests.rows(),
                    stableRequests.refused(), stableRequests.rows(), level, policy.refusedRateMargin()));
        }
        if (rows < firstLook) {
            untested.add(String.format(Locale.ROOT, "server_error_rate and refused_rate (%d canary, %d stable rows"
                    + " counted)", canaryRequests.rows(), stableRequests.rows()));
        }
        long canaryTimed = canaryRequests.latency().total();
        long stableTimed = stableRequests.latency().total();
        level = levelNow(ramp, "latency_p99", Math.min(canaryTimed, stableTimed));
        if (level > 0) {
            metrics.add(latencyP99(canaryRequests.latency(), stableRequests.latency(), level, policy.latencyMargin(),
                    policy.latencyRatioLimit()));
        } else if (Math.min(canaryTimed, stableTimed) < firstLook) {
            untested.add(String.format(Locale.ROOT, "latency_p99 (%d canary, %d stable answered requests)",
                    canaryTimed, stableTimed));
        }
        long labelled = bothClasses(canaryLabelled) && bothClasses(stableLabelled)
                ? Math.min(canaryLabelled.count(), stableLabelled.count()) : 0;
        level = levelNow(ramp, "calibration_error", labelled);
        if (level > 0) {
            metrics.add(calibration(canaryLabelled, stableLabelled, level, policy.calibrationMargin()));
        }
        level = levelNow(ramp, "auroc", labelled);
        if (level > 0) {
            metrics.add(auroc(canaryLabelled, stableLabelled, level, policy.aurocMargin()));
        }
        if (labelled < firstLook) {
            untested.add(String.format(Locale.ROOT, "calibration_error and auroc (%d canary, %d stable predictions with"
                    + " an outcome, each side needing two of each outcome)", canaryLabelled.count(),
                    stableLabelled.count()));
        }
        boolean finalLook = canaryRows >= minimum && stableRows >= minimum;
        List<CanaryMetric> failed = metrics.stream().filter(CanaryMetric::failed).toList();
        String notTested = untested.isEmpty() ? "" : "; not tested, each side needs " + firstLook + ": "
                + String.join("; ", untested);
        String sizes = String.format(Locale.ROOT, "%d canary, %d stable requests", canaryRows, stableRows);
        String reason;
        String decision;
        if (!failed.isEmpty()) {
            decision = StepAnalysis.FAIL;
            reason = "step " + (ramp.step() + 1) + " (" + percent(ramp.weightBasisPoints()) + ") failed on "
                    + failed.stream().map(m -> String.format(Locale.ROOT, "%s (canary %.4g, stable %.4g, p = %.3g"
                            + " < %.3g)", m.name(), m.canary(), m.stable(), m.pValue(), m.level()))
                            .collect(Collectors.joining(", ")) + " (" + sizes + ")";
        } else if (finalLook) {
            decision = StepAnalysis.PASS;
            reason = String.format(Locale.ROOT, "step %d (%s) passed: no metric differed beyond its margin (%s, %d"
                    + " tests at this look)%s", ramp.step() + 1, percent(ramp.weightBasisPoints()), sizes,
                    metrics.size(), notTested);
        } else {
            decision = StepAnalysis.EXTEND;
            reason = String.format(Locale.ROOT, "interim look at step %d (%s): %s; %s, and each side needs %d to"
                    + " pass; the bake time is extended by %s", ramp.step() + 1, percent(ramp.weightBasisPoints()),
                    metrics.isEmpty() ? "nothing new to test" : "no metric differed beyond its margin in "
                            + metrics.size() + " tests", sizes, minimum, ramp.bakeTime());
        }
        return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, canary.count(), stable.count(),
                decision, reason, metrics);
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
        return excessRate("missing_input_rate", canary.missing(), canary.count(), stable.missing(), stable.count(),
                level, margin);
    }

    /**
     * The one-sided test of a rate's excess over stable's by more than the margin. Chosen by the sample sizes alone (so
     * each has its level whatever the data): while stable has at least {@link #EXACT_RATIO} times the canary's rows
     * (the early, small steps) the exact Berger-Boos test, whose bound on stable's rate is then tight; from there on
     * the Wald z-test, which has more power with samples of like size and keeps its level for rates below about 0.1
     * (docs/canary-analysis.md, and {@code CanaryRateTestTest}).
     */
    static TwoProportionTest.Result excess(long canaryEvents, long canaryRows, long stableEvents, long stableRows,
            double margin, double level) {
        return stableRows >= EXACT_RATIO * canaryRows
                ? TwoProportionTest.excessExact(canaryEvents, canaryRows, stableEvents, stableRows, margin,
                        NUISANCE_PART * level)
                : TwoProportionTest.excess(canaryEvents, canaryRows, stableEvents, stableRows, margin);
    }

    private static String excessTestName(long canaryRows, long stableRows) {
        return stableRows >= EXACT_RATIO * canaryRows
                ? "exact one-sided test (binomial tail at stable's Clopper-Pearson upper bound, Berger-Boos)"
                : "one-sided two-proportion z-test (Wald)";
    }

    /** One-sided: only a canary whose rows fail or are refused more often than stable's is a problem. */
    static CanaryMetric excessRate(String name, long canaryEvents, long canaryRows, long stableEvents, long stableRows,
            double level, double margin) {
        TwoProportionTest.Result r = excess(canaryEvents, canaryRows, stableEvents, stableRows, margin, level);
        return new CanaryMetric(name, r.first(), r.second(), finite(r.z()), r.pValue(), level, r.pValue() <= level,
                excessTestName(canaryRows, stableRows) + " of canary - stable > " + margin);
    }

    /**
     * Whether the canary's requests are slower than stable's p99 more often than stable's own: with T the upper edge of
     * the histogram bucket that holds stable's p99, a one-sided two-proportion test of (canary share above T) -
     * (stable share above T) > margin. Values are the p99s in milliseconds (bucket upper edges); like the PSI guard
     * on the score distribution, a significant excess fails the canary only when its p99 is also above
     * {@code ratioLimit} times stable's.
     */
    static CanaryMetric latencyP99(LatencyHistogram canary, LatencyHistogram stable, double level, double margin,
            double ratioLimit) {
        int stableBucket = stable.quantileBucket(0.99);
        int canaryBucket = canary.quantileBucket(0.99);
        double stableP99 = LatencyHistogram.upperMillis(stableBucket);
        double canaryP99 = LatencyHistogram.upperMillis(canaryBucket);
        TwoProportionTest.Result r = excess(canary.countAbove(stableBucket), canary.total(),
                stable.countAbove(stableBucket), stable.total(), margin, level);
        boolean failed = r.pValue() <= level && canaryP99 > ratioLimit * stableP99;
        return new CanaryMetric("latency_p99", canaryP99, stableP99, finite(r.z()), r.pValue(), level, failed,
                excessTestName(canary.total(), stable.total()) + " of the shares of requests slower than stable's p99,"
                        + " canary - stable > " + margin + "; values are p99 in ms (limit " + ratioLimit
                        + " x stable)");
    }

    private static boolean bothClasses(LabelledSample sample) {
        return sample.positives() >= 2 && sample.count() - sample.positives() >= 2;
    }

    /**
     * Calibration-in-the-large, canary against stable: with r = outcome - predicted risk, two one-sided z-tests (Welch
     * standard error) of |mean r (canary) - mean r (stable)| > margin, p doubled. Values are each slot's mean
     * predicted risk minus its observed rate.
     */
    static CanaryMetric calibration(LabelledSample canary, LabelledSample stable, double level, double margin) {
        double difference = stable.meanPredictedMinusObserved() - canary.meanPredictedMinusObserved();
        double se = Math.sqrt(canary.residualVariance() / canary.count() + stable.residualVariance() / stable.count());
        double p;
        double z;
        if (se == 0) {
            z = Math.abs(difference) > margin ? Double.MAX_VALUE : 0;
            p = Math.abs(difference) > margin ? 0 : 1;
        } else {
            z = (Math.abs(difference) - margin) / se;
            p = Math.min(1.0, 2 * STANDARD_NORMAL.survivalProbability(z));
        }
        return new CanaryMetric("calibration_error", canary.meanPredictedMinusObserved(),
                stable.meanPredictedMinusObserved(), z, p, level, p < level,
                "two one-sided z-tests of |mean residual (canary) - mean residual (stable)| > " + margin
                        + " (p doubled); values are mean predicted risk minus observed rate");
    }

    /**
     * Discrimination, canary against stable on their own (independent) patients: one-sided z-test of AUROC (stable) -
     * AUROC (canary) > margin, with DeLong's variance of each AUROC (the A/B report's test for independent samples), on
     * the reservoir samples of labelled predictions.
     */
    static CanaryMetric auroc(LabelledSample canary, LabelledSample stable, double level, double margin) {
        DeLongTest.Result r = DeLongTest.independent(stable.scores(), stable.labels(), canary.scores(),
                canary.labels());
        double beyond = r.difference() - margin;
        double se = r.standardError();
        double z = se == 0 ? (beyond > 0 ? Double.MAX_VALUE : 0) : beyond / se;
        double p = se == 0 ? (beyond > 0 ? 0 : 1) : STANDARD_NORMAL.survivalProbability(z);
        return new CanaryMetric("auroc", r.aurocSecond(), r.aurocFirst(), z, p, level, p < level,
                "one-sided z-test of AUROC (stable) - AUROC (canary) > " + margin + " (DeLong variances, independent"
                        + " samples)");
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

package health.vigil.canary;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.StepAnalysis;
import health.vigil.statistics.Auroc;
import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.PopulationStabilityIndex;
import health.vigil.statistics.TwoProportionTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Judges one step of a canary ramp: canary against stable over the step's window, on the score distribution, the
 * flag rate and the missing-input rate (from the prediction log), and on the server-error rate, the refused rate and
 * the latency p99 (from the request statistics), and, where outcomes are known, on calibration and AUROC, each test
 * held to an equal share of the ramp's false-rollback budget
 * (Bonferroni over every judged step and metric), so a healthy canary is rolled back by chance with probability at
 * most {@link CanaryPolicy#falseRollbackRate()} over the whole ramp. A step is judged once each slot has the policy's
 * minimum of rows; a metric whose own sample is below that minimum on either side is not tested (it spends none of
 * the budget). With too few rows the bake time is extended. The method and its guarantee: docs/canary-analysis.md.
 */
public final class CanaryAnalysis {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /** The metrics each judged step may test; the false-rollback budget is split over all of them. */
    public static final List<String> METRICS = List.of("score_distribution", "flag_rate", "missing_input_rate",
            "server_error_rate", "refused_rate", "latency_p99", "calibration_error", "auroc");
    static final LabelledSample NO_OUTCOMES = new LabelledSample(0, 0);
    static final int BINS = 10;

    private CanaryAnalysis() {}

    /** The level each test of each judged step is held to. */
    public static double testLevel(CanaryRamp ramp) {
        return ramp.policy().falseRollbackRate() / (ramp.judgedSteps() * METRICS.size());
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
        // Rows that reached each slot: the request statistics count refused and failed rows too; without them
        // (none recorded in the window) the prediction log's count.
        long canaryRows = Math.max(canary.count(), canaryRequests.rows());
        long stableRows = Math.max(stable.count(), stableRequests.rows());
        if (canaryRows < minimum || stableRows < minimum) {
            String reason = String.format(Locale.ROOT, "too little evidence to judge step %d (%s): the window holds %d"
                    + " canary and %d stable requests and each side needs at least %d; the bake time is extended by"
                    + " %s and nothing is decided", ramp.step() + 1, percent(ramp.weightBasisPoints()), canaryRows,
                    stableRows, minimum, ramp.bakeTime());
            return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, canary.count(), stable.count(),
                    StepAnalysis.EXTEND, reason, List.of());
        }
        double level = testLevel(ramp);
        List<CanaryMetric> metrics = new ArrayList<>();
        List<String> untested = new ArrayList<>();
        if (canary.count() >= minimum && stable.count() >= minimum) {
            metrics.add(scoreDistribution(canary.scores(), stable.scores(), level, policy.psiLimit()));
            metrics.add(flagRate(canary, stable, level, policy.flagRateMargin()));
            metrics.add(missingInputRate(canary, stable, level, policy.missingRateMargin()));
        } else {
            untested.add(String.format(Locale.ROOT, "score_distribution, flag_rate and missing_input_rate (%d canary,"
                    + " %d stable predictions)", canary.count(), stable.count()));
        }
        if (canaryRequests.rows() >= minimum && stableRequests.rows() >= minimum) {
            metrics.add(excessRate("server_error_rate", canaryRequests.failed(), canaryRequests.rows(),
                    stableRequests.failed(), stableRequests.rows(), level, policy.errorRateMargin()));
            metrics.add(excessRate("refused_rate", canaryRequests.refused(), canaryRequests.rows(),
                    stableRequests.refused(), stableRequests.rows(), level, policy.refusedRateMargin()));
        } else {
            untested.add(String.format(Locale.ROOT, "server_error_rate and refused_rate (%d canary, %d stable rows"
                    + " counted)", canaryRequests.rows(), stableRequests.rows()));
        }
        long canaryTimed = canaryRequests.latency().total();
        long stableTimed = stableRequests.latency().total();
        if (canaryTimed >= minimum && stableTimed >= minimum) {
            metrics.add(latencyP99(canaryRequests.latency(), stableRequests.latency(), level, policy.latencyMargin(),
                    policy.latencyRatioLimit()));
        } else {
            untested.add(String.format(Locale.ROOT, "latency_p99 (%d canary, %d stable answered requests)",
                    canaryTimed, stableTimed));
        }
        if (canaryLabelled.count() >= minimum && stableLabelled.count() >= minimum && bothClasses(canaryLabelled)
                && bothClasses(stableLabelled)) {
            metrics.add(calibration(canaryLabelled, stableLabelled, level, policy.calibrationMargin()));
            metrics.add(auroc(canaryLabelled, stableLabelled, level, policy.aurocMargin()));
        } else {
            untested.add(String.format(Locale.ROOT, "calibration_error and auroc (%d canary, %d stable predictions with"
                    + " an outcome, each side needing both outcomes)", canaryLabelled.count(), stableLabelled.count()));
        }
        List<CanaryMetric> failed = metrics.stream().filter(CanaryMetric::failed).toList();
        String notTested = untested.isEmpty() ? "" : "; not tested, each side needs " + minimum + ": "
                + String.join("; ", untested);
        String reason = failed.isEmpty()
                ? String.format(Locale.ROOT, "step %d (%s) passed: no metric differed beyond its margin at level %.3g"
                        + " (%d canary, %d stable requests)%s", ramp.step() + 1, percent(ramp.weightBasisPoints()),
                        level, canaryRows, stableRows, notTested)
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

    /** One-sided: only a canary whose rows fail or are refused more often than stable's is a problem. */
    static CanaryMetric excessRate(String name, long canaryEvents, long canaryRows, long stableEvents, long stableRows,
            double level, double margin) {
        TwoProportionTest.Result r = TwoProportionTest.excess(canaryEvents, canaryRows, stableEvents, stableRows,
                margin);
        return new CanaryMetric(name, r.first(), r.second(), finite(r.z()), r.pValue(), level, r.pValue() < level,
                "one-sided two-proportion z-test of canary - stable > " + margin);
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
        TwoProportionTest.Result r = TwoProportionTest.excess(canary.countAbove(stableBucket), canary.total(),
                stable.countAbove(stableBucket), stable.total(), margin);
        boolean failed = r.pValue() < level && canaryP99 > ratioLimit * stableP99;
        return new CanaryMetric("latency_p99", canaryP99, stableP99, finite(r.z()), r.pValue(), level, failed,
                "one-sided two-proportion z-test of the shares of requests slower than stable's p99, canary - stable > "
                        + margin + "; values are p99 in ms (limit " + ratioLimit + " x stable)");
    }

    private static boolean bothClasses(LabelledSample sample) {
        return sample.positives() > 0 && sample.positives() < sample.count();
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
     * AUROC (canary) > margin, each AUROC's variance from Hanley and McNeil's formula (1982), on the reservoir
     * samples of labelled predictions.
     */
    static CanaryMetric auroc(LabelledSample canary, LabelledSample stable, double level, double margin) {
        double[] canaryScores = canary.scores();
        boolean[] canaryLabels = canary.labels();
        double[] stableScores = stable.scores();
        boolean[] stableLabels = stable.labels();
        double canaryAuroc = Auroc.of(canaryScores, canaryLabels);
        double stableAuroc = Auroc.of(stableScores, stableLabels);
        double se = Math.sqrt(hanleyMcNeilVariance(canaryAuroc, canaryLabels)
                + hanleyMcNeilVariance(stableAuroc, stableLabels));
        double beyond = stableAuroc - canaryAuroc - margin;
        double z = se == 0 ? (beyond > 0 ? Double.MAX_VALUE : 0) : beyond / se;
        double p = se == 0 ? (beyond > 0 ? 0 : 1) : STANDARD_NORMAL.survivalProbability(z);
        return new CanaryMetric("auroc", canaryAuroc, stableAuroc, z, p, level, p < level,
                "one-sided z-test of AUROC (stable) - AUROC (canary) > " + margin + " (Hanley-McNeil variances)");
    }

    /** Hanley and McNeil (1982), Radiology 143, 29-36: the variance of an AUROC from its value and class sizes. */
    static double hanleyMcNeilVariance(double auroc, boolean[] labels) {
        long positives = 0;
        for (boolean y : labels) {
            if (y) {
                positives++;
            }
        }
        long negatives = labels.length - positives;
        double q1 = auroc / (2 - auroc);
        double q2 = 2 * auroc * auroc / (1 + auroc);
        return (auroc * (1 - auroc) + (positives - 1) * (q1 - auroc * auroc) + (negatives - 1) * (q2 - auroc * auroc))
                / ((double) positives * negatives);
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

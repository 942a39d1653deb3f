package health.vigil.canary;

import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryOutcomeCounts;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.StepAnalysis;
import health.vigil.statistics.DeLongTest;
import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.PopulationStabilityIndex;
import health.vigil.statistics.StratifiedDifference;
import health.vigil.text.Words;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Judges a canary ramp as one sequential comparison of the canary with the stable slot: at each look, every metric is
 * tested on the evidence of every step so far, each step a stratum compared within its own minutes (the score
 * distribution, the flag rate, the mean score and the missing-input rate from the prediction log; the server-error
 * rate, the refused rate and the latency p99 from the request statistics; calibration and AUROC where outcomes are
 * known). The ramp's false-rollback budget is split over the metrics by fixed shares ({@link #SHARES}), and each
 * metric's share is spent over its looks, fixed by its sample over the ramp ({@link #lookSize}): a look spends
 * {@link #SPEND_RATE} of what its metric has left. A healthy canary is thus rolled back by chance with probability at
 * most {@link CanaryPolicy#falseRollbackRate()} over the whole ramp (union bound over every test made). A step may
 * fail at any look and passes once each slot has the policy's minimum of rows in the step's own window; until then
 * the bake time is extended. What a metric has spent is read from the ramp's earlier analyses. The method and its
 * guarantee: docs/canary-analysis.md.
 */
public final class CanaryAnalysis {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /**
     * Each metric's share of the ramp's false-rollback budget, fixed in advance (whether outcomes or latencies arrive
     * or not, so the split never depends on the data): most on server errors, the harm a canary most often brings and
     * one hard to see in a small sample, and more on missing inputs, which the model fills in silently, than on
     * refused rows, which the caller sees.
     */
    public static final Map<String, Double> SHARES = shares();
    /** The metrics a look may test. */
    public static final List<String> METRICS = List.copyOf(SHARES.keySet());
    /** The part of what a metric has left of its share that each of its looks spends. */
    public static final double SPEND_RATE = 0.3;
    /**
     * The looks, as multiples of the policy's minimum sample per slot: four in the first step's sample, then about
     * every half again (×1.5, ×4/3 in turn) for as long as the ramp runs.
     */
    static final double[] FIRST_LOOKS = {0.25, 0.5, 0.75, 1.0};
    /** The fewest rows per slot at which anything is looked at (normal tests need some). */
    static final int FIRST_LOOK_FLOOR = 50;
    /** Part of a rare-event test's level spent on the bounds of stable's rates (Berger and Boos 1994). */
    static final double NUISANCE_PART = 0.25;
    /** Stable's rows per canary row in every step from which rates are tested exactly ({@link #excessRate}). */
    static final int EXACT_RATIO = 5;
    static final LabelledSample NO_OUTCOMES = new LabelledSample(0, 0);
    static final int BINS = 10;

    private CanaryAnalysis() {}

    private static Map<String, Double> shares() {
        Map<String, Double> shares = new LinkedHashMap<>();
        shares.put("score_distribution", 0.10);
        shares.put("mean_score", 0.10);
        shares.put("flag_rate", 0.10);
        shares.put("missing_input_rate", 0.15);
        shares.put("server_error_rate", 0.20);
        shares.put("refused_rate", 0.05);
        shares.put("latency_p99", 0.10);
        shares.put("calibration_error", 0.15);
        shares.put("auroc", 0.05);
        return Collections.unmodifiableMap(shares);
    }

    /**
     * The sample per slot (over the ramp) of look {@code look} (1, 2, ...): at a quarter, half, three quarters and all
     * of the policy's minimum, then half again, a third again and so on in turn; a size below
     * {@link #FIRST_LOOK_FLOOR} is raised to it, and sizes that come out alike are one look.
     */
    public static long lookSize(int minimum, int look) {
        if (look < 1) {
            throw new IllegalArgumentException("looks count from 1");
        }
        long size = 0;
        int found = 0;
        double multiple = 1;
        for (int i = 1; found < look; i++) {
            if (i <= FIRST_LOOKS.length) {
                multiple = FIRST_LOOKS[i - 1];
            } else {
                multiple *= (i - FIRST_LOOKS.length) % 2 == 1 ? 1.5 : 4.0 / 3.0;
            }
            long candidate = Math.max(FIRST_LOOK_FLOOR, (long) Math.ceil(multiple * minimum - 1e-9));
            if (candidate > size) {
                size = candidate;
                found++;
            }
        }
        return size;
    }

    /** The last look a sample of {@code n} per slot has reached, 0 before the first. */
    static int lookReached(long n, int minimum) {
        int reached = 0;
        while (n >= lookSize(minimum, reached + 1)) {
            reached++;
        }
        return reached;
    }

    /** The part of a metric's share spent by the end of look {@code look}: 1 - (1 - {@link #SPEND_RATE})^look. */
    public static double spentBy(int look) {
        return 1 - Math.pow(1 - SPEND_RATE, look);
    }

    /** One look of the schedule: the sample per slot over the ramp, and the part of each share spent by then. */
    public record Look(int look, long rowsPerSlot, double spentBy) {}

    /** The first {@code count} looks of a policy's schedule (the API shows them beside the analyses). */
    public static List<Look> lookSchedule(CanaryPolicy policy, int count) {
        List<Look> looks = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            looks.add(new Look(i, lookSize(policy.minSamplePerSlot(), i), spentBy(i)));
        }
        return looks;
    }

    /** What the ramp has already spent on a metric: the levels of its earlier tests, in every step. */
    static double spent(CanaryRamp ramp, String metric) {
        double spent = 0;
        for (StepAnalysis a : ramp.analyses()) {
            for (CanaryMetric m : a.metrics()) {
                if (m.name().equals(metric)) {
                    spent += m.level();
                }
            }
        }
        return spent;
    }

    /**
     * The level a metric is tested at now, with {@code n} the smaller of its two samples over the ramp: its share of
     * the ramp's budget spent up to the look reached, less what its earlier tests spent; 0 when there is nothing new
     * to spend (before the first look, or the look already tested).
     */
    static double levelNow(CanaryRamp ramp, String metric, long n) {
        int look = lookReached(n, ramp.policy().minSamplePerSlot());
        if (look == 0) {
            return 0;
        }
        double share = ramp.policy().falseRollbackRate() * SHARES.get(metric);
        double level = share * spentBy(look) - spent(ramp, metric);
        return level > share * 1e-9 ? level : 0;
    }

    /** The longest an idle extension waits, unless the bake time itself is longer. */
    static final Duration LONGEST_EXTENSION = Duration.ofHours(1);

    /**
     * How long an extension of the step waits before its next look. One bake time while predictions come; but when
     * the canary has had none since the step's last look (an extension too), twice the wait before, up to an hour (or
     * the bake time when that is longer). A canary without traffic (a night, a holiday) is then looked at, and each
     * look written as a deployment revision and an audit record, a few times an hour rather than at every bake time
     * (with PT1S, 86,400 a day); with traffic the looks, and so how soon a bad canary is caught, are as before.
     */
    static Duration extension(CanaryRamp ramp, long canaryCount) {
        List<StepAnalysis> before = ramp.analyses();
        StepAnalysis last = before.isEmpty() ? null : before.get(before.size() - 1);
        if (last == null || last.step() != ramp.step() || !StepAnalysis.EXTEND.equals(last.decision())
                || last.canaryCount() != canaryCount || last.windowTo() == null) {
            return ramp.bakeTime();
        }
        Duration cap = ramp.bakeTime().compareTo(LONGEST_EXTENSION) > 0 ? ramp.bakeTime() : LONGEST_EXTENSION;
        Duration doubled = Duration.between(last.windowTo(), ramp.judgeAt()).multipliedBy(2);
        return doubled.compareTo(cap) > 0 ? cap : doubled.compareTo(ramp.bakeTime()) < 0 ? ramp.bakeTime() : doubled;
    }

    /**
     * The ramp after a step's analysis, as the controller writes it: extended (the window keeps its start), rolled
     * back, moved to the next step or, after the last judged step, promoted.
     */
    public static CanaryRamp advance(CanaryRamp ramp, StepAnalysis analysis, Instant now) {
        return switch (analysis.decision()) {
            case StepAnalysis.EXTEND -> ramp.with(CanaryStatus.RUNNING, ramp.step(), ramp.stepStartedAt(),
                    now.plus(extension(ramp, analysis.canaryCount())), ramp.extensions() + 1, "extended", analysis.reason(),
                    analysis);
            case StepAnalysis.FAIL -> ramp.with(CanaryStatus.ROLLED_BACK, ramp.step(), ramp.stepStartedAt(), now,
                    ramp.extensions(), "rolled_back", analysis.reason(), analysis);
            default -> ramp.lastJudgedStep()
                    ? ramp.with(CanaryStatus.PROMOTED, ramp.step() + 1, now, now, 0, "promoted", analysis.reason()
                            + "; every step passed, the canary takes all traffic", analysis)
                    : ramp.with(CanaryStatus.RUNNING, ramp.step() + 1, now, now.plus(ramp.bakeTime()), 0, "stepped",
                            analysis.reason() + "; moving to " + percent(ramp.steps().get(ramp.step() + 1)), analysis);
        };
    }

    /** Judges the ramp's current step on predictions alone (no earlier steps, no request statistics). */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable, Instant from, Instant to) {
        return judge(ramp, List.of(), StepEvidence.ofPredictions(canary, stable), from, to);
    }

    /** Judges the ramp's current step on the two slots' predictions and requests, without outcomes. */
    public static StepAnalysis judge(CanaryRamp ramp, WindowSample canary, WindowSample stable,
            RequestSample canaryRequests, RequestSample stableRequests, Instant from, Instant to) {
        return judge(ramp, List.of(), new StepEvidence(canary, stable, canaryRequests, stableRequests, NO_OUTCOMES,
                NO_OUTCOMES), from, to);
    }

    /**
     * Judges the ramp's current step on its own window ({@code current}) and the windows of the steps it has passed
     * ({@code earlier}, in order): the controller's call.
     */
    public static StepAnalysis judge(CanaryRamp ramp, List<StepEvidence> earlier, StepEvidence current, Instant from,
            Instant to) {
        CanaryPolicy policy = ramp.policy();
        int minimum = policy.minSamplePerSlot();
        long firstLook = lookSize(minimum, 1);
        List<StepEvidence> steps = new ArrayList<>(earlier);
        steps.add(current);
        long canaryRows = current.canaryRows();
        long stableRows = current.stableRows();
        long rampRows = Math.min(sum(steps, StepEvidence::canaryRows), sum(steps, StepEvidence::stableRows));
        if (rampRows < firstLook) {
            String reason = String.format(Locale.ROOT, "too little evidence to judge step %d (%s): the window holds %s;"
                    + " each side needs at least %d for a first look (%d in this step to pass), counting the larger of"
                    + " its two counts; the bake time is extended by %s and nothing is decided", ramp.step() + 1,
                    percent(ramp.weightBasisPoints()), counted(current, from), firstLook, minimum,
                    Words.duration(extension(ramp, current.canary().count())));
            return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, current.canary().count(),
                    current.stable().count(), StepAnalysis.EXTEND, reason, List.of());
        }
        List<CanaryMetric> metrics = new ArrayList<>();
        List<String> untested = new ArrayList<>();
        Usable predicted = usable(steps, s -> s.canary().count(), s -> s.stable().count());
        long predictions = predicted.size();
        double level = levelNow(ramp, "score_distribution", predictions);
        if (level > 0 && Math.min(current.canary().count(), current.stable().count()) >= FIRST_LOOK_FLOOR) {
            metrics.add(scoreDistribution(current.canary().scores(), current.stable().scores(), level,
                    policy.psiLimit()));
        }
        level = levelNow(ramp, "mean_score", predictions);
        if (level > 0) {
            metrics.add(meanScore(predicted.steps(), level, policy.scoreMeanMargin()));
        }
        level = levelNow(ramp, "flag_rate", predictions);
        if (level > 0) {
            metrics.add(flagRate(predicted.steps(), level, policy.flagRateMargin()));
        }
        level = levelNow(ramp, "missing_input_rate", predictions);
        if (level > 0) {
            metrics.add(excessRate("missing_input_rate", predicted.steps(), s -> s.canary().missing(),
                    s -> s.canary().count(), s -> s.stable().missing(), s -> s.stable().count(), level,
                    policy.missingRateMargin()));
        }
        if (predictions < firstLook) {
            untested.add(String.format(Locale.ROOT, "score_distribution, mean_score, flag_rate and missing_input_rate"
                    + " (%d canary, %d stable predictions)", sum(steps, s -> s.canary().count()),
                    sum(steps, s -> s.stable().count())));
        }
        Usable counted = usable(steps, s -> s.canaryRequests().rows(), s -> s.stableRequests().rows());
        long rows = counted.size();
        level = levelNow(ramp, "server_error_rate", rows);
        if (level > 0) {
            metrics.add(excessRate("server_error_rate", counted.steps(), s -> s.canaryRequests().failed(),
                    s -> s.canaryRequests().rows(), s -> s.stableRequests().failed(), s -> s.stableRequests().rows(),
                    level, policy.errorRateMargin()));
        }
        level = levelNow(ramp, "refused_rate", rows);
        if (level > 0) {
            metrics.add(excessRate("refused_rate", counted.steps(), s -> s.canaryRequests().refused(),
                    s -> s.canaryRequests().rows(), s -> s.stableRequests().refused(), s -> s.stableRequests().rows(),
                    level, policy.refusedRateMargin()));
        }
        if (rows < firstLook) {
            untested.add(String.format(Locale.ROOT, "server_error_rate and refused_rate (%d canary, %d stable rows"
                    + " counted)", sum(steps, s -> s.canaryRequests().rows()),
                    sum(steps, s -> s.stableRequests().rows())));
        }
        Usable timed = usable(steps, s -> s.canaryRequests().latency().total(),
                s -> s.stableRequests().latency().total());
        long timedRequests = timed.size();
        level = levelNow(ramp, "latency_p99", timedRequests);
        if (level > 0) {
            metrics.add(latencyP99(timed.steps(), level, policy.latencyMargin(), policy.latencyRatioLimit()));
        } else if (timedRequests < firstLook) {
            untested.add(String.format(Locale.ROOT, "latency_p99 (%d canary, %d stable answered requests)",
                    sum(steps, s -> s.canaryRequests().latency().total()),
                    sum(steps, s -> s.stableRequests().latency().total())));
        }
        // A step's outcomes count once each side has two of each: the AUROC needs both classes.
        Usable labelled = usable(steps.stream()
                .filter(s -> bothClasses(s.canaryLabelled()) && bothClasses(s.stableLabelled())).toList(),
                s -> s.canaryLabelled().count(), s -> s.stableLabelled().count());
        long outcomes = labelled.size();
        level = levelNow(ramp, "calibration_error", outcomes);
        if (level > 0) {
            metrics.add(calibration(labelled.steps(), level, policy.calibrationMargin()));
        }
        level = levelNow(ramp, "auroc", outcomes);
        if (level > 0) {
            // Computed on each step's reservoir samples: a step whose sample lost a rare outcome's predictions is left
            // out (DeLong's test needs two of each), rather than failing the whole analysis every pass.
            List<StepEvidence> sampled = labelled.steps().stream()
                    .filter(s -> s.canaryLabelled().sampleHasTwoOfEach() && s.stableLabelled().sampleHasTwoOfEach())
                    .toList();
            if (sampled.isEmpty()) {
                untested.add("auroc (the steps' samples of predictions with an outcome hold fewer than two of an"
                        + " outcome)");
            } else {
                metrics.add(auroc(sampled, level, policy.aurocMargin()));
            }
        }
        if (outcomes < firstLook) {
            // A few patients' outcomes are given as fewer than the ramp's minCellSize, as a monitoring report does.
            untested.add("calibration_error and auroc (" + CanaryOutcomeCounts.words(sum(steps,
                    s -> s.canaryLabelled().count()), sum(steps, s -> s.stableLabelled().count()), ramp.cellSize())
                    + ", each side needing two of each outcome in a step)");
        }
        boolean stepDone = canaryRows >= minimum && stableRows >= minimum;
        List<CanaryMetric> failed = metrics.stream().filter(CanaryMetric::failed).toList();
        String notTested = untested.isEmpty() ? "" : "; not tested yet, each side needs " + firstLook + " over the"
                + " ramp: " + String.join("; ", untested);
        String sizes = "in this step " + counted(current, from) + (earlier.isEmpty() ? "" : ", with the "
                + Words.count(earlier.size(), "earlier step"));
        String reason;
        String decision;
        if (!failed.isEmpty()) {
            decision = StepAnalysis.FAIL;
            reason = "step " + (ramp.step() + 1) + " (" + percent(ramp.weightBasisPoints()) + ") failed on "
                    + failed.stream().map(CanaryAnalysis::failureWords).collect(Collectors.joining(", "))
                    + " (" + sizes + ")";
        } else if (stepDone) {
            decision = StepAnalysis.PASS;
            reason = String.format(Locale.ROOT, "step %d (%s) passed: no metric differed beyond its margin (%s, %s"
                    + " at this look)%s", ramp.step() + 1, percent(ramp.weightBasisPoints()), sizes,
                    Words.count(metrics.size(), "test"), notTested);
        } else {
            decision = StepAnalysis.EXTEND;
            reason = String.format(Locale.ROOT, "interim look at step %d (%s): %s; %s, and each side needs %d in this"
                    + " step to pass, counting the larger of its two counts; the bake time is extended by %s",
                    ramp.step() + 1,
                    percent(ramp.weightBasisPoints()), metrics.isEmpty() ? "nothing new to test"
                            : "no metric differed beyond its margin in " + Words.count(metrics.size(), "test"), sizes, minimum,
                    Words.duration(extension(ramp, current.canary().count())));
        }
        return new StepAnalysis(ramp.step(), ramp.weightBasisPoints(), from, to, current.canary().count(),
                current.stable().count(), decision, reason, metrics);
    }

    /**
     * A step's two counts, each named by its source, so that a reason never seems to contradict the analysis's
     * {@code canaryCount} and {@code stableCount} (the predictions logged since the step started): the request
     * statistics count refused and failed rows too, of the requests the step routed; records whose routing is unknown
     * (written before steps were recorded) are counted by whole minutes, from the start of the minute the step started
     * in, and the reason says so. A side's rows, which the step's looks and its pass wait for, are the larger of its
     * two counts.
     */
    static String counted(StepEvidence step, Instant from) {
        String which = step.canaryRequests().byMinute() || step.stableRequests().byMinute()
                ? "in whole minutes from " + from.truncatedTo(ChronoUnit.MINUTES)
                : "of the requests the step routed";
        return String.format(Locale.ROOT, "%d canary and %d stable rows counted by the request statistics (answered,"
                + " refused and failed, %s) and %d canary and %d stable predictions logged since the step started",
                step.canaryRequests().rows(), step.stableRequests().rows(), which, step.canary().count(),
                step.stable().count());
    }

    /** The steps in which both slots have some of a metric's sample, and the smaller slot's sample over them. */
    private record Usable(List<StepEvidence> steps, long size) {}

    private static Usable usable(List<StepEvidence> steps, ToLongFunction<StepEvidence> canary,
            ToLongFunction<StepEvidence> stable) {
        List<StepEvidence> both = steps.stream()
                .filter(s -> canary.applyAsLong(s) > 0 && stable.applyAsLong(s) > 0).toList();
        return new Usable(both, Math.min(sum(both, canary), sum(both, stable)));
    }

    private static long sum(List<StepEvidence> steps, ToLongFunction<StepEvidence> count) {
        long total = 0;
        for (StepEvidence s : steps) {
            total += count.applyAsLong(s);
        }
        return total;
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

    /**
     * A failed metric in a step's reason: each side's value and the test's p-value; for the score distribution, whose
     * value is one PSI of canary against stable (stable against itself would be 0), that PSI and the KS distance.
     */
    static String failureWords(CanaryMetric m) {
        if (m.name().equals("score_distribution")) {
            return String.format(Locale.ROOT, "%s (PSI of canary against stable %.4g; Kolmogorov-Smirnov D %.4g, p ="
                    + " %.3g < %.3g)", m.name(), m.canary(), m.statistic(), m.pValue(), m.level());
        }
        return String.format(Locale.ROOT, "%s (canary %.4g, stable %.4g, p = %.3g < %.3g)", m.name(), m.canary(),
                m.stable(), m.pValue(), m.level());
    }

    /**
     * The PSI of canary's scores on bins cut at stable's deciles. A score that holds a tenth of stable's scores or
     * more (a points-based score, a shallow tree's leaf) is more than one decile: it gets a bin of its own,
     * {@code [v, nextUp(v))}, so that a canary moving that mass to a nearby score is seen, where one bin from it up to
     * the next decile would hold both and read no shift.
     */
    static double psiOnStableDeciles(double[] canary, double[] stable) {
        double[] edges = decileEdges(stable);
        long[] stableCounts = counts(stable, edges);
        long[] canaryCounts = counts(canary, edges);
        double[] shares = new double[stableCounts.length];
        for (int i = 0; i < shares.length; i++) {
            shares[i] = (double) stableCounts[i] / stable.length;
        }
        return PopulationStabilityIndex.of(shares, stable.length, canaryCounts);
    }

    /** Stable's deciles, each once, with {@code nextUp(v)} after every decile {@code v} that is more than one. */
    static double[] decileEdges(double[] stable) {
        double[] sorted = stable.clone();
        Arrays.sort(sorted);
        double[] deciles = new double[BINS - 1];
        for (int i = 1; i < BINS; i++) {
            deciles[i - 1] = sorted[(int) Math.min(sorted.length - 1, Math.floor((double) i * sorted.length / BINS))];
        }
        java.util.TreeSet<Double> edges = new java.util.TreeSet<>();
        for (int i = 0; i < deciles.length; i++) {
            boolean tied = (i > 0 && deciles[i - 1] == deciles[i]) || (i + 1 < deciles.length
                    && deciles[i + 1] == deciles[i]);
            edges.add(deciles[i]);
            if (tied) {
                edges.add(Math.nextUp(deciles[i]));
            }
        }
        return edges.stream().mapToDouble(Double::doubleValue).toArray();
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

    /**
     * Two one-sided tests of |mean score (canary) - mean score (stable)| > margin over the steps (Welch standard
     * errors, each step compared within itself), p doubled: the most sensitive test of a shift of every risk, which
     * the distribution test needs several times the sample to see. Values are the means (stable's standardised to
     * the canary's mix of steps).
     */
    static CanaryMetric meanScore(List<StepEvidence> steps, double level, double margin) {
        List<StratifiedDifference.Stratum> strata = new ArrayList<>();
        for (StepEvidence s : steps) {
            strata.add(new StratifiedDifference.Stratum(s.canary().count(), s.canary().meanScore(),
                    s.canary().scoreVariance(), s.stable().count(), s.stable().meanScore(), s.stable().scoreVariance()));
        }
        StratifiedDifference.Result r = StratifiedDifference.beyond(strata, margin);
        return new CanaryMetric("mean_score", r.first(), r.second(), finite(r.z()), r.pValue(), level,
                r.pValue() < level, "two one-sided z-tests of |mean score (canary) - mean score (stable)| > " + margin
                        + " (Welch, within each step; p doubled)");
    }

    /** Two-sided with a margin: the canary's flag rate above stable's by more than the margin, or below by more. */
    static CanaryMetric flagRate(List<StepEvidence> steps, double level, double margin) {
        List<StratifiedDifference.Stratum> strata = new ArrayList<>();
        for (StepEvidence s : steps) {
            strata.add(StratifiedDifference.Stratum.ofRates(s.canary().flagged(), s.canary().count(),
                    s.stable().flagged(), s.stable().count()));
        }
        StratifiedDifference.Result r = StratifiedDifference.beyond(strata, margin);
        return new CanaryMetric("flag_rate", r.first(), r.second(), finite(r.z()), r.pValue(), level,
                r.pValue() < level, "two one-sided two-proportion z-tests of |canary - stable| > " + margin
                        + " (Wald, within each step; p doubled)");
    }

    /**
     * The one-sided test of a rate's excess over stable's by more than the margin, over the steps. Chosen by the
     * sample sizes alone (so each has its level whatever the data): while stable has at least {@link #EXACT_RATIO}
     * times the canary's rows in every step (the early, small steps) the exact Berger-Boos test, whose bounds on
     * stable's rates are then tight; from there on the Wald z-test, which has more power with samples of like size
     * and keeps its level for rates below about 0.1 (docs/canary-analysis.md).
     */
    static CanaryMetric excessRate(String name, List<StepEvidence> steps, ToLongFunction<StepEvidence> canaryEvents,
            ToLongFunction<StepEvidence> canaryRows, ToLongFunction<StepEvidence> stableEvents,
            ToLongFunction<StepEvidence> stableRows, double level, double margin) {
        long[][] events = new long[steps.size()][];
        long[][] trials = new long[steps.size()][];
        boolean exact = true;
        for (int i = 0; i < steps.size(); i++) {
            StepEvidence s = steps.get(i);
            events[i] = new long[] {canaryEvents.applyAsLong(s), stableEvents.applyAsLong(s)};
            trials[i] = new long[] {canaryRows.applyAsLong(s), stableRows.applyAsLong(s)};
            exact &= trials[i][1] >= EXACT_RATIO * trials[i][0];
        }
        StratifiedDifference.Result r = excess(events, trials, margin, level, exact);
        return new CanaryMetric(name, r.first(), r.second(), finite(r.z()), r.pValue(), level, r.pValue() <= level,
                excessTestName(exact) + " of canary - stable > " + margin);
    }

    static StratifiedDifference.Result excess(long[][] events, long[][] trials, double margin, double level,
            boolean exact) {
        if (exact) {
            return StratifiedDifference.excessExact(events, trials, margin, NUISANCE_PART * level);
        }
        List<StratifiedDifference.Stratum> strata = new ArrayList<>();
        for (int i = 0; i < events.length; i++) {
            strata.add(StratifiedDifference.Stratum.ofRates(events[i][0], trials[i][0], events[i][1], trials[i][1]));
        }
        return StratifiedDifference.excess(strata, margin);
    }

    private static String excessTestName(boolean exact) {
        return exact ? "exact one-sided test (binomial tails at stable's Clopper-Pearson upper bounds, Berger-Boos,"
                + " over the steps)" : "one-sided two-proportion z-test (Wald, within each step)";
    }

    /**
     * Whether the canary's requests are slower than stable's p99 more often than stable's own: in each step, with T
     * the upper edge of the histogram bucket that holds stable's p99 in that step, the share of requests above T;
     * then the one-sided test of (canary share) - (stable share) > margin over the steps. Values are the p99s in
     * milliseconds (bucket upper edges) over the steps; like the PSI guard on the score distribution, a significant
     * excess fails the canary only when its p99 is also above {@code ratioLimit} times stable's.
     */
    static CanaryMetric latencyP99(List<StepEvidence> steps, double level, double margin, double ratioLimit) {
        long[][] events = new long[steps.size()][];
        long[][] trials = new long[steps.size()][];
        boolean exact = true;
        LatencyHistogram canaryAll = LatencyHistogram.empty();
        LatencyHistogram stableAll = LatencyHistogram.empty();
        for (int i = 0; i < steps.size(); i++) {
            LatencyHistogram canary = steps.get(i).canaryRequests().latency();
            LatencyHistogram stable = steps.get(i).stableRequests().latency();
            int stableBucket = stable.quantileBucket(0.99);
            events[i] = new long[] {canary.countAbove(stableBucket), stable.countAbove(stableBucket)};
            trials[i] = new long[] {canary.total(), stable.total()};
            exact &= stable.total() >= EXACT_RATIO * canary.total();
            canaryAll = canaryAll.plus(canary);
            stableAll = stableAll.plus(stable);
        }
        double stableP99 = LatencyHistogram.upperMillis(stableAll.quantileBucket(0.99));
        double canaryP99 = LatencyHistogram.upperMillis(canaryAll.quantileBucket(0.99));
        StratifiedDifference.Result r = excess(events, trials, margin, level, exact);
        boolean failed = r.pValue() <= level && canaryP99 > ratioLimit * stableP99;
        return new CanaryMetric("latency_p99", canaryP99, stableP99, finite(r.z()), r.pValue(), level, failed,
                excessTestName(exact) + " of the shares of requests slower than stable's p99 of the step, canary -"
                        + " stable > " + margin + "; values are p99 in ms over the steps (limit " + ratioLimit
                        + " x stable)");
    }

    private static boolean bothClasses(LabelledSample sample) {
        return sample.positives() >= 2 && sample.count() - sample.positives() >= 2;
    }

    /**
     * Calibration-in-the-large, canary against stable: with r = outcome - predicted risk, two one-sided z-tests (Welch
     * standard errors, within each step) of |mean r (canary) - mean r (stable)| > margin, p doubled. Values are each
     * slot's mean predicted risk minus its observed rate (stable's standardised to the canary's mix of steps).
     */
    static CanaryMetric calibration(List<StepEvidence> steps, double level, double margin) {
        List<StratifiedDifference.Stratum> strata = new ArrayList<>();
        for (StepEvidence s : steps) {
            LabelledSample c = s.canaryLabelled();
            LabelledSample st = s.stableLabelled();
            strata.add(new StratifiedDifference.Stratum(c.count(), c.meanPredictedMinusObserved(),
                    c.residualVariance(), st.count(), st.meanPredictedMinusObserved(), st.residualVariance()));
        }
        StratifiedDifference.Result r = StratifiedDifference.beyond(strata, margin);
        return new CanaryMetric("calibration_error", r.first(), r.second(), finite(r.z()), r.pValue(), level,
                r.pValue() < level, "two one-sided z-tests of |mean residual (canary) - mean residual (stable)| > "
                        + margin + " (Welch, within each step; p doubled); values are mean predicted risk minus"
                        + " observed rate");
    }

    /**
     * Discrimination, canary against stable on their own (independent) patients: one-sided z-test of AUROC (stable) -
     * AUROC (canary) > margin, each step's difference with DeLong's variances (the A/B report's test for independent
     * samples) on its reservoir samples, the steps weighted by the canary's labelled predictions.
     */
    static CanaryMetric auroc(List<StepEvidence> steps, double level, double margin) {
        double total = 0;
        for (StepEvidence s : steps) {
            total += s.canaryLabelled().count();
        }
        double difference = 0;
        double variance = 0;
        double canaryAuroc = 0;
        double stableAuroc = 0;
        for (StepEvidence s : steps) {
            DeLongTest.Result r = DeLongTest.independent(s.stableLabelled().scores(), s.stableLabelled().labels(),
                    s.canaryLabelled().scores(), s.canaryLabelled().labels());
            double w = s.canaryLabelled().count() / total;
            difference += w * r.difference();
            variance += w * w * r.standardError() * r.standardError();
            canaryAuroc += w * r.aurocSecond();
            stableAuroc += w * r.aurocFirst();
        }
        double beyond = difference - margin;
        double se = Math.sqrt(variance);
        double z = se == 0 ? (beyond > 0 ? Double.MAX_VALUE : 0) : beyond / se;
        double p = se == 0 ? (beyond > 0 ? 0 : 1) : STANDARD_NORMAL.survivalProbability(z);
        return new CanaryMetric("auroc", canaryAuroc, stableAuroc, z, p, level, p < level,
                "one-sided z-test of AUROC (stable) - AUROC (canary) > " + margin + " (DeLong variances, independent"
                        + " samples, within each step)");
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

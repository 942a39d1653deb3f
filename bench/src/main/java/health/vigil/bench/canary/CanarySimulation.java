package health.vigil.bench.canary;

import health.vigil.bench.BenchArguments;
import health.vigil.canary.CanaryAnalysis;
import health.vigil.canary.LabelledSample;
import health.vigil.canary.RequestSample;
import health.vigil.canary.StepEvidence;
import health.vigil.canary.WindowSample;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.StepAnalysis;
import health.vigil.model.TrafficSlot;
import health.vigil.routing.TrafficRouter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.commons.statistics.distribution.BetaDistribution;

/**
 * Simulated canaries judged three ways on the very same request streams: by Vigil's analysis ({@link CanaryAnalysis},
 * the controller's own judgement and ramp move, with the default policy and ramp), by a threshold rule in the manner
 * of Flagger with its usual limits (a check every minute over the last five minutes against fixed limits; rolled back
 * after K failed checks), and by the same rule with its limits and K tuned, on streams of their own, to roll back at
 * most the policy's false-rollback rate of healthy canaries.
 *
 * <p>Each request carries its patient's pseudonym and the answer both versions would give. Each simulated canary is a
 * ramp with a bucket salt of its own, and both methods route a request as the scoring path does, by
 * {@link TrafficRouter#route} on the deployment at the ramp's current step, so whichever weight a method's ramp is at,
 * the request goes to the same side for both methods when their weights agree. Stable scores follow a
 * fixed distribution (flag rate about 34 %, 1 % of rows missing an input, 0.2 % of requests failing with a server
 * error). Kinds: {@code healthy} (the canary is stable's twin), {@code score-shift} (canary scores +0.10),
 * {@code missing-inputs} (10 % of canary rows miss an input), {@code error-spike} (5 % of canary requests fail),
 * {@code calibration-shift} (canary risks 0.4 log-odds high; stable's scores are the true risks, and every
 * prediction's outcome is known within the step, drawn from the true risk). Prints, per kind and method, the rollback
 * rate with its 95 % interval, the median requests served by the canary before the rollback, and how many ended
 * undecided within the horizon. Arguments: canaries per kind for the table, and for the tuning (default: the same).
 */
public final class CanarySimulation {
    static final int RATE_PER_MINUTE = 120;
    static final int BAKE_MINUTES = 10;
    static final int HORIZON_MINUTES = 12 * 60;
    /** The threshold rule: limits, window and failed checks before rollback (Flagger's {@code threshold}). */
    static final double FLAG_RATE_LIMIT = 0.45;
    static final double MISSING_RATE_LIMIT = 0.05;
    /** Flagger's request-success-rate check at its usual 99 %. */
    static final double ERROR_RATE_LIMIT = 0.01;
    static final double STABLE_ERROR_RATE = 0.002;
    static final double SPIKE_ERROR_RATE = 0.05;
    static final int RULE_WINDOW_MINUTES = 5;
    static final int RULE_FAILED_CHECKS = 5;

    private CanarySimulation() {}

    enum Kind { HEALTHY, SCORE_SHIFT, MISSING_INPUTS, ERROR_SPIKE, CALIBRATION_SHIFT }
    /** The rule's calibration check: |mean predicted risk - observed rate| over the window. */
    static final double CALIBRATION_LIMIT = 0.05;
    static final double CALIBRATION_SHIFT_LOG_ODDS = 0.4;

    /**
     * One request as both versions would answer it (a failed request has no score), with its patient's pseudonym:
     * 64 hex digits, as the keyed HMAC gives them (each request is another patient).
     */
    record Request(String pseudonym, double stableScore, double canaryScore, boolean stableMissing,
            boolean canaryMissing, boolean stableFailed, boolean canaryFailed, boolean outcome) {}

    record Outcome(boolean rolledBack, boolean decided, long canaryRequests) {}

    /** The threshold rule's limits and failed checks before rollback; a limit of 1 or more never fails. */
    record Rule(double flagRate, double missingRate, double errorRate, double calibration, int failedChecks) {
        static final Rule FLAGGER = new Rule(FLAG_RATE_LIMIT, MISSING_RATE_LIMIT, ERROR_RATE_LIMIT, CALIBRATION_LIMIT,
                RULE_FAILED_CHECKS);

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "flag rate > %s, missing > %s, errors > %s or |predicted - observed| > %s"
                    + " over %d min, rollback after %d failed checks", limit(flagRate), limit(missingRate),
                    limit(errorRate), limit(calibration), RULE_WINDOW_MINUTES, failedChecks);
        }

        private static String limit(double value) {
            return value >= 1 ? "never" : String.format(Locale.ROOT, "%.2f", value);
        }
    }

    /** Seeds of the streams the results are measured on; the rule is tuned on {@link #TUNING_SEEDS} instead. */
    static final long EVALUATION_SEEDS = 0;
    static final long TUNING_SEEDS = 1L << 40;
    /** A false-rollback rate near Vigil's realised one, to which the rule is tuned too. */
    static final double MATCHED_RATE = 0.001;

    public static void main(String[] args) {
        BenchArguments arguments = new BenchArguments("CanarySimulation [canaries] [tuning canaries]"
                + " [Vigil's false-rollback rate]", args);
        int canaries = arguments.atLeast(0, "canaries", 1000, 1);
        int tuning = arguments.atLeast(1, "tuning canaries", canaries, 1);
        // Vigil at another configured rate than the default, to compare it with the rule at equal realised rates.
        CanaryPolicy policy = policy(arguments.between(2, "Vigil's false-rollback rate",
                CanaryPolicy.DEFAULT.falseRollbackRate(), 0.0001, 0.5));
        Rule tuned = tune(tuning, CanaryPolicy.DEFAULT.falseRollbackRate());
        // The rule held to what Vigil realises (0.1 % of healthy canaries), for a comparison at a matched rate.
        Rule matched = tune(tuning, MATCHED_RATE);
        System.out.printf(Locale.ROOT, "%d canaries per kind, %d requests/min, ramp %s, bake %d min, horizon %d h;"
                + " Vigil: the default policy at false-rollback rate %.3f (min %d per slot, looks at %s rows)%n",
                canaries, RATE_PER_MINUTE, CanaryRamp.DEFAULT_STEPS, BAKE_MINUTES, HORIZON_MINUTES / 60,
                policy.falseRollbackRate(), policy.minSamplePerSlot(),
                CanaryAnalysis.lookSchedule(policy, 8).stream().map(l -> Long.toString(l.rowsPerSlot()))
                        .collect(Collectors.joining(", ")));
        System.out.println("Flagger-style rule: " + Rule.FLAGGER);
        System.out.printf(Locale.ROOT, "tuned rule (on %d healthy and %d of each degraded kind, seeds from %d): %s%n",
                tuning, tuning, TUNING_SEEDS, tuned);
        System.out.printf(Locale.ROOT, "rule tuned to %.1f %% the same way: %s%n", 100 * MATCHED_RATE, matched);
        System.out.println("| kind | method | rolled back (95 % interval) | median canary requests to rollback"
                + " | undecided |");
        System.out.println("|---|---|---|---|---|");
        for (Kind kind : Kind.values()) {
            List<Outcome> vigil = new ArrayList<>();
            List<Outcome> rule = new ArrayList<>();
            List<Outcome> tunedRule = new ArrayList<>();
            List<Outcome> matchedRule = new ArrayList<>();
            for (int i = 0; i < canaries; i++) {
                long seed = seed(EVALUATION_SEEDS, kind, i);
                vigil.add(vigil(new Stream(kind, seed), policy));
                RuleTrace trace = RuleTrace.of(new Stream(kind, seed));
                rule.add(trace.judge(Rule.FLAGGER));
                tunedRule.add(trace.judge(tuned));
                matchedRule.add(trace.judge(matched));
            }
            String method = policy.equals(CanaryPolicy.DEFAULT) ? "Vigil"
                    : String.format(Locale.ROOT, "Vigil (configured at %.2f %%)", 100 * policy.falseRollbackRate());
            print(kind, method, vigil);
            print(kind, "threshold rule (Flagger's usual limits)", rule);
            print(kind, "threshold rule (tuned to 1 %)", tunedRule);
            print(kind, "threshold rule (tuned to 0.1 %)", matchedRule);
        }
    }

    static long seed(long base, Kind kind, int i) {
        return base + 1_000_003L * (kind.ordinal() + 1) + i;
    }

    /**
     * The threshold rule's limits and K tuned on streams of their own: among the grid's rules that roll back at most
     * {@code falseRollbackRate} of the healthy tuning canaries, the one that detects the most degraded tuning canaries
     * (summed over the kinds), the fewest canary requests to rollback on average breaking ties.
     */
    static Rule tune(int canaries, double falseRollbackRate) {
        double[] flag = {0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 1};
        double[] missing = {0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 1};
        double[] error = {0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 1};
        double[] calibration = {0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 1};
        int[] checks = {1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40};
        List<List<RuleTrace>> traces = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            List<RuleTrace> ofKind = new ArrayList<>();
            for (int i = 0; i < canaries; i++) {
                ofKind.add(RuleTrace.of(new Stream(kind, seed(TUNING_SEEDS, kind, i))));
            }
            traces.add(ofKind);
        }
        Rule best = null;
        long bestDetected = -1;
        long bestDelay = Long.MAX_VALUE;
        for (double f : flag) {
            for (double m : missing) {
                for (double e : error) {
                    for (double c : calibration) {
                        for (int k : checks) {
                            Rule rule = new Rule(f, m, e, c, k);
                            long falseRollbacks = 0;
                            for (RuleTrace t : traces.get(Kind.HEALTHY.ordinal())) {
                                falseRollbacks += t.judge(rule).rolledBack() ? 1 : 0;
                            }
                            if (falseRollbacks > falseRollbackRate * canaries) {
                                continue;
                            }
                            long detected = 0;
                            long delay = 0;
                            for (int kind = 1; kind < traces.size(); kind++) {
                                for (RuleTrace t : traces.get(kind)) {
                                    Outcome o = t.judge(rule);
                                    if (o.rolledBack()) {
                                        detected++;
                                        delay += o.canaryRequests();
                                    }
                                }
                            }
                            if (detected > bestDetected || detected == bestDetected && delay < bestDelay) {
                                best = rule;
                                bestDetected = detected;
                                bestDelay = delay;
                            }
                        }
                    }
                }
            }
        }
        return best;
    }

    private static void print(Kind kind, String method, List<Outcome> outcomes) {
        long rolledBack = outcomes.stream().filter(Outcome::rolledBack).count();
        long undecided = outcomes.stream().filter(o -> !o.decided()).count();
        long[] delays = outcomes.stream().filter(Outcome::rolledBack).mapToLong(Outcome::canaryRequests).sorted().toArray();
        String median = delays.length == 0 ? "-" : Long.toString(delays[delays.length / 2]);
        double[] interval = clopperPearson95(rolledBack, outcomes.size());
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f %% (%d of %d; %.1f-%.1f %%) | %s | %d |%n",
                kind.name().toLowerCase(Locale.ROOT).replace('_', '-'), method, 100.0 * rolledBack / outcomes.size(),
                rolledBack, outcomes.size(), 100 * interval[0], 100 * interval[1], median, undecided);
    }

    /** The exact (Clopper-Pearson) 95 % interval of a proportion. */
    static double[] clopperPearson95(long events, long trials) {
        double lower = events == 0 ? 0
                : BetaDistribution.of(events, trials - events + 1.0).inverseCumulativeProbability(0.025);
        double upper = events == trials ? 1
                : BetaDistribution.of(events + 1.0, (double) (trials - events)).inverseSurvivalProbability(0.025);
        return new double[] {lower, upper};
    }

    /** The default policy with another false-rollback rate (the default policy itself at its own rate). */
    static CanaryPolicy policy(double falseRollbackRate) {
        CanaryPolicy d = CanaryPolicy.DEFAULT;
        return falseRollbackRate == d.falseRollbackRate() ? d
                : new CanaryPolicy(falseRollbackRate, d.minSamplePerSlot(), d.flagRateMargin(), d.missingRateMargin(),
                        d.psiLimit());
    }

    /** Vigil's method at the default policy. */
    static Outcome vigil(Stream stream) {
        return vigil(stream, CanaryPolicy.DEFAULT);
    }

    /** Vigil's method: the controller's analysis and its move of the ramp, at each look when the bake time is over. */
    static Outcome vigil(Stream stream, CanaryPolicy policy) {
        CanaryRamp ramp = ramp(stream.salt, 0, policy);
        Window window = new Window(stream.seed);
        List<StepEvidence> earlier = new ArrayList<>();
        long canaryServed = 0;
        for (int minute = 1; minute <= HORIZON_MINUTES; minute++) {
            Deployment routing = routing(ramp);
            for (Request r : stream.minute()) {
                boolean toCanary = toCanary(routing, r);
                canaryServed += toCanary ? 1 : 0;
                window.add(r, toCanary);
            }
            Instant now = T0.plusSeconds(minute * 60L);
            if (now.isBefore(ramp.judgeAt())) {
                continue;
            }
            StepAnalysis analysis = CanaryAnalysis.judge(ramp, earlier, window.evidence(), ramp.stepStartedAt(), now);
            int step = ramp.step();
            ramp = CanaryAnalysis.advance(ramp, analysis, now);
            if (ramp.status() == CanaryStatus.ROLLED_BACK) {
                return new Outcome(true, true, canaryServed);
            }
            if (ramp.status() == CanaryStatus.PROMOTED) {
                return new Outcome(false, true, canaryServed);
            }
            if (ramp.step() != step) {
                earlier.add(window.evidence());
                window = new Window(stream.seed + 7L * minute);
            }
        }
        return new Outcome(false, false, canaryServed);
    }

    static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private static final ModelName MODEL = new ModelName("simulation");

    /** The simulated canary's ramp (version 2 over stable 1, default steps and policy) at {@code step}, salted. */
    static CanaryRamp ramp(String salt, int step) {
        return ramp(salt, step, CanaryPolicy.DEFAULT);
    }

    /** The simulated canary's ramp under {@code policy}. */
    static CanaryRamp ramp(String salt, int step, CanaryPolicy policy) {
        return new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, BAKE_MINUTES * 60L, policy,
                CanaryStatus.RUNNING, step, T0, T0.plusSeconds(BAKE_MINUTES * 60L), 0, "simulation", T0, "started", "",
                List.of(), salt);
    }

    /** The deployment document while {@code ramp} is live: stable and canary at the ramp's current weight. */
    static Deployment routing(CanaryRamp ramp) {
        int weight = ramp.weightBasisPoints();
        List<TrafficSlot> slots = List.of(new TrafficSlot(Slot.STABLE, ramp.stableVersion(), TrafficSlot.ALL - weight),
                new TrafficSlot(Slot.CANARY, ramp.version(), weight));
        return new Deployment(MODEL, slots, ramp.step() + 1L, "simulation", ramp.stepStartedAt(), null, ramp);
    }

    /** Whether the scoring path sends the request's patient to the canary under {@code routing}. */
    static boolean toCanary(Deployment routing, Request r) {
        return TrafficRouter.route(routing, r.pseudonym()).slot() == Slot.CANARY;
    }

    /** What the controller reads for a step's window: predictions, request counts and labelled predictions per slot. */
    private static final class Window {
        final WindowSample canary;
        final WindowSample stable;
        final LabelledSample canaryLabelled;
        final LabelledSample stableLabelled;
        final long[] canaryRequests = new long[2]; // answered, failed
        final long[] stableRequests = new long[2];

        Window(long seed) {
            canary = new WindowSample(50_000, seed);
            stable = new WindowSample(50_000, seed + 1);
            canaryLabelled = new LabelledSample(50_000, seed + 2);
            stableLabelled = new LabelledSample(50_000, seed + 3);
        }

        StepEvidence evidence() {
            return new StepEvidence(canary, stable,
                    new RequestSample(canaryRequests[0], 0, canaryRequests[1], LatencyHistogram.empty()),
                    new RequestSample(stableRequests[0], 0, stableRequests[1], LatencyHistogram.empty()),
                    canaryLabelled, stableLabelled);
        }

        /** A request answered (or failed) by the canary, or by stable. */
        void add(Request r, boolean toCanary) {
            long[] requests = toCanary ? canaryRequests : stableRequests;
            if (toCanary ? r.canaryFailed() : r.stableFailed()) {
                requests[1]++;
                return;
            }
            requests[0]++;
            double score = toCanary ? r.canaryScore() : r.stableScore();
            (toCanary ? canary : stable).add(score, score >= 0.5, toCanary ? r.canaryMissing() : r.stableMissing());
            (toCanary ? canaryLabelled : stableLabelled).add(score, r.outcome());
        }
    }

    /**
     * What the threshold rule sees of one stream: the same ramp and bake time (it never extends, so the schedule does
     * not depend on its limits), and at each minute's check the canary's rates over the last five minutes and the
     * canary requests served so far. Any rule's outcome on the stream follows from it.
     */
    record RuleTrace(double[] flagRate, double[] missingRate, double[] errorRate, double[] calibration,
            long[] served) {
        static final double NO_DATA = -1;

        static RuleTrace of(Stream stream) {
            List<Integer> steps = CanaryRamp.DEFAULT_STEPS;
            int minutes = BAKE_MINUTES * (steps.size() - 1);
            double[][] stats = new double[4][minutes];
            long[] served = new long[minutes];
            int step = 0;
            int stepStarted = 0;
            long canaryServed = 0;
            // per minute: canary requests, flagged, missing, failed; and the sums of predicted risks and outcomes
            int[][] window = new int[RULE_WINDOW_MINUTES][4];
            double[][] risks = new double[RULE_WINDOW_MINUTES][2];
            for (int minute = 1; minute <= minutes; minute++) {
                Deployment routing = routing(ramp(stream.salt, step));
                int[] now = window[minute % RULE_WINDOW_MINUTES];
                double[] risk = risks[minute % RULE_WINDOW_MINUTES];
                Arrays.fill(now, 0);
                Arrays.fill(risk, 0);
                for (Request r : stream.minute()) {
                    if (toCanary(routing, r)) {
                        canaryServed++;
                        now[0]++;
                        if (r.canaryFailed()) {
                            now[3]++;
                        } else {
                            now[1] += r.canaryScore() >= 0.5 ? 1 : 0;
                            now[2] += r.canaryMissing() ? 1 : 0;
                            risk[0] += r.canaryScore();
                            risk[1] += r.outcome() ? 1 : 0;
                        }
                    }
                }
                int n = 0;
                int flagged = 0;
                int missing = 0;
                int failed = 0;
                for (int[] m : window) {
                    n += m[0];
                    flagged += m[1];
                    missing += m[2];
                    failed += m[3];
                }
                int answered = n - failed;
                double predicted = 0;
                double observed = 0;
                for (double[] m : risks) {
                    predicted += m[0];
                    observed += m[1];
                }
                // An empty window is no data: not a failed check (kinder to the rule than Flagger's default).
                int i = minute - 1;
                stats[0][i] = answered > 0 ? (double) flagged / answered : NO_DATA;
                stats[1][i] = answered > 0 ? (double) missing / answered : NO_DATA;
                stats[2][i] = n > 0 ? (double) failed / n : NO_DATA;
                stats[3][i] = answered > 0 ? Math.abs(predicted - observed) / answered : NO_DATA;
                served[i] = canaryServed;
                if (minute - stepStarted >= BAKE_MINUTES) {
                    step++;
                    stepStarted = minute;
                }
            }
            return new RuleTrace(stats[0], stats[1], stats[2], stats[3], served);
        }

        /** The rule on this stream: rolled back at the K-th failed check, or promoted after the last step. */
        Outcome judge(Rule rule) {
            int failedChecks = 0;
            for (int i = 0; i < served.length; i++) {
                if (flagRate[i] > rule.flagRate() || missingRate[i] > rule.missingRate()
                        || errorRate[i] > rule.errorRate() || calibration[i] > rule.calibration()) {
                    failedChecks++;
                    if (failedChecks >= rule.failedChecks()) {
                        return new Outcome(true, true, served[i]);
                    }
                }
            }
            return new Outcome(false, true, served[served.length - 1]);
        }
    }

    /**
     * A seeded stream of requests, minute by minute, and the salt of the ramp it is the canary of: 64 bits drawn from
     * the seed (as {@code BucketSalt.draw} draws them at random), so a canary's routing is the same for both methods
     * and from run to run.
     */
    static final class Stream {
        final long seed;
        final String salt;
        private final Kind kind;
        private final SplittableRandom random;

        Stream(Kind kind, long seed) {
            this.kind = kind;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.salt = HexFormat.of().toHexDigits(random.split().nextLong());
        }

        List<Request> minute() {
            int n = poisson(RATE_PER_MINUTE);
            List<Request> requests = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                double stable = score();
                // Stable's score is the patient's true risk and the outcome is drawn from it; a healthy canary is the
                // same model, so it gives the same answer.
                double canary = kind == Kind.SCORE_SHIFT ? Math.min(1, stable + 0.10)
                        : kind == Kind.CALIBRATION_SHIFT ? shifted(stable) : stable;
                boolean stableMissing = random.nextDouble() < 0.01;
                boolean canaryMissing = random.nextDouble() < (kind == Kind.MISSING_INPUTS ? 0.10 : 0.01);
                boolean stableFailed = random.nextDouble() < STABLE_ERROR_RATE;
                boolean canaryFailed = random.nextDouble() < (kind == Kind.ERROR_SPIKE ? SPIKE_ERROR_RATE
                        : STABLE_ERROR_RATE);
                boolean outcome = random.nextDouble() < stable;
                requests.add(new Request(pseudonym(), stable, canary, stableMissing, canaryMissing, stableFailed,
                        canaryFailed, outcome));
            }
            return requests;
        }

        private String pseudonym() {
            HexFormat hex = HexFormat.of();
            return hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong())
                    + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
        }

        private static double shifted(double risk) {
            double clipped = Math.min(1 - 1e-9, Math.max(1e-9, risk));
            double margin = Math.log(clipped / (1 - clipped)) + CALIBRATION_SHIFT_LOG_ODDS;
            return 1 / (1 + Math.exp(-margin));
        }

        private double score() {
            return Math.pow((random.nextDouble() + random.nextDouble()) / 2, 1.3);
        }

        private int poisson(double mean) {
            // Knuth's method is fine for a mean of 120 in doubles (e^-120 is about 7.7e-53).
            double limit = Math.exp(-mean);
            double product = random.nextDouble();
            int k = 0;
            while (product > limit) {
                product *= random.nextDouble();
                k++;
            }
            return k;
        }
    }
}

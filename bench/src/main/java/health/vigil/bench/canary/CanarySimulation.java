package health.vigil.bench.canary;

import health.vigil.canary.CanaryAnalysis;
import health.vigil.canary.LabelledSample;
import health.vigil.canary.RequestSample;
import health.vigil.canary.WindowSample;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.StepAnalysis;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Simulated canaries judged two ways on the very same request streams: by Vigil's analysis ({@link CanaryAnalysis},
 * the controller's own method, with the default policy and ramp) and by a threshold rule in the manner of Flagger
 * (a check every minute over the last five minutes against fixed limits; rolled back after K failed checks).
 *
 * <p>Each request carries a traffic bucket and the answer both versions would give, so whichever weight a method's
 * ramp is at, the request goes to the same side for both methods when their weights agree. Stable scores follow a
 * fixed distribution (flag rate about 34 %, 1 % of rows missing an input, 0.2 % of requests failing with a server
 * error). Kinds: {@code healthy} (the canary is stable's twin), {@code score-shift} (canary scores +0.10),
 * {@code missing-inputs} (10 % of canary rows miss an input), {@code error-spike} (5 % of canary requests fail),
 * {@code calibration-shift} (canary risks 0.4 log-odds high; stable's scores are the true risks, and every
 * prediction's outcome is known within the step, drawn from the true risk). Prints, per kind and method, the rollback rate, the median requests served by the canary before the
 * rollback, and how many ended undecided within the horizon.
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

    /** One request as both versions would answer it (a failed request has no score). */
    record Request(int bucket, double stableScore, double canaryScore, boolean stableMissing, boolean canaryMissing,
            boolean stableFailed, boolean canaryFailed, boolean outcome) {}

    record Outcome(boolean rolledBack, boolean decided, long canaryRequests) {}

    public static void main(String[] args) {
        int canaries = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        System.out.printf(Locale.ROOT, "%d canaries per kind, %d requests/min, ramp %s, bake %d min, horizon %d h;"
                + " Vigil: default policy (false-rollback rate %.2f, min %d per slot); rule: flag rate > %.2f, missing"
                + " > %.2f, errors > %.2f or |predicted - observed| > %.2f over %d min, rollback after %d failed"
                + " checks%n", canaries, RATE_PER_MINUTE, CanaryRamp.DEFAULT_STEPS, BAKE_MINUTES, HORIZON_MINUTES / 60,
                CanaryPolicy.DEFAULT.falseRollbackRate(), CanaryPolicy.DEFAULT.minSamplePerSlot(), FLAG_RATE_LIMIT,
                MISSING_RATE_LIMIT, ERROR_RATE_LIMIT, CALIBRATION_LIMIT, RULE_WINDOW_MINUTES, RULE_FAILED_CHECKS);
        System.out.println("| kind | method | rolled back | median canary requests to rollback | undecided |");
        System.out.println("|---|---|---|---|---|");
        for (Kind kind : Kind.values()) {
            List<Outcome> vigil = new ArrayList<>();
            List<Outcome> rule = new ArrayList<>();
            for (int i = 0; i < canaries; i++) {
                long seed = 1_000_003L * (kind.ordinal() + 1) + i;
                vigil.add(vigil(new Stream(kind, seed)));
                rule.add(thresholdRule(new Stream(kind, seed)));
            }
            print(kind, "Vigil", vigil);
            print(kind, "threshold rule", rule);
        }
    }

    private static void print(Kind kind, String method, List<Outcome> outcomes) {
        long rolledBack = outcomes.stream().filter(Outcome::rolledBack).count();
        long undecided = outcomes.stream().filter(o -> !o.decided()).count();
        long[] delays = outcomes.stream().filter(Outcome::rolledBack).mapToLong(Outcome::canaryRequests).sorted().toArray();
        String median = delays.length == 0 ? "-" : Long.toString(delays[delays.length / 2]);
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f %% (%d of %d) | %s | %d |%n", kind.name().toLowerCase(Locale.ROOT)
                .replace('_', '-'), method, 100.0 * rolledBack / outcomes.size(), rolledBack, outcomes.size(), median,
                undecided);
    }

    /** Vigil's method: judge each step when its bake time is over, extend while either side has too few. */
    static Outcome vigil(Stream stream) {
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, BAKE_MINUTES * 60L, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, t0, t0.plusSeconds(BAKE_MINUTES * 60L), 0, "simulation", t0, "started", "", List.of());
        WindowSample canary = new WindowSample(50_000, stream.seed);
        WindowSample stable = new WindowSample(50_000, stream.seed + 1);
        long[] canaryRequests = new long[2]; // answered, failed
        long[] stableRequests = new long[2];
        LabelledSample canaryLabelled = new LabelledSample(50_000, stream.seed + 3);
        LabelledSample stableLabelled = new LabelledSample(50_000, stream.seed + 4);
        int judgeAt = BAKE_MINUTES;
        long canaryServed = 0;
        for (int minute = 1; minute <= HORIZON_MINUTES; minute++) {
            int weight = ramp.weightBasisPoints();
            for (Request r : stream.minute()) {
                if (r.bucket() < weight) {
                    canaryServed++;
                    if (r.canaryFailed()) {
                        canaryRequests[1]++;
                    } else {
                        canaryRequests[0]++;
                        canary.add(r.canaryScore(), r.canaryScore() >= 0.5, r.canaryMissing());
                        canaryLabelled.add(r.canaryScore(), r.outcome());
                    }
                } else if (r.stableFailed()) {
                    stableRequests[1]++;
                } else {
                    stableRequests[0]++;
                    stable.add(r.stableScore(), r.stableScore() >= 0.5, r.stableMissing());
                    stableLabelled.add(r.stableScore(), r.outcome());
                }
            }
            if (minute < judgeAt) {
                continue;
            }
            StepAnalysis analysis = CanaryAnalysis.judge(ramp, canary, stable,
                    new RequestSample(canaryRequests[0], 0, canaryRequests[1], LatencyHistogram.empty()),
                    new RequestSample(stableRequests[0], 0, stableRequests[1], LatencyHistogram.empty()),
                    canaryLabelled, stableLabelled, t0, t0.plusSeconds(minute * 60L));
            switch (analysis.decision()) {
                case StepAnalysis.FAIL -> {
                    return new Outcome(true, true, canaryServed);
                }
                case StepAnalysis.EXTEND -> judgeAt = minute + BAKE_MINUTES;
                default -> {
                    if (ramp.lastJudgedStep()) {
                        return new Outcome(false, true, canaryServed);
                    }
                    ramp = ramp.with(CanaryStatus.RUNNING, ramp.step() + 1, t0, t0, 0, "stepped", "", null);
                    canary = new WindowSample(50_000, stream.seed + 2L * minute);
                    stable = new WindowSample(50_000, stream.seed + 2L * minute + 1);
                    canaryRequests = new long[2];
                    stableRequests = new long[2];
                    canaryLabelled = new LabelledSample(50_000, stream.seed + 2L * minute + 3);
                    stableLabelled = new LabelledSample(50_000, stream.seed + 2L * minute + 4);
                    judgeAt = minute + BAKE_MINUTES;
                }
            }
        }
        return new Outcome(false, false, canaryServed);
    }

    /** The threshold rule: the same ramp and bake time, a check a minute, rollback after K failed checks. */
    static Outcome thresholdRule(Stream stream) {
        List<Integer> steps = CanaryRamp.DEFAULT_STEPS;
        int step = 0;
        int stepStarted = 0;
        int failedChecks = 0;
        long canaryServed = 0;
        // per minute: canary requests, flagged, missing, failed; and the sums of predicted risks and outcomes
        int[][] window = new int[RULE_WINDOW_MINUTES][4];
        double[][] risks = new double[RULE_WINDOW_MINUTES][2];
        for (int minute = 1; minute <= HORIZON_MINUTES; minute++) {
            int weight = steps.get(step);
            int[] now = window[minute % RULE_WINDOW_MINUTES];
            double[] risk = risks[minute % RULE_WINDOW_MINUTES];
            Arrays.fill(now, 0);
            Arrays.fill(risk, 0);
            for (Request r : stream.minute()) {
                if (r.bucket() < weight) {
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
            boolean miscalibrated = answered > 0 && Math.abs(predicted - observed) / answered > CALIBRATION_LIMIT;
            // An empty window is no data: not a failed check (kinder to the rule than Flagger's default).
            if (n > 0 && ((double) failed / n > ERROR_RATE_LIMIT || miscalibrated || answered > 0
                    && ((double) flagged / answered > FLAG_RATE_LIMIT || (double) missing / answered > MISSING_RATE_LIMIT))) {
                failedChecks++;
                if (failedChecks >= RULE_FAILED_CHECKS) {
                    return new Outcome(true, true, canaryServed);
                }
            }
            if (minute - stepStarted >= BAKE_MINUTES) {
                if (step == steps.size() - 2) {
                    return new Outcome(false, true, canaryServed);
                }
                step++;
                stepStarted = minute;
            }
        }
        return new Outcome(false, false, canaryServed);
    }

    /** A seeded stream of requests, minute by minute. */
    static final class Stream {
        final long seed;
        private final Kind kind;
        private final SplittableRandom random;

        Stream(Kind kind, long seed) {
            this.kind = kind;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
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
                requests.add(new Request(random.nextInt(10_000), stable, canary, stableMissing, canaryMissing,
                        stableFailed, canaryFailed, outcome));
            }
            return requests;
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

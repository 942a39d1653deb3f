package health.vigil.bench.canary;

import health.vigil.canary.CanaryAnalysis;
import health.vigil.canary.WindowSample;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
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
 * fixed distribution (flag rate about 34 %, 1 % of rows missing an input). Kinds: {@code healthy} (the canary is
 * stable's twin), {@code score-shift} (canary scores +0.10), {@code missing-inputs} (10 % of canary rows miss an
 * input). Prints, per kind and method, the rollback rate, the median requests served by the canary before the
 * rollback, and how many ended undecided within the horizon.
 */
public final class CanarySimulation {
    static final int RATE_PER_MINUTE = 120;
    static final int BAKE_MINUTES = 10;
    static final int HORIZON_MINUTES = 12 * 60;
    /** The threshold rule: limits, window and failed checks before rollback (Flagger's {@code threshold}). */
    static final double FLAG_RATE_LIMIT = 0.45;
    static final double MISSING_RATE_LIMIT = 0.05;
    static final int RULE_WINDOW_MINUTES = 5;
    static final int RULE_FAILED_CHECKS = 5;

    private CanarySimulation() {}

    enum Kind { HEALTHY, SCORE_SHIFT, MISSING_INPUTS }

    /** One request as both versions would answer it. */
    record Request(int bucket, double stableScore, double canaryScore, boolean stableMissing, boolean canaryMissing) {}

    record Outcome(boolean rolledBack, boolean decided, long canaryRequests) {}

    public static void main(String[] args) {
        int canaries = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        System.out.printf(Locale.ROOT, "%d canaries per kind, %d requests/min, ramp %s, bake %d min, horizon %d h;"
                + " Vigil: default policy (false-rollback rate %.2f, min %d per slot); rule: flag rate > %.2f or missing"
                + " > %.2f over %d min, rollback after %d failed checks%n", canaries, RATE_PER_MINUTE,
                CanaryRamp.DEFAULT_STEPS, BAKE_MINUTES, HORIZON_MINUTES / 60, CanaryPolicy.DEFAULT.falseRollbackRate(),
                CanaryPolicy.DEFAULT.minSamplePerSlot(), FLAG_RATE_LIMIT, MISSING_RATE_LIMIT, RULE_WINDOW_MINUTES,
                RULE_FAILED_CHECKS);
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
        int judgeAt = BAKE_MINUTES;
        long canaryServed = 0;
        for (int minute = 1; minute <= HORIZON_MINUTES; minute++) {
            int weight = ramp.weightBasisPoints();
            for (Request r : stream.minute()) {
                if (r.bucket() < weight) {
                    canary.add(r.canaryScore(), r.canaryScore() >= 0.5, r.canaryMissing());
                    canaryServed++;
                } else {
                    stable.add(r.stableScore(), r.stableScore() >= 0.5, r.stableMissing());
                }
            }
            if (minute < judgeAt) {
                continue;
            }
            StepAnalysis analysis = CanaryAnalysis.judge(ramp, canary, stable, t0, t0.plusSeconds(minute * 60L));
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
        int[][] window = new int[RULE_WINDOW_MINUTES][3]; // per minute: canary requests, flagged, missing
        for (int minute = 1; minute <= HORIZON_MINUTES; minute++) {
            int weight = steps.get(step);
            int[] now = window[minute % RULE_WINDOW_MINUTES];
            Arrays.fill(now, 0);
            for (Request r : stream.minute()) {
                if (r.bucket() < weight) {
                    canaryServed++;
                    now[0]++;
                    now[1] += r.canaryScore() >= 0.5 ? 1 : 0;
                    now[2] += r.canaryMissing() ? 1 : 0;
                }
            }
            int n = 0;
            int flagged = 0;
            int missing = 0;
            for (int[] m : window) {
                n += m[0];
                flagged += m[1];
                missing += m[2];
            }
            // An empty window is no data: not a failed check (kinder to the rule than Flagger's default).
            if (n > 0 && ((double) flagged / n > FLAG_RATE_LIMIT || (double) missing / n > MISSING_RATE_LIMIT)) {
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
                double canary = kind == Kind.HEALTHY || kind == Kind.MISSING_INPUTS ? score() : Math.min(1, score() + 0.10);
                boolean stableMissing = random.nextDouble() < 0.01;
                boolean canaryMissing = random.nextDouble() < (kind == Kind.MISSING_INPUTS ? 0.10 : 0.01);
                requests.add(new Request(random.nextInt(10_000), stable, canary, stableMissing, canaryMissing));
            }
            return requests;
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

package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonView;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A canary ramp as the deployment document keeps it: which version against which stable, the steps (basis points
 * of live traffic, rising, the last 10,000 = promotion), where it stands, when the current step is judged, and
 * every step's analysis. {@code transition} and {@code reason} say what the last change of the document was, so
 * that its audit record and event can be rebuilt from the document alone. {@code bucketSalt} salts the patients'
 * buckets for this ramp ({@code TrafficRouter.bucket}), drawn when it started; absent in ramps started before salts,
 * which keep the unsalted bucket. It is routing's alone: stored with the document, left out of every answer
 * ({@link Json.Stored}), since with a patient's pseudonym it tells which arm the patient is in. {@code minCellSize} is
 * the model's monitoring policy's when the ramp started: its reasons give a count of fewer predictions with an outcome
 * than that as {@code fewer than} it ({@link CanaryOutcomeCounts}), and a reason stored before that rule is worded so
 * as it is read; absent in ramps started before it was kept, which read the policy's default.
 */
public record CanaryRamp(
        int version,
        int stableVersion,
        List<Integer> steps,
        long bakeSeconds,
        CanaryPolicy policy,
        CanaryStatus status,
        int step,
        Instant stepStartedAt,
        Instant judgeAt,
        int extensions,
        String startedBy,
        Instant startedAt,
        String transition,
        String reason,
        List<StepAnalysis> analyses,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonView(Json.Stored.class) String bucketSalt,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer minCellSize) {

    /** The default ramp: 1 % → 5 % → 25 % → 50 % → 100 %. */
    public static final List<Integer> DEFAULT_STEPS = List.of(100, 500, 2_500, 5_000, TrafficSlot.ALL);
    /** Analyses kept in the document; the oldest extensions are dropped first beyond this. */
    static final int MAX_ANALYSES = 96;

    public CanaryRamp {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(stepStartedAt, "stepStartedAt");
        Objects.requireNonNull(judgeAt, "judgeAt");
        steps = List.copyOf(steps);
        int min = minCellSize == null ? CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE : minCellSize;
        reason = CanaryOutcomeCounts.withheld(reason, min);
        analyses = analyses == null ? List.of() : withheld(analyses, min);
        BucketSalt.require(bucketSalt);
        requireSteps(steps);
        if (version == stableVersion) {
            throw new ValidationException("the canary is version " + version + ", which is already the stable version");
        }
        if (bakeSeconds < 1) {
            throw new ValidationException("the bake time is " + bakeSeconds + " s; it must be at least 1 s");
        }
        if (step < 0 || step >= steps.size()) {
            throw new ValidationException("step " + step + " is outside the ramp of " + steps.size() + " steps");
        }
    }

    /** A ramp without a bucket salt, as ramps were before salts. */
    public CanaryRamp(int version, int stableVersion, List<Integer> steps, long bakeSeconds, CanaryPolicy policy,
            CanaryStatus status, int step, Instant stepStartedAt, Instant judgeAt, int extensions, String startedBy,
            Instant startedAt, String transition, String reason, List<StepAnalysis> analyses) {
        this(version, stableVersion, steps, bakeSeconds, policy, status, step, stepStartedAt, judgeAt, extensions,
                startedBy, startedAt, transition, reason, analyses, null, null);
    }

    /** A ramp that keeps no {@code minCellSize}, as ramps were before they kept it. */
    public CanaryRamp(int version, int stableVersion, List<Integer> steps, long bakeSeconds, CanaryPolicy policy,
            CanaryStatus status, int step, Instant stepStartedAt, Instant judgeAt, int extensions, String startedBy,
            Instant startedAt, String transition, String reason, List<StepAnalysis> analyses, String bucketSalt) {
        this(version, stableVersion, steps, bakeSeconds, policy, status, step, stepStartedAt, judgeAt, extensions,
                startedBy, startedAt, transition, reason, analyses, bucketSalt, null);
    }

    /**
     * {@code analyses} with their reasons worded by {@link CanaryOutcomeCounts#withheld}: an analysis whose reason
     * needs no rewording is kept as it is, not copied, since every read of the deployment builds its ramp.
     */
    private static List<StepAnalysis> withheld(List<StepAnalysis> analyses, int min) {
        List<StepAnalysis> worded = new ArrayList<>(analyses.size());
        for (StepAnalysis a : analyses) {
            String reason = CanaryOutcomeCounts.withheld(a.reason(), min);
            worded.add(reason == a.reason() ? a : new StepAnalysis(a.step(), a.weightBasisPoints(), a.windowFrom(),
                    a.windowTo(), a.canaryCount(), a.stableCount(), a.decision(), reason, a.metrics()));
        }
        return List.copyOf(worded);
    }

    /** Steps must rise strictly within 1-10000 basis points and end at 10000 (promotion). */
    public static void requireSteps(List<Integer> steps) {
        if (steps.size() < 2 || steps.size() > 20) {
            throw new ValidationException("a ramp has " + steps.size() + " steps; give 2-20 steps in basis points"
                    + " ending with 10000, for example [100, 500, 2500, 5000, 10000]");
        }
        int previous = 0;
        for (Integer s : steps) {
            if (s == null || s <= previous || s > TrafficSlot.ALL) {
                throw new ValidationException("ramp steps must rise strictly within 1-10000 basis points; got " + steps);
            }
            previous = s;
        }
        if (previous != TrafficSlot.ALL) {
            throw new ValidationException("the last ramp step must be 10000 basis points (all traffic: promotion); got "
                    + steps);
        }
    }

    /** The fewest predictions with an outcome a count in the ramp's reasons may show: its own, or the default. */
    @JsonIgnore
    public int cellSize() {
        return minCellSize == null ? CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE : minCellSize;
    }

    @JsonIgnore
    public Duration bakeTime() {
        return Duration.ofSeconds(bakeSeconds);
    }

    /** The canary's share of live traffic at the current step. */
    @JsonIgnore
    public int weightBasisPoints() {
        return steps.get(step);
    }

    /** The steps at which canary and stable are compared: all but the final 100 %. */
    @JsonIgnore
    public int judgedSteps() {
        return steps.size() - 1;
    }

    @JsonIgnore
    public boolean lastJudgedStep() {
        return step == steps.size() - 2;
    }

    public CanaryRamp with(CanaryStatus newStatus, int newStep, Instant newStepStartedAt, Instant newJudgeAt,
            int newExtensions, String newTransition, String newReason, StepAnalysis analysis) {
        List<StepAnalysis> kept = new ArrayList<>(analyses);
        if (analysis != null) {
            kept.add(analysis);
            // Dropped first: extensions that tested nothing, then other analyses that tested nothing but the passes
            // (a passed step's window is read again by later looks). What was tested is kept: later looks read what
            // each metric has spent from it, and a ramp makes few such looks (their samples grow geometrically).
            dropWhileOver(kept, a -> StepAnalysis.EXTEND.equals(a.decision()) && a.metrics().isEmpty());
            dropWhileOver(kept, a -> !StepAnalysis.PASS.equals(a.decision()) && a.metrics().isEmpty());
            while (kept.size() > MAX_ANALYSES) {
                kept.remove(0);
            }
        }
        return new CanaryRamp(version, stableVersion, steps, bakeSeconds, policy, newStatus, newStep, newStepStartedAt,
                newJudgeAt, newExtensions, startedBy, startedAt, newTransition, newReason, kept, bucketSalt,
                minCellSize);
    }

    private static void dropWhileOver(List<StepAnalysis> kept, Predicate<StepAnalysis> droppable) {
        for (int i = 0; kept.size() > MAX_ANALYSES && i < kept.size(); ) {
            if (droppable.test(kept.get(i))) {
                kept.remove(i);
            } else {
                i++;
            }
        }
    }
}

package health.vigil.canary;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.BucketSalt;
import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryOutcomeCounts;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryRecord;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.Lifecycle;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.RecentRequest;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import health.vigil.model.Stage;
import health.vigil.model.StepAnalysis;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.registry.Announcements;
import health.vigil.registry.DeploymentStages;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.registry.RevisionConflict;
import health.vigil.registry.VersionLifecycle;
import health.vigil.routing.TrafficRouter;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Canary ramps: an operator starts one for an approved version, and the controller ({@link #tick()}, every minute)
 * judges each step once its bake time is over and moves the ramp on, promotes the canary, or rolls it back.
 *
 * <p>The ramp's whole state lives in the model's deployment document, and every change is one conditional write of
 * that document (on the etag that was read) to its next revision. Two controllers, or a controller and an operator,
 * that decide from the same revision cannot both write: the loser re-reads and decides again from what the winner
 * wrote, so no step is taken twice or lost, and a restarted controller simply carries on from the document. Each
 * revision is audited once ({@link AuditLog#recordOnce}, keyed on the revision, with what the document says) and
 * published with the record's id; stages move through {@link VersionLifecycle} with the revision as their cause.
 * Every tick first completes the record, event and stages of each model's current revision, so a writer that died
 * after its write loses nothing.
 */
public final class CanaryService {
    public static final String ACTION = "deployment.canary";
    /** The identity the controller records its decisions under. */
    public static final Principal CONTROLLER = new Principal("canary-controller", Set.of(Role.DEPLOYMENTS_OPERATE));
    static final int MAX_ATTEMPTS = 5;
    /** Scores kept per slot and window for the distribution tests (counts are always exact). */
    static final int SCORE_SAMPLE = 50_000;

    /** What an operator asks for when starting a canary. */
    public record StartCommand(int version, List<Integer> steps, Duration bakeTime, CanaryPolicy policy) {
        public StartCommand {
            steps = steps == null ? CanaryRamp.DEFAULT_STEPS : List.copyOf(steps);
            bakeTime = bakeTime == null ? Duration.ofMinutes(10) : bakeTime;
            policy = policy == null ? CanaryPolicy.DEFAULT : policy;
            if (version < 1) {
                throw new ValidationException("name the version to start as a canary: \"version\" is " + version
                        + "; versions start at 1");
            }
            if (bakeTime.isNegative() || bakeTime.getSeconds() < 1 || bakeTime.compareTo(Duration.ofDays(7)) > 0) {
                throw new ValidationException("the bake time is " + bakeTime + "; give 1 s to 7 days, for example PT10M");
            }
            if (bakeTime.getNano() != 0) {
                // The ramp keeps whole seconds: PT10M0.5S would bake every step after the first for 10 minutes.
                throw new ValidationException("the bake time is " + bakeTime + "; give it in whole seconds, for"
                        + " example PT10M or PT90S");
            }
            CanaryRamp.requireSteps(steps);
        }

        /**
         * The digest of what the start asks, defaults filled in: a start sent again under its Idempotency-Key is the
         * same request only when this is the same.
         */
        public String sha256() {
            return Sha256.hex(version + "|" + steps + "|" + bakeTime.getSeconds() + "|" + Json.write(policy));
        }
    }

    /**
     * What a canary start answered, and whether it was {@code replayed}: the same caller's start under the same
     * {@code Idempotency-Key} had already started the canary, so this one changed nothing.
     */
    public record Started(Deployment deployment, boolean replayed) {
        public Started {
            Objects.requireNonNull(deployment, "deployment");
        }
    }

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final DeploymentStages stages;
    private final AuditLog audit;
    private final Announcements announcements;
    private final RefusedAttempts refusals;
    private final PredictionLog predictions;
    private final Clock clock;
    private final Consumer<VersionRecord> warmer;
    private final Telemetry telemetry;
    private final RequestWindow requestStats;
    private final OutcomeLookup outcomes;
    private final ToIntFunction<ModelName> minCellSizes;
    private final Function<ModelName, CanaryRequirement> requirements;

    /**
     * Every scoring instance's per-minute request statistics of a model in the minutes a window overlaps, of every
     * step; the platform passes the scoring service's recorder, which writes its own counts first.
     */
    @FunctionalInterface
    public interface RequestWindow {
        List<SlotMinuteStats> window(ModelName model, Instant from, Instant to);
    }

    /**
     * The realised outcomes of logged predictions, by prediction id (those without one absent); the platform passes
     * the monitoring join of the outcome store.
     */
    @FunctionalInterface
    public interface OutcomeLookup {
        Map<String, Boolean> outcomesOf(ModelName model, List<PredictionRecord> records);

        OutcomeLookup NONE = (model, records) -> Map.of();
    }

    /** Predictions joined to outcomes per call of the lookup. */
    static final int OUTCOME_BATCH = 1_000;

    /**
     * @param warmer loads and warms a version before traffic is sent to it (throwing if it cannot load); the
     *        platform passes the scoring service's
     */
    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer) {
        this(store, lifecycle, audit, events, predictions, clock, warmer, Telemetry.NONE);
    }

    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer, Telemetry telemetry) {
        this(store, lifecycle, audit, events, predictions, clock, warmer, telemetry, null, OutcomeLookup.NONE);
    }

    /**
     * @param requestStats every scoring instance's request counts and latencies; null judges on predictions alone
     */
    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer, Telemetry telemetry,
            RequestWindow requestStats) {
        this(store, lifecycle, audit, events, predictions, clock, warmer, telemetry, requestStats, OutcomeLookup.NONE);
    }

    /** @param outcomes realised outcomes of logged predictions, for calibration and AUROC */
    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer, Telemetry telemetry,
            RequestWindow requestStats, OutcomeLookup outcomes) {
        this(store, lifecycle, audit, events, predictions, clock, warmer, telemetry, requestStats, outcomes,
                model -> CanaryOutcomeCounts.DEFAULT_MIN_CELL_SIZE);
    }

    /**
     * @param minCellSizes a model's {@code minCellSize} (its monitoring policy's), which a ramp keeps from its start:
     *        fewest predictions with an outcome a count in its reasons may show
     */
    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer, Telemetry telemetry,
            RequestWindow requestStats, OutcomeLookup outcomes, ToIntFunction<ModelName> minCellSizes) {
        this(store, lifecycle, audit, events, predictions, clock, warmer, telemetry, requestStats, outcomes,
                minCellSizes, model -> CanaryRequirement.NONE);
    }

    /**
     * @param requirements what the model's policy in force asks of a version that has never been stable (its gate
     *        policy's {@code requireCanary} and {@code maxFirstCanaryStep}); asked only of an operator's start of such
     *        a version's canary, and promotion of a canary the analysis has not yet judged at its last judged step
     */
    public CanaryService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer, Telemetry telemetry,
            RequestWindow requestStats, OutcomeLookup outcomes, ToIntFunction<ModelName> minCellSizes,
            Function<ModelName, CanaryRequirement> requirements) {
        this.requirements = Objects.requireNonNull(requirements, "requirements");
        this.minCellSizes = Objects.requireNonNull(minCellSizes, "minCellSizes");
        this.requestStats = requestStats;
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.stages = new DeploymentStages(store, Objects.requireNonNull(lifecycle, "lifecycle"));
        this.audit = Objects.requireNonNull(audit, "audit");
        this.announcements = new Announcements(store, events);
        this.refusals = new RefusedAttempts(store, audit);
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.warmer = Objects.requireNonNull(warmer, "warmer");
    }

    /**
     * Starts a canary of {@code command.version()} against the model's stable version; a start the lifecycle refuses is
     * audited as a refused attempt.
     */
    public Deployment start(ModelName model, StartCommand command, Principal actor) {
        return start(model, command, actor, OptionalLong.empty());
    }

    /**
     * {@link #start(ModelName, StartCommand, Principal)} on the condition that the deployment is still at revision
     * {@code expected} (when given), the one its caller read: a deploy, rollback or other change saved since may have
     * put another stable version in place than the one the canary was meant to be judged against, so the start changes
     * nothing and is refused (409 {@code CONFLICT}, naming the revision and who wrote it), audited as a refused attempt
     * with both revisions. Checked before anything else, so a start of the running canary is refused too.
     */
    public Deployment start(ModelName model, StartCommand command, Principal actor, OptionalLong expected) {
        return start(model, command, actor, Optional.empty(), expected).deployment();
    }

    /**
     * {@link #start(ModelName, StartCommand, Principal, OptionalLong)} that is safe to send again under {@code key}:
     * while the deployment remembers the request ({@link Deployment#REQUEST_WINDOW}), the same caller's start under the
     * same key with the same body answers the deployment as it stands and changes nothing, whatever revision {@code
     * expected} names (its own write moved the revision); the same key with another body is refused (409).
     */
    public Started start(ModelName model, StartCommand command, Principal actor, Optional<IdempotencyKey> key,
            OptionalLong expected) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(expected, "expected");
        Optional<Deployment> current = key.isEmpty() ? Optional.empty() : registry.deployment(model);
        if (current.isPresent() && sentBefore(model, current.get(), command, actor, key)) {
            // Its write may have stopped before its record and event: they are completed before it is answered.
            settle(current.get());
            return new Started(current.get(), true);
        }
        AtomicBoolean repeated = new AtomicBoolean();
        Deployment started = refusals.attempt(actor, ACTION, model, command.version(),
                Map.of(RefusedAttempts.REQUEST, "start"),
                () -> startRamp(model, command, actor, key, expected, repeated));
        return new Started(started, repeated.get());
    }

    /**
     * Whether {@code deployment} remembers this caller's start under {@code key}; the same key sent with another
     * request is refused.
     */
    private boolean sentBefore(ModelName model, Deployment deployment, StartCommand command, Principal actor,
            Optional<IdempotencyKey> key) {
        Optional<RecentRequest> sent = key.flatMap(k -> deployment.request(actor.id(), k, clock.instant()));
        if (sent.isEmpty()) {
            return false;
        }
        RecentRequest first = sent.get();
        if (!first.asksCanaryStart(command.version(), command.sha256())) {
            boolean sameVersion = RecentRequest.CANARY_START.equals(first.request())
                    && Integer.valueOf(command.version()).equals(first.version());
            throw new ConflictException(ErrorCode.CONFLICT, "this Idempotency-Key was first sent with another request ("
                    + first.asked() + (sameVersion ? " with other steps, bake time or policy" : "") + "), which "
                    + first.did(model) + "; send a new key for a new request");
        }
        return true;
    }

    private Deployment startRamp(ModelName model, StartCommand command, Principal actor, Optional<IdempotencyKey> key,
            OptionalLong expected, AtomicBoolean repeated) {
        // Judged on the deployment as saved: a version a promotion or deploy has just replaced is retired, even while
        // its writer has yet to move the stages (the moves are that revision's, recorded under its cause).
        stages.settle(model);
        VersionRecord target = registry.getVersion(model, command.version());
        // The keyed request is remembered by the revision that starts the ramp, so it is recognised when sent again.
        UnaryOperator<Deployment> remember = next -> key.map(k -> next.remembering(RecentRequest.canaryStart(k,
                actor.id(), command.version(), command.sha256(), next.revision(), next.updatedAt()))).orElse(next);
        return changeOf(model, actor, current -> {
            // The same start sent at the same moment, whose write landed after this one read the deployment.
            if (sentBefore(model, current, command, actor, key)) {
                repeated.set(true);
                return Optional.empty();
            }
            // On the revision the write is conditional on: a change saved after it fails the write, and the next
            // attempt reads that change and is refused here.
            RevisionConflict.require(model, Optional.of(current), expected);
            CanaryRamp running = current.canary();
            if (running != null && running.status().live()) {
                if (running.version() == command.version()) {
                    return Optional.empty();
                }
                throw new ConflictException(ErrorCode.INVALID_STATE, "a canary of version " + running.version()
                        + " of `" + model + "` is " + running.status().wireName() + "; promote or abort it first");
            }
            if (current.experiment() != null && current.experiment().running()) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "an experiment of version "
                        + current.experiment().treatmentVersion() + " of `" + model + "` is running on the canary slot;"
                        + " stop it with POST /models/" + model + "/experiments/stop first");
            }
            int stable = current.stable().version();
            if (stable == command.version()) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "version " + stable + " of `" + model
                        + "` is already the stable version; a canary must be another approved version");
            }
            // As for an experiment's treatment: a version that answers patients is not also mirrored against itself,
            // which would put identical pairs in the shadow's report (and after a promotion, only those).
            if (current.mirrors(command.version())) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "version " + command.version() + " of `" + model
                        + "` is the shadow version; stop the shadow (POST /models/" + model + "/shadow/stop)"
                        + " before it answers patients as a canary");
            }
            VersionRecord version = registry.getVersion(model, command.version());
            if (version.stage() != Stage.CANARY) {
                Lifecycle.require(version.id(), version.stage(), Stage.CANARY);
            }
            requireFirstStepWithinPolicy(version, command.steps());
            warmer.accept(target);
            Instant now = clock.instant();
            CanaryRamp ramp = new CanaryRamp(command.version(), stable, command.steps(), command.bakeTime().getSeconds(),
                    command.policy(), CanaryStatus.RUNNING, 0, now, now.plus(command.bakeTime()), 0, actor.id(), now,
                    "started", "started by " + actor.id() + " at " + CanaryAnalysis.percent(command.steps().get(0)),
                    List.of(), BucketSalt.draw(), minCellSizes.applyAsInt(model));
            return Optional.of(ramp);
        }, remember).deployment();
    }

    /**
     * Refuses a ramp whose first step is above the cap of the model's policy, when the policy requires a canary and
     * the version has never been stable: a ramp that starts on almost all traffic meets the rule in name only, since
     * most patients would be on the version before the analysis judged it. A version that was stable before is not new
     * to patients (a direct deploy of it is allowed too). Checked before anything is loaded or written. Every ramp has
     * at least two steps, the last on all traffic, so a single step of 100 % never gets this far.
     */
    private void requireFirstStepWithinPolicy(VersionRecord version, List<Integer> steps) {
        if (version.wasStable()) {
            return;
        }
        CanaryRequirement requirement = requirements.apply(version.modelName());
        int first = steps.get(0);
        if (!requirement.required() || first <= requirement.maxFirstStep()) {
            return;
        }
        String model = version.modelName().value();
        int cap = requirement.maxFirstStep();
        throw new ConflictException(ErrorCode.CANARY_REQUIRED, "the ramp's first step is "
                + CanaryAnalysis.percent(first) + " (" + first + " basis points), and the gate policy of `" + model
                + "` requires a version that has never been stable to reach patients through a canary the analysis"
                + " judges (requireCanary), whose first step is at most " + CanaryAnalysis.percent(cap)
                + " (maxFirstCanaryStep " + cap + "), so the canary was not started and the deployment is unchanged."
                + " Start it again with POST /models/" + model + "/canary and steps that begin at " + cap
                + " basis points or fewer, for example " + CanaryRamp.DEFAULT_STEPS + " (the default ramp; vigil"
                + " canary start " + model + " " + version.version() + ")");
    }

    /**
     * The model's deployment with its last canary ramp, or with the running experiment whose treatment holds the
     * canary slot (what routes patients there, with or without a ramp from before it). Without either (none started
     * since the last deploy or rollback, which replace the document), a 404 that names where the last kept canary can
     * still be read.
     */
    public Deployment status(ModelName model) {
        Deployment deployment = deployment(model);
        if (deployment.canary() == null && deployment.runningExperiment().isEmpty()) {
            throw noRamp(model, deployment);
        }
        return deployment;
    }

    /** The model's last canary ramp in its deployment, with its analyses; without one, the 404 of {@link #status}. */
    public CanaryRamp lastRamp(ModelName model) {
        return withLastRamp(model).canary();
    }

    /**
     * The model's deployment holding a canary ramp (with its analyses), which may have ended before a running experiment
     * took the canary slot; without one, the 404 of {@link #status}.
     */
    public Deployment withLastRamp(ModelName model) {
        Deployment deployment = deployment(model);
        if (deployment.canary() == null) {
            throw noRamp(model, deployment);
        }
        return deployment;
    }

    private NotFoundException noRamp(ModelName model, Deployment deployment) {
        String earlier = store.listCanaries(model).stream().findFirst()
                .map(last -> "; the last canary, of version " + last.version() + " (" + howItEnded(last.ramp())
                        + "), and its analysis are kept: GET " + versionPath(model, last.version()))
                .orElse("");
        // While an experiment holds the canary slot a start would be refused: name the experiment instead.
        String next = deployment.runningExperiment().map(e -> "; an experiment of version " + e.treatmentVersion()
                + " holds the canary slot: GET /models/" + model + "/experiments")
                .orElse("; start one with POST /models/" + model + "/canary");
        return new NotFoundException(ErrorCode.NOT_FOUND, "no canary of `" + model + "` has been started since its"
                + " last deployment" + earlier + next);
    }

    /** A version's last canary ramp, and whether the model's deployment still holds it. */
    public record KeptCanary(CanaryRecord record, boolean inDeployment) {}

    /**
     * The last canary ramp of {@code version}, with its state and every analysis, whatever changed the deployment
     * since: read from the deployment while it holds that ramp, else as the registry kept it.
     */
    public KeptCanary ofVersion(ModelName model, int version) {
        registry.getVersion(model, version);
        Optional<Deployment> current = registry.deployment(model);
        if (current.isPresent() && current.get().canary() != null && current.get().canary().version() == version) {
            return new KeptCanary(CanaryRecord.of(current.get()), true);
        }
        return store.findCanary(model, version).map(kept -> new KeptCanary(kept, false)).orElseThrow(() -> {
            String kept = store.listCanaries(model).stream().map(c -> Integer.toString(c.version()))
                    .collect(Collectors.joining(", "));
            return new NotFoundException(ErrorCode.NOT_FOUND, "no canary of version " + version + " of `" + model
                    + "` has been started" + (kept.isEmpty() ? "" : "; the canaries kept are of versions " + kept
                            + " (GET /models/" + model + "/versions/{version}/canary)")
                    + "; start one with POST /models/" + model + "/canary");
        });
    }

    /**
     * How a ramp the deployment no longer holds ended. One still running or paused was ended by a deploy or rollback,
     * which replaces the document without writing to the ramp: calling it running would send an operator to a canary
     * that no longer serves.
     */
    private static String howItEnded(CanaryRamp ramp) {
        String status = ramp.status().wireName().replace('_', ' ');
        return ramp.status().live() ? status + " when a deploy or rollback ended it" : status;
    }

    private static String versionPath(ModelName model, int version) {
        return "/models/" + model + "/versions/" + version + "/canary";
    }

    /**
     * An operator's {@code request} on the running ramp; one the lifecycle refuses (no deployment, no canary, a ramp
     * that ended another way) is audited as a refused attempt on the model, since the request names no version.
     */
    private Deployment operate(ModelName model, Principal actor, String request,
            Function<Deployment, Optional<CanaryRamp>> decide) {
        Objects.requireNonNull(actor, "actor");
        return refusals.attempt(actor, ACTION, model, 0, Map.of(RefusedAttempts.REQUEST, request),
                () -> change(model, actor, decide));
    }

    /**
     * Ends the ramp now with the canary on all traffic. Where the model's policy requires a canary, only once the
     * analysis has judged the canary at the ramp's last judged step ({@link #judged}); before that the promotion is
     * refused (409 {@code CANARY_NOT_JUDGED}) and changes nothing.
     */
    public Deployment promote(ModelName model, Principal actor) {
        return operate(model, actor, "promote", current -> {
            CanaryRamp ramp = live(model, current, "promoted", CanaryStatus.PROMOTED);
            if (ramp == null) {
                return Optional.empty();
            }
            requireJudgedIfPolicySays(model, ramp);
            Instant now = clock.instant();
            return Optional.of(ramp.with(CanaryStatus.PROMOTED, ramp.step(), ramp.stepStartedAt(), now,
                    ramp.extensions(), "promoted", "promoted by " + actor.id() + " at step " + (ramp.step() + 1), null));
        });
    }

    /**
     * Whether the analysis has judged the canary where its own rule would next promote it: the ramp stands at its last
     * judged step, so every step before it passed, and a look at that step tested the canary (a metric tested and none
     * failed, or the ramp would have been rolled back). A look with too little evidence, or nothing new to test, does
     * not count: it judged nothing.
     */
    static boolean judged(CanaryRamp ramp) {
        return ramp.lastJudgedStep() && ramp.analyses().stream()
                .anyMatch(a -> a.step() == ramp.step() && !a.metrics().isEmpty());
    }

    /**
     * Refuses an operator's promotion of a canary the analysis has not yet judged, when the model's policy requires a
     * canary: promoting it by hand would put it on all traffic without the analysis the policy asks for. Checked before
     * anything is written, so a refusal leaves the ramp as it was. The message says what the analysis still needs.
     */
    private void requireJudgedIfPolicySays(ModelName model, CanaryRamp ramp) {
        if (judged(ramp) || !requirements.apply(model).required()) {
            return;
        }
        int last = ramp.judgedSteps() - 1;
        int minimum = ramp.policy().minSamplePerSlot();
        String lastStep = "step " + (last + 1) + " (" + CanaryAnalysis.percent(ramp.steps().get(last)) + ")";
        String toPass = ramp.step() + 1 == last ? "step " + last : "steps " + (ramp.step() + 1) + " to " + last;
        String needs = ramp.step() < last
                ? "it is at step " + (ramp.step() + 1) + " (" + CanaryAnalysis.percent(ramp.weightBasisPoints())
                        + "); the analysis must still pass " + toPass + ", each once each side has " + minimum
                        + " rows in the step's own window, and then test it at its last judged step, " + lastStep
                : "it is at its last judged step, " + lastStep + ", where the analysis has not yet tested it: it tests"
                        + " it at its next look, and passes it (promoting it itself) once each side has " + minimum
                        + " rows in this step's window";
        String counted = ramp.analyses().stream().filter(a -> a.step() == ramp.step()).reduce((a, b) -> b)
                .map(a -> "; its last look at this step counted " + a.canaryCount() + " canary and " + a.stableCount()
                        + " stable predictions")
                .orElse("; it has not looked at this step yet (its next look is due at " + Words.time(ramp.judgeAt())
                        + ")");
        String paused = ramp.status() == CanaryStatus.PAUSED ? "; the ramp is paused, and the analysis goes on once"
                + " it is resumed (POST /models/" + model + "/canary/resume)" : "";
        throw new ConflictException(ErrorCode.CANARY_NOT_JUDGED, "the canary of `" + model + "` (version "
                + ramp.version() + ") has not been judged by the canary analysis, and the model's gate policy requires"
                + " a new version to reach patients through a canary (requireCanary), so it was not promoted and the"
                + " ramp is unchanged: " + needs + counted + paused + ". Wait for the analysis, which promotes the"
                + " canary itself once its last judged step passes (GET /models/" + model + "/canary/analysis shows"
                + " each look), or take it off traffic with POST /models/" + model + "/canary/abort (vigil canary"
                + " abort " + model + ")");
    }

    /** Holds the ramp at its current weight; the controller leaves it alone until it is resumed. */
    public Deployment pause(ModelName model, Principal actor) {
        return operate(model, actor, "pause", current -> {
            CanaryRamp ramp = live(model, current, "paused");
            if (ramp.status() == CanaryStatus.PAUSED) {
                return Optional.empty();
            }
            return Optional.of(ramp.with(CanaryStatus.PAUSED, ramp.step(), ramp.stepStartedAt(), ramp.judgeAt(),
                    ramp.extensions(), "paused", "paused by " + actor.id() + " at step " + (ramp.step() + 1), null));
        });
    }

    /** Resumes a paused ramp; the current step starts a fresh window and bake time. */
    public Deployment resume(ModelName model, Principal actor) {
        return operate(model, actor, "resume", current -> {
            CanaryRamp ramp = live(model, current, "resumed");
            if (ramp.status() == CanaryStatus.RUNNING) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            return Optional.of(ramp.with(CanaryStatus.RUNNING, ramp.step(), now, now.plus(ramp.bakeTime()), 0,
                    "resumed", "resumed by " + actor.id() + "; step " + (ramp.step() + 1) + " starts a new window", null));
        });
    }

    /** Takes the canary off traffic now: all traffic returns to stable and the canary version is rolled back. */
    public Deployment abort(ModelName model, Principal actor) {
        return operate(model, actor, "abort", current -> {
            CanaryRamp ramp = live(model, current, "aborted", CanaryStatus.ABORTED, CanaryStatus.ROLLED_BACK);
            if (ramp == null) {
                return Optional.empty();
            }
            return Optional.of(ramp.with(CanaryStatus.ABORTED, ramp.step(), ramp.stepStartedAt(), clock.instant(),
                    ramp.extensions(), "aborted", "aborted by " + actor.id() + " at step " + (ramp.step() + 1), null));
        });
    }

    /** One controller pass over every model; returns the deployments it changed. */
    public List<Deployment> tick() {
        List<Deployment> changed = new ArrayList<>();
        tick(changed::add);
        return changed;
    }

    /**
     * One controller pass over every model, handing each deployment it changed to {@code changed} as it goes. A model
     * whose pass fails (a store unavailable, a step that cannot be judged) keeps no other model's ramp from being
     * judged or rolled back: every model is passed over, then the first failure is thrown with the later ones
     * suppressed in it, so the pass is seen to have failed and the next one tries that model again.
     */
    public void tick(java.util.function.Consumer<Deployment> changed) {
        health.vigil.error.Failures.forEach(store.listModels(), model -> tick(model).ifPresent(changed));
    }

    /**
     * One controller pass over one model: completes the current revision's record, event and stages, then judges
     * the running step if its bake time is over. Empty when nothing changed.
     */
    public Optional<Deployment> tick(ModelName model) {
        Optional<Deployment> found = store.findDeployment(model);
        if (found.isEmpty() || found.get().canary() == null) {
            return Optional.empty();
        }
        settle(found.get());
        Change change = changeOf(model, CONTROLLER, current -> {
            CanaryRamp ramp = current.canary();
            Instant now = clock.instant();
            if (ramp == null || ramp.status() != CanaryStatus.RUNNING || now.isBefore(ramp.judgeAt())) {
                return Optional.empty();
            }
            return Optional.of(decide(model, ramp, now));
        }, UnaryOperator.identity());
        return change.written() ? Optional.of(change.deployment()) : Optional.empty();
    }

    private CanaryRamp decide(ModelName model, CanaryRamp ramp, Instant now) {
        List<StepEvidence> earlier = new ArrayList<>();
        for (StepAnalysis passed : ramp.analyses()) {
            // A passed step's window: from its start (extensions keep it) to the look that passed it.
            if (StepAnalysis.PASS.equals(passed.decision()) && passed.step() < ramp.step()) {
                earlier.add(evidence(model, ramp, passed.weightBasisPoints(), passed.windowFrom(), passed.windowTo()));
            }
        }
        StepEvidence current = evidence(model, ramp, ramp.weightBasisPoints(), ramp.stepStartedAt(), now);
        StepAnalysis analysis = CanaryAnalysis.judge(ramp, earlier, current, ramp.stepStartedAt(), now);
        return CanaryAnalysis.advance(ramp, analysis, now);
    }

    /**
     * Both slots' predictions, outcomes and request counts between {@code from} and {@code to}, the window of the step
     * that started at {@code from} with {@code weight} basis points on the canary: its request counts are those of the
     * requests that step routed (ADR 0035), and its predictions those the step's routing gave each slot. A request that
     * named its version is scored by it for whatever patients its caller chose; counted, such predictions would put a
     * caller's choice of patients (a test script, an application pinned to a version) in a slot's sample, and could
     * pass or fail a step in place of the patients the ramp routed.
     */
    private StepEvidence evidence(ModelName model, CanaryRamp ramp, int weight, Instant from, Instant to) {
        WindowSample canary = new WindowSample(SCORE_SAMPLE, 1);
        WindowSample stable = new WindowSample(SCORE_SAMPLE, 2);
        LabelledSample canaryLabelled = new LabelledSample(SCORE_SAMPLE, 3);
        LabelledSample stableLabelled = new LabelledSample(SCORE_SAMPLE, 4);
        List<PredictionRecord> pending = new ArrayList<>(OUTCOME_BATCH);
        predictions.scan(model, from, to, record -> {
            Optional<Boolean> routed = TrafficRouter.toCanary(weight, ramp.bucketSalt(), record.patientPseudonym());
            boolean inCanary = record.slot() == Slot.CANARY && record.version() == ramp.version()
                    && routed.orElse(false);
            boolean inStable = record.slot() == Slot.STABLE && record.version() == ramp.stableVersion()
                    && !routed.orElse(true);
            if (inCanary) {
                canary.add(record);
            } else if (inStable) {
                stable.add(record);
            }
            if (inCanary || inStable) {
                pending.add(record);
                if (pending.size() == OUTCOME_BATCH) {
                    label(model, pending, ramp, canaryLabelled, stableLabelled);
                }
            }
        });
        label(model, pending, ramp, canaryLabelled, stableLabelled);
        List<SlotMinuteStats> requests = requestStats == null ? List.of() : requestStats.window(model, from, to);
        return new StepEvidence(canary, stable, RequestSample.of(requests, Slot.CANARY, ramp.version(), from),
                RequestSample.of(requests, Slot.STABLE, ramp.stableVersion(), from), canaryLabelled, stableLabelled);
    }

    /** Adds the batch's predictions that have an outcome to their slot's labelled sample, and empties the batch. */
    private void label(ModelName model, List<PredictionRecord> batch, CanaryRamp ramp, LabelledSample canary,
            LabelledSample stable) {
        if (batch.isEmpty()) {
            return;
        }
        Map<String, Boolean> known = outcomes.outcomesOf(model, batch);
        if (!known.isEmpty()) {
            for (PredictionRecord r : batch) {
                Boolean positive = known.get(r.predictionId());
                if (positive != null) {
                    (r.slot() == Slot.CANARY && r.version() == ramp.version() ? canary : stable).add(r.score(), positive);
                }
            }
        }
        batch.clear();
    }

    /**
     * The running or paused ramp an operator's action applies to. A finished ramp that already ended the way the
     * action would end it ({@code sameEnd}: a repeated promote or abort) is null, nothing to do; any other finished
     * ramp is a conflict, so that an abort sent after a promotion is not answered as if it had worked.
     */
    private static CanaryRamp live(ModelName model, Deployment current, String action, CanaryStatus... sameEnd) {
        // An experiment's treatment on the canary slot is no canary: answering for the ended ramp the document still
        // keeps (a repeated abort "aborted") would tell the operator the slot is empty while it serves patients.
        if (current.experiment() != null && current.experiment().running()) {
            throw new ConflictException(ErrorCode.INVALID_STATE, "no canary of `" + model + "` is running: an experiment"
                    + " of version " + current.experiment().treatmentVersion() + " of `" + model + "` holds the canary"
                    + " slot, so there is no canary to be " + action + "; to take its treatment off live traffic, stop"
                    + " it with POST /models/" + model + "/experiments/stop");
        }
        CanaryRamp ramp = current.canary();
        if (ramp == null) {
            throw new ConflictException(ErrorCode.INVALID_STATE, "no canary of `" + model + "` is running; start one"
                    + " with POST /models/" + model + "/canary");
        }
        if (ramp.status().live()) {
            return ramp;
        }
        if (java.util.Arrays.asList(sameEnd).contains(ramp.status())) {
            return null;
        }
        throw new ConflictException(ErrorCode.INVALID_STATE, "the canary of `" + model + "` (version "
                + ramp.version() + ") has ended: it was " + ramp.status().wireName().replace('_', ' ')
                + ", so it cannot be " + action + (ramp.status() == CanaryStatus.PROMOTED
                        ? "; version " + ramp.version() + " is the stable version now: roll back with POST /models/"
                                + model + "/rollback"
                        : "; start a new canary with POST /models/" + model + "/canary"));
    }

    private Deployment deployment(ModelName model) {
        return registry.deployment(model).orElseThrow(() -> {
            registry.listVersions(model);
            return new ConflictException(ErrorCode.MODEL_NOT_DEPLOYED, "model `" + model + "` has no deployment yet;"
                    + " deploy a stable version before starting a canary");
        });
    }

    /**
     * Reads the deployment, lets {@code decide} build the next ramp (empty: nothing to do) and writes it as the next
     * revision, conditionally on the etag read; on a lost race it reads again and decides again. The write is then
     * recorded, published and the stages settled.
     */
    private Deployment change(ModelName model, Principal actor, Function<Deployment, Optional<CanaryRamp>> decide) {
        return changeOf(model, actor, decide, UnaryOperator.identity()).deployment();
    }

    /** The deployment after a change, and whether this call wrote it (false: nothing to do, or another writer did). */
    private record Change(Deployment deployment, boolean written) {}

    /** {@code remember} adds to the next revision what it keeps beyond the ramp (the keyed request that wrote it). */
    private Change changeOf(ModelName model, Principal actor, Function<Deployment, Optional<CanaryRamp>> decide,
            UnaryOperator<Deployment> remember) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(actor, "actor");
        ConflictException lastConflict = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Deployment current = deployment(model);
            Optional<CanaryRamp> next = decide.apply(current);
            if (next.isEmpty()) {
                settle(current);
                return new Change(current, false);
            }
            Deployment saved;
            try {
                saved = store.saveDeployment(remember.apply(new Deployment(model, slots(current, next.get()),
                        current.revision() + 1, actor.id(), clock.instant(), current.etag(), next.get())
                        .following(current)));
            } catch (ConflictException e) {
                if (e.code() != ErrorCode.CONCURRENT_MODIFICATION) {
                    throw e;
                }
                lastConflict = e;
                continue;
            }
            settle(saved);
            return new Change(saved, true);
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the deployment of `" + model + "` kept changing"
                + " (" + MAX_ATTEMPTS + " attempts; last: " + lastConflict.getMessage() + "); try again");
    }

    /** Live traffic as the ramp says; a shadow slot stays as it was. */
    private static List<TrafficSlot> slots(Deployment current, CanaryRamp ramp) {
        List<TrafficSlot> slots = new ArrayList<>();
        switch (ramp.status()) {
            case RUNNING, PAUSED -> {
                int canary = ramp.weightBasisPoints();
                slots.add(new TrafficSlot(Slot.STABLE, ramp.stableVersion(), TrafficSlot.ALL - canary));
                slots.add(new TrafficSlot(Slot.CANARY, ramp.version(), canary));
            }
            case PROMOTED -> slots.add(new TrafficSlot(Slot.STABLE, ramp.version(), TrafficSlot.ALL));
            default -> slots.add(new TrafficSlot(Slot.STABLE, ramp.stableVersion(), TrafficSlot.ALL));
        }
        current.slot(Slot.SHADOW).ifPresent(slots::add);
        return slots;
    }

    /** The decision "this revision of the ramp was written": one audit record per revision. */
    static String auditKey(Deployment deployment) {
        return auditKey(deployment.modelName(), deployment.revision());
    }

    private static String auditKey(ModelName model, long revision) {
        return ACTION + ":" + model.value() + ":revision-" + revision;
    }

    /**
     * A ramp event was delivered: it is out, so its revision is marked announced (ADR 0025). The tick the delivery
     * triggers would otherwise find the mark missing while the publisher is still between its publish and its mark,
     * and publish the event again, triggering itself once more. Only the event that carries the revision's audit
     * record's id proves it; any other marks nothing.
     */
    public void delivered(ModelName model, long revision, String eventId) {
        String key = auditKey(model, revision);
        if (!announcements.done(key) && audit.findOnce(key).filter(r -> r.id().equals(eventId)).isPresent()) {
            announcements.markDone(key);
        }
    }

    /**
     * Completes what follows a write of {@code deployment}, all of it idempotent: its audit record (from the document
     * alone, so whoever completes it writes the same record), its event (once the record is new; a race publishes
     * the same event id twice, which at-least-once delivery allows), and the versions' stages.
     */
    private void settle(Deployment deployment) {
        CanaryRamp ramp = deployment.canary();
        // A revision the shadow or experiment service wrote keeps the ramp as it was, and is theirs to record: read as
        // a canary change, it would repeat the ramp's last record and event (a second promotion, rollback or alert).
        if (ramp == null || deployment.lastChange() != null) {
            return;
        }
        String key = auditKey(deployment);
        // Marked once published, not once audited: a pass that died between the record and the event leaves the
        // event to the next pass (under the record's id) instead of losing it.
        if (!announcements.done(key)) {
            // Kept before it is announced: whoever an alert sends to read the ramp finds it, even once a deploy or
            // rollback has replaced the document.
            store.keepCanary(CanaryRecord.of(deployment));
            announce(deployment, key);
        }
        settleStages(deployment);
    }

    private void announce(Deployment deployment, String key) {
        CanaryRamp ramp = deployment.canary();
        ModelVersion id = new ModelVersion(deployment.modelName(), ramp.version());
        Map<String, String> details = new LinkedHashMap<>();
        details.put("revision", Long.toString(deployment.revision()));
        details.put("stableVersion", Integer.toString(ramp.stableVersion()));
        details.put("step", Integer.toString(ramp.step() + 1));
        details.put("weightBasisPoints", Integer.toString(deployment.slot(Slot.CANARY)
                .map(TrafficSlot::weightBasisPoints).orElse(ramp.status() == CanaryStatus.PROMOTED ? TrafficSlot.ALL : 0)));
        details.put("reason", ramp.reason());
        if (!ramp.analyses().isEmpty() && "rolled_back".equals(ramp.transition())) {
            StepAnalysis last = ramp.analyses().get(ramp.analyses().size() - 1);
            details.put("failingMetrics", last.metrics().stream().filter(CanaryMetric::failed).map(CanaryMetric::name)
                    .collect(Collectors.joining(",")));
        }
        AuditLog.Once once = audit.recordFirst(key, deployment.updatedBy(), ACTION, id.subject(), ramp.transition(),
                details);
        AuditRecord record = once.record();
        for (TrafficSlot slot : deployment.slots()) {
            if (slot.slot() != Slot.SHADOW) {
                telemetry.trafficWeight(new ModelVersion(deployment.modelName(), slot.version()), slot.slot(),
                        slot.weightBasisPoints());
            }
        }
        if (!ramp.status().live()) {
            // The canary slot is gone: its gauge falls to zero rather than keeping its last share.
            telemetry.trafficWeight(id, Slot.CANARY, 0);
        }
        // A count, not a gauge: only the pass that recorded the change counts its analysis.
        if (once.appended() && deployment.updatedBy().equals(CONTROLLER.id()) && !ramp.analyses().isEmpty()) {
            telemetry.canaryAnalysis(id, ramp.analyses().get(ramp.analyses().size() - 1).decision());
        }
        String type = switch (ramp.transition()) {
            case "started" -> EventTypes.CANARY_STARTED;
            case "stepped" -> EventTypes.CANARY_STEPPED;
            case "promoted" -> EventTypes.CANARY_PROMOTED;
            case "rolled_back", "aborted" -> EventTypes.CANARY_ROLLED_BACK;
            default -> null;
        };
        if (type == null) {
            announcements.markDone(key);
            return;
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", id.name().value());
        data.put("version", id.number());
        data.put("stableVersion", ramp.stableVersion());
        data.put("revision", deployment.revision());
        data.put("step", ramp.step() + 1);
        data.put("weightBasisPoints", Integer.valueOf(details.get("weightBasisPoints")));
        data.put("outcome", ramp.transition());
        announcements.publish(key, new VigilEvent(record.id(), type, VigilEvent.SOURCE, id.subject(), clock.instant(),
                data));
    }

    /**
     * Moves the stages the revision implies: a live canary is CANARY; a promoted one is PRODUCTION and the stable
     * it replaced RETIRED; a rolled-back or aborted one ROLLED_BACK. A move another writer made meanwhile, or one a
     * newer revision has made stale, is left to it; the next tick settles against whatever the document then says.
     */
    private void settleStages(Deployment deployment) {
        CanaryRamp ramp = deployment.canary();
        try {
            switch (ramp.status()) {
                case RUNNING, PAUSED -> moveTo(deployment, ramp.version(), Stage.CANARY,
                        "canary ramp of deployment revision " + deployment.revision());
                case PROMOTED -> {
                    if (deployment.stable().version() == ramp.version()) {
                        moveTo(deployment, ramp.version(), Stage.PRODUCTION, "canary promoted in deployment revision "
                                + deployment.revision());
                        moveTo(deployment, ramp.stableVersion(), Stage.RETIRED, "replaced by version "
                                + ramp.version() + " (canary promoted in deployment revision " + deployment.revision()
                                + ")");
                    }
                }
                default -> moveTo(deployment, ramp.version(), Stage.ROLLED_BACK, ramp.reason());
            }
        } catch (ConflictException e) {
            if (e.code() != ErrorCode.CONCURRENT_MODIFICATION && e.code() != ErrorCode.INVALID_STATE) {
                throw e;
            }
        }
    }

    private void moveTo(Deployment deployment, int version, Stage target, String reason) {
        VersionRecord record = registry.getVersion(deployment.modelName(), version);
        // Moved by this revision already (here, or by a rollback that found its stages lagging): since then the
        // version may have moved on with a newer revision, which this one's settling must not undo; nor is a move
        // written once a newer revision is saved (its writer may have moved the version already).
        if (record.stage() == target || record.movedBy(deployment.stageCause(), target)) {
            return;
        }
        if (target == Stage.RETIRED && record.stage() != Stage.PRODUCTION) {
            return;
        }
        if (target == Stage.ROLLED_BACK && record.stage() != Stage.CANARY) {
            return;
        }
        stages.move(deployment, record, target, reason);
    }
}

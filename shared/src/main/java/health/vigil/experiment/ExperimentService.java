package health.vigil.experiment;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.audit.AuditLog;
import health.vigil.events.EventTypes;
import health.vigil.model.BucketSalt;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.SmallCellRule;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.registry.DeploymentChanges;
import health.vigil.registry.DeploymentStages;
import health.vigil.registry.VersionLifecycle;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.routing.TrafficRouter;
import health.vigil.security.Principal;
import health.vigil.statistics.Auroc;
import health.vigil.statistics.DeLongTest;
import health.vigil.statistics.SampleSize;
import health.vigil.statistics.TwoProportionTest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * A/B experiments: two approved versions share live traffic at a fixed split (control on the stable slot, treatment
 * on the canary slot, each patient assigned by pseudonym and kept there), with a primary metric and a sample size
 * declared before the first patient is assigned. The report compares the arms once the predictions, and for AUROC and
 * the positive rate their outcomes, arrive, and says when the planned sample is reached. Start and stop are each one
 * conditional write of the deployment document, audited once under the revision and published. A model whose policy
 * requires a canary takes no treatment that has never been its stable version: that version reaches patients through a
 * canary's ramp and analysis first.
 */
public final class ExperimentService {
    public static final String ACTION = "deployment.experiment";
    static final String STARTED = "experiment.started";
    static final String STOPPED = "experiment.stopped";
    /** Approved versions that may take live traffic as a treatment. */
    static final Set<Stage> TREATABLE = EnumSet.of(Stage.APPROVED, Stage.RETIRED);
    /** Predictions joined to outcomes per lookup. */
    static final int JOIN_BATCH = 1_000;

    /** What an operator asks for: the treatment version against the stable one (named to be sure, or left out). */
    public record StartCommand(int treatmentVersion, Integer controlVersion, ExperimentPlan plan) {
        public StartCommand {
            if (treatmentVersion < 1) {
                throw new ValidationException("name the treatment version: \"treatmentVersion\" is " + treatmentVersion
                        + "; versions start at 1");
            }
            Objects.requireNonNull(plan, "plan");
        }
    }

    /** The sample size a plan needs, and how it was computed. */
    public record PowerResult(ExperimentPlan plan, long control, long treatment, long total, String unit,
            String method) {}

    private final ModelRegistry registry;
    private final DeploymentChanges changes;
    private final DeploymentStages stages;
    private final RefusedAttempts refusals;
    private final PredictionLog predictions;
    private final Optional<OutcomeSource> outcomes;
    private final Clock clock;
    private final Consumer<VersionRecord> warmer;
    private final ToIntFunction<ModelName> minCellSizes;
    private final Predicate<ModelName> canaryRequired;

    /**
     * @param outcomes joins outcomes to predictions; empty on a platform that stores no outcomes (the report then
     *        compares flag rates only and says so)
     * @param warmer loads a version before traffic is sent to it (throwing if it cannot load)
     */
    public ExperimentService(RegistryStore store, AuditLog audit, EventPublisher events, PredictionLog predictions,
            Optional<OutcomeSource> outcomes, Clock clock, Consumer<VersionRecord> warmer) {
        this(store, audit, events, predictions, outcomes, clock, warmer,
                model -> MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
    }

    /**
     * @param minCellSizes a model's {@code minCellSize} (its monitoring policy's): fewest outcomes an arm's counts of
     *        them may show
     */
    public ExperimentService(RegistryStore store, AuditLog audit, EventPublisher events, PredictionLog predictions,
            Optional<OutcomeSource> outcomes, Clock clock, Consumer<VersionRecord> warmer,
            ToIntFunction<ModelName> minCellSizes) {
        this(store, audit, events, predictions, outcomes, clock, warmer, minCellSizes, model -> false);
    }

    /**
     * @param canaryRequired whether the model's policy in force lets a version that has never been its stable version
     *        reach live traffic only through a canary (its gate policy's {@code requireCanary}); asked only of a start
     *        whose treatment has never been stable
     */
    public ExperimentService(RegistryStore store, AuditLog audit, EventPublisher events, PredictionLog predictions,
            Optional<OutcomeSource> outcomes, Clock clock, Consumer<VersionRecord> warmer,
            ToIntFunction<ModelName> minCellSizes, Predicate<ModelName> canaryRequired) {
        this.canaryRequired = Objects.requireNonNull(canaryRequired, "canaryRequired");
        this.minCellSizes = Objects.requireNonNull(minCellSizes, "minCellSizes");
        this.registry = new ModelRegistry(store);
        this.changes = new DeploymentChanges(store, audit, events, clock);
        this.stages = new DeploymentStages(store, new VersionLifecycle(store, audit, clock));
        this.refusals = new RefusedAttempts(store, audit);
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.warmer = Objects.requireNonNull(warmer, "warmer");
    }

    /** The sample size each arm needs under {@code plan}. */
    public PowerResult power(ExperimentPlan plan) {
        SampleSize.Plan size = plan.sampleSize();
        return new PowerResult(plan, size.control(), size.treatment(), size.total(), plan.unit(), plan.method());
    }

    /**
     * Starts the experiment; a repeat of the running one's request changes nothing, and a start the lifecycle refuses
     * is audited as a refused attempt.
     */
    public Deployment start(ModelName model, StartCommand command, Principal actor) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(actor, "actor");
        return refusals.attempt(actor, ACTION, model, command.treatmentVersion(),
                Map.of(RefusedAttempts.REQUEST, "start"), () -> startExperiment(model, command, actor));
    }

    private Deployment startExperiment(ModelName model, StartCommand command, Principal actor) {
        // Judged on the deployment as saved: a version a promotion or deploy has just replaced is retired, even while
        // its writer has yet to move the stages (the moves are that revision's, recorded under its cause).
        stages.settle(model);
        VersionRecord treatment = registry.getVersion(model, command.treatmentVersion());
        SampleSize.Plan size = command.plan().sampleSize();
        DeploymentChanges.Change change = changes.change(model, "starting an experiment", current -> {
            Experiment running = current.experiment();
            int control = current.stable().version();
            if (running != null && running.running()) {
                if (running.treatmentVersion() == command.treatmentVersion() && running.controlVersion() == control
                        && sameplan(running, command.plan())) {
                    return Optional.empty();
                }
                throw new ConflictException(ErrorCode.INVALID_STATE, "experiment " + running.id() + " of `" + model
                        + "` is running; stop it with POST /models/" + model + "/experiments/stop first");
            }
            if (current.canary() != null && current.canary().status().live()) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "a canary of version " + current.canary().version()
                        + " of `" + model + "` is " + current.canary().status().wireName() + "; promote or abort it"
                        + " before starting an experiment");
            }
            if (command.controlVersion() != null && command.controlVersion() != control) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "the control arm is the stable version, which is "
                        + control + ", not " + command.controlVersion() + "; deploy version " + command.controlVersion()
                        + " first or leave \"controlVersion\" out");
            }
            if (command.treatmentVersion() == control) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "version " + control + " of `" + model + "` is the"
                        + " stable version, the control arm; the treatment must be another approved version");
            }
            if (!TREATABLE.contains(treatment.stage())) {
                throw new ConflictException(ErrorCode.INVALID_STATE, treatment.id() + " is " + treatment.stage().meaning()
                        + "; only an approved (or retired) version can be an experiment's treatment");
            }
            // The other way round (a shadow set while an experiment runs) is refused by the shadow: a version that
            // answers patients is not also mirrored against itself, which would put identical pairs in its report.
            if (current.mirrors(command.treatmentVersion())) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "version " + command.treatmentVersion() + " of `"
                        + model + "` is the shadow version; stop the shadow (POST /models/" + model + "/shadow/stop)"
                        + " before it answers patients as an experiment's treatment");
            }
            if (!treatment.wasStable() && canaryRequired.test(model)) {
                throw new ConflictException(ErrorCode.CANARY_REQUIRED, treatment.id() + " has never been the stable"
                        + " version of `" + model + "`, and its gate policy requires a new version to reach patients"
                        + " through a canary (requireCanary), so the experiment was not started and the deployment is"
                        + " unchanged. Start a canary with POST /models/" + model + "/canary and body {\"version\": "
                        + treatment.version() + "} (vigil canary start " + model + " " + treatment.version() + "); once"
                        + " it is promoted, an experiment may compare it with the version it replaced");
            }
            warmer.accept(treatment);
            ExperimentPlan plan = command.plan();
            Instant now = clock.instant();
            Experiment experiment = new Experiment(model.value() + "-" + (current.revision() + 1), control,
                    command.treatmentVersion(), plan.treatmentBasisPoints(), plan.metric(), plan.baseline(),
                    plan.minimumDetectableEffect(), plan.prevalence(), plan.alpha(), plan.power(), size.control(),
                    size.treatment(), Experiment.RUNNING, actor.id(), now, null, null, BucketSalt.draw());
            List<TrafficSlot> slots = new ArrayList<>();
            slots.add(new TrafficSlot(Slot.STABLE, control, TrafficSlot.ALL - plan.treatmentBasisPoints()));
            slots.add(new TrafficSlot(Slot.CANARY, command.treatmentVersion(), plan.treatmentBasisPoints()));
            current.slot(Slot.SHADOW).ifPresent(slots::add);
            return Optional.of(new Deployment(model, slots, current.revision(), actor.id(), now, current.etag(),
                    current.canary(), experiment, STARTED));
        });
        settle(change.deployment());
        return change.deployment();
    }

    /**
     * Stops the running experiment: all live traffic returns to the control (stable) version. A stop the lifecycle
     * refuses (no deployment, no experiment since the last deploy) is audited as a refused attempt on the model, as a
     * shadow's stop is.
     */
    public Deployment stop(ModelName model, Principal actor) {
        Objects.requireNonNull(actor, "actor");
        return refusals.attempt(actor, ACTION, model, 0, Map.of(RefusedAttempts.REQUEST, "stop"),
                () -> stopExperiment(model, actor));
    }

    private Deployment stopExperiment(ModelName model, Principal actor) {
        DeploymentChanges.Change change = changes.change(model, "stopping an experiment", current -> {
            Experiment experiment = current.experiment();
            if (experiment == null) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "no experiment of `" + model + "` is running:"
                        + " none has been started since its last deployment, so there is nothing to stop; start one"
                        + " with POST /models/" + model + "/experiments");
            }
            if (!experiment.running()) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            List<TrafficSlot> slots = new ArrayList<>();
            slots.add(new TrafficSlot(Slot.STABLE, experiment.controlVersion(), TrafficSlot.ALL));
            current.slot(Slot.SHADOW).ifPresent(slots::add);
            return Optional.of(new Deployment(model, slots, current.revision(), actor.id(), now, current.etag(),
                    current.canary(), experiment.stopped(actor.id(), now), STOPPED));
        });
        settle(change.deployment());
        return change.deployment();
    }

    /**
     * The arm a prediction counts in: scored by that arm's version in its slot, for a patient the experiment assigns
     * to that arm by pseudonym. A request that named a version (or anything else that scored a patient outside the
     * random assignment) is no part of the comparison: counted, it would put a caller's choice of patients in an arm
     * and the same patient in both.
     */
    private static ArmSample armOf(Experiment experiment, PredictionRecord r, ArmSample control, ArmSample treatment) {
        Optional<Boolean> treated = TrafficRouter.toCanary(experiment.treatmentBasisPoints(), experiment.bucketSalt(),
                r.patientPseudonym());
        if (treated.isEmpty()) {
            return null;
        }
        if (treated.get()) {
            return r.slot() == Slot.CANARY && r.version() == experiment.treatmentVersion() ? treatment : null;
        }
        return r.slot() == Slot.STABLE && r.version() == experiment.controlVersion() ? control : null;
    }

    /** The model's last experiment. */
    public Experiment status(ModelName model) {
        Deployment current = changes.current(model, "starting an experiment");
        settle(current);
        if (current.experiment() == null) {
            throw noExperiment(model);
        }
        return current.experiment();
    }

    /** The arms of the model's last experiment compared over its window. */
    public ExperimentReport report(ModelName model) {
        Experiment experiment = status(model);
        Instant from = experiment.startedAt();
        Instant to = experiment.running() ? clock.instant() : experiment.stoppedAt();
        ArmSample control = new ArmSample(experiment.controlVersion());
        ArmSample treatment = new ArmSample(experiment.treatmentVersion());
        List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
        if (to.isAfter(from)) {
            predictions.scan(model, from, to, r -> {
                ArmSample arm = armOf(experiment, r, control, treatment);
                if (arm == null) {
                    return;
                }
                arm.add(r);
                pending.add(r);
                if (pending.size() == JOIN_BATCH) {
                    join(model, pending, control, treatment);
                    pending.clear();
                }
            });
        }
        join(model, pending, control, treatment);
        // An arm's few patients' outcomes are withheld with what gives them back: its rate, AUROC and comparisons.
        int min = minCellSizes.applyAsInt(model);
        ExperimentReport.Arm controlArm = control.arm("control", min);
        ExperimentReport.Arm treatmentArm = treatment.arm("treatment", min);
        boolean shown = controlArm.suppressed() == null && treatmentArm.suppressed() == null;
        ExperimentReport.Comparison flagRate = control.predictions > 0 && treatment.predictions > 0
                ? rates(control.flagged, control.predictions, treatment.flagged, treatment.predictions) : null;
        ExperimentReport.Comparison positiveRate = shown && control.labelled() > 0 && treatment.labelled() > 0
                ? rates(control.positives, control.labelled(), treatment.positives, treatment.labelled()) : null;
        ExperimentReport.Comparison auroc = null;
        if (shown && control.aurocComputable() && treatment.aurocComputable()) {
            DeLongTest.Result r = DeLongTest.independent(treatment.scores(), treatment.labels(), control.scores(),
                    control.labels());
            auroc = new ExperimentReport.Comparison(r.aurocSecond(), r.aurocFirst(), r.difference(), r.lower95(),
                    r.upper95(), r.z(), r.pValue(), "DeLong, independent samples");
        }
        return new ExperimentReport(model.value(), experiment, from, to, outcomes.isPresent(),
                List.of(controlArm, treatmentArm), flagRate, positiveRate, auroc,
                primary(experiment, control, treatment, controlArm, treatmentArm, min));
    }

    /** The primary metric's samples; an arm's labelled predictions as the arm shows them ({@code shownControl}). */
    private ExperimentReport.Primary primary(Experiment e, ArmSample control, ArmSample treatment,
            ExperimentReport.Arm shownControl, ExperimentReport.Arm shownTreatment, int min) {
        boolean labelled = e.primaryMetric().needsOutcomes();
        long c = labelled ? control.labelled() : control.predictions;
        long t = labelled ? treatment.labelled() : treatment.predictions;
        Long shownC = labelled ? shownControl.labelled() : Long.valueOf(c);
        Long shownT = labelled ? shownTreatment.labelled() : Long.valueOf(t);
        boolean reached = c >= e.plannedControl() && t >= e.plannedTreatment();
        String note;
        if (labelled && outcomes.isEmpty()) {
            note = "this platform joins no outcomes to predictions, so " + e.primaryMetric().wireName()
                    + " cannot be measured here";
        } else if (reached) {
            note = "the planned sample is reached: read the " + e.primaryMetric().wireName() + " comparison now, once";
        } else {
            note = "the planned sample is not reached (" + (shownC == null ? "fewer than " + min : shownC) + " of "
                    + e.plannedControl() + " control, " + (shownT == null ? "fewer than " + min : shownT) + " of "
                    + e.plannedTreatment() + " treatment " + (labelled ? "labelled predictions" : "predictions")
                    + "); a comparison read before it does not hold the declared alpha";
        }
        return new ExperimentReport.Primary(e.primaryMetric().wireName(), labelled ? "labelled predictions"
                : "predictions", shownC, shownT, e.plannedControl(), e.plannedTreatment(), reached, note);
    }

    private static ExperimentReport.Comparison rates(long controlHits, long controlN, long treatmentHits,
            long treatmentN) {
        TwoProportionTest.Result r = TwoProportionTest.compare(treatmentHits, treatmentN, controlHits, controlN);
        double[] ci = TwoProportionTest.differenceInterval95(treatmentHits, treatmentN, controlHits, controlN);
        return new ExperimentReport.Comparison(r.second(), r.first(), r.difference(), ci[0], ci[1], r.z(), r.pValue(),
                "two-proportion z-test (pooled), 95 % Wald interval");
    }

    private void join(ModelName model, List<PredictionRecord> batch, ArmSample control, ArmSample treatment) {
        if (batch.isEmpty() || outcomes.isEmpty()) {
            return;
        }
        Map<String, Boolean> joined = outcomes.get().outcomesOf(model, batch);
        for (PredictionRecord r : batch) {
            Boolean positive = joined.get(r.predictionId());
            if (positive != null) {
                (r.slot() == Slot.STABLE ? control : treatment).label(r.score(), positive);
            }
        }
    }

    private static boolean sameplan(Experiment e, ExperimentPlan p) {
        return e.primaryMetric() == p.metric() && e.baseline() == p.baseline()
                && e.minimumDetectableEffect() == p.minimumDetectableEffect() && Objects.equals(e.prevalence(),
                        p.prevalence()) && e.alpha() == p.alpha() && e.power() == p.power()
                && e.treatmentBasisPoints() == p.treatmentBasisPoints();
    }

    private static NotFoundException noExperiment(ModelName model) {
        return new NotFoundException(ErrorCode.NOT_FOUND, "no experiment of `" + model + "` has been started since its"
                + " last deployment; start one with POST /models/" + model + "/experiments");
    }

    private void settle(Deployment deployment) {
        String change = deployment.lastChange();
        Experiment e = deployment.experiment();
        if (e == null || (!STARTED.equals(change) && !STOPPED.equals(change))) {
            return;
        }
        ModelVersion id = new ModelVersion(deployment.modelName(), e.treatmentVersion());
        String outcome = STARTED.equals(change) ? "started" : "stopped";
        Map<String, String> details = new LinkedHashMap<>();
        details.put("revision", Long.toString(deployment.revision()));
        details.put("experiment", e.id());
        details.put("controlVersion", Integer.toString(e.controlVersion()));
        details.put("treatmentBasisPoints", Integer.toString(e.treatmentBasisPoints()));
        details.put("primaryMetric", e.primaryMetric().wireName());
        details.put("baseline", Double.toString(e.baseline()));
        details.put("minimumDetectableEffect", Double.toString(e.minimumDetectableEffect()));
        details.put("alpha", Double.toString(e.alpha()));
        details.put("power", Double.toString(e.power()));
        details.put("plannedControl", Long.toString(e.plannedControl()));
        details.put("plannedTreatment", Long.toString(e.plannedTreatment()));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", id.name().value());
        data.put("experiment", e.id());
        data.put("version", e.treatmentVersion());
        data.put("controlVersion", e.controlVersion());
        data.put("treatmentBasisPoints", e.treatmentBasisPoints());
        data.put("primaryMetric", e.primaryMetric().wireName());
        data.put("revision", deployment.revision());
        data.put("outcome", outcome);
        changes.announceOnce(deployment, ACTION, id, outcome, details,
                STARTED.equals(change) ? EventTypes.EXPERIMENT_STARTED : EventTypes.EXPERIMENT_STOPPED, data);
    }

    /** One arm's predictions: counts exact, labelled scores kept for AUROC. */
    private static final class ArmSample {
        final int version;
        long predictions;
        long flagged;
        long positives;
        double[] scores = new double[64];
        boolean[] labels = new boolean[64];
        int labelled;

        ArmSample(int version) {
            this.version = version;
        }

        void add(PredictionRecord r) {
            predictions++;
            if (r.decision()) {
                flagged++;
            }
        }

        void label(double score, boolean positive) {
            if (labelled == scores.length) {
                scores = Arrays.copyOf(scores, labelled * 2);
                labels = Arrays.copyOf(labels, labelled * 2);
            }
            scores[labelled] = score;
            labels[labelled++] = positive;
            if (positive) {
                positives++;
            }
        }

        long labelled() {
            return labelled;
        }

        double[] scores() {
            return Arrays.copyOf(scores, labelled);
        }

        boolean[] labels() {
            return Arrays.copyOf(labels, labelled);
        }

        boolean aurocComputable() {
            return positives >= 2 && labelled - positives >= 2;
        }

        /** The arm as the report shows it, its outcomes withheld by {@code min} as a monitoring segment's are. */
        ExperimentReport.Arm arm(String name, int min) {
            Double flagRate = predictions == 0 ? null : (double) flagged / predictions;
            String withheld = SmallCellRule.withheld(labelled, positives, min);
            if (withheld != null) {
                Long shown = SmallCellRule.fewerOutcomes(min).equals(withheld) ? null : Long.valueOf(labelled);
                return new ExperimentReport.Arm(name, version, predictions, flagged, flagRate, shown, null, null, null,
                        withheld);
            }
            Double auroc = aurocComputable() ? Auroc.of(scores(), labels()) : null;
            return new ExperimentReport.Arm(name, version, predictions, flagged, flagRate, (long) labelled, positives,
                    labelled == 0 ? null : (double) positives / labelled, auroc, null);
        }
    }
}

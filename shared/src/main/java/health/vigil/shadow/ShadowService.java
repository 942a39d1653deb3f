package health.vigil.shadow;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.registry.DeploymentChanges;
import health.vigil.registry.DeploymentStages;
import health.vigil.registry.VersionLifecycle;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.routing.MirrorSampling;
import health.vigil.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Shadow versions: an operator names an approved version and the share of scored requests to mirror to it, and
 * reads how it compares with what the live versions answered. The shadow is the deployment document's shadow slot,
 * its weight the mirrored share in basis points (0: configured but stopped, so the last shadow's report can still
 * be read). Each change is one conditional write of the document, audited once under its revision and published with
 * the record's id; whoever reads the shadow next completes a record its writer did not live to write.
 */
public final class ShadowService {
    public static final String ACTION = "deployment.shadow";
    static final String CONFIGURED = "shadow.configured";
    static final String STOPPED = "shadow.stopped";
    /** Stages of versions that were approved and are not being retired from use for cause. */
    static final Set<Stage> SHADOWABLE = EnumSet.of(Stage.APPROVED, Stage.RETIRED, Stage.ROLLED_BACK);
    static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    static final Duration MAX_WINDOW = Duration.ofDays(31);

    /** What an operator asks for: mirror {@code basisPoints} of scored requests (1-10000) to {@code version}. */
    public record ConfigureCommand(int version, int basisPoints) {
        public ConfigureCommand {
            if (version < 1) {
                throw new ValidationException("name the shadow version: \"version\" is " + version
                        + "; versions start at 1");
            }
            if (basisPoints < 1 || basisPoints > TrafficSlot.ALL) {
                throw new ValidationException("\"basisPoints\" is " + basisPoints + "; mirror 1-10000 basis points of"
                        + " scored requests (100 = 1 %), or stop the shadow with POST .../shadow/stop");
            }
        }
    }

    private final ModelRegistry registry;
    private final DeploymentChanges changes;
    private final DeploymentStages stages;
    private final RefusedAttempts refusals;
    private final PredictionLog predictions;
    private final Clock clock;
    private final Consumer<VersionRecord> warmer;
    private final Function<ModelName, Optional<ShadowMirror.Counts>> localCounts;
    private final ToIntFunction<ModelName> minCellSizes;

    /**
     * @param warmer loads a version before requests are mirrored to it (throwing if it cannot load)
     * @param localCounts this process's mirror counts of a model, when scoring runs in this process
     * @param minCellSizes a model's {@code minCellSize} (its monitoring policy's): fewest pairs a count of its
     *     report may show ({@link ShadowCells})
     */
    public ShadowService(RegistryStore store, AuditLog audit, EventPublisher events,
            PredictionLog predictions, Clock clock, Consumer<VersionRecord> warmer,
            Function<ModelName, Optional<ShadowMirror.Counts>> localCounts, ToIntFunction<ModelName> minCellSizes) {
        this.registry = new ModelRegistry(store);
        this.changes = new DeploymentChanges(store, audit, events, clock);
        this.stages = new DeploymentStages(store, new VersionLifecycle(store, audit, clock));
        this.refusals = new RefusedAttempts(store, audit);
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.warmer = Objects.requireNonNull(warmer, "warmer");
        this.localCounts = Objects.requireNonNull(localCounts, "localCounts");
        this.minCellSizes = Objects.requireNonNull(minCellSizes, "minCellSizes");
    }

    /**
     * Mirrors the command's share of scored requests to its version from the next request on; a shadow the lifecycle
     * refuses is audited as a refused attempt.
     */
    public Deployment configure(ModelName model, ConfigureCommand command, Principal actor) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(actor, "actor");
        return refusals.attempt(actor, ACTION, model, command.version(), Map.of(RefusedAttempts.REQUEST, "set"),
                () -> configureShadow(model, command, actor));
    }

    private Deployment configureShadow(ModelName model, ConfigureCommand command, Principal actor) {
        // Judged on the deployment as saved: a version a promotion or deploy has just replaced is retired, even while
        // its writer has yet to move the stages (the moves are that revision's, recorded under its cause).
        stages.settle(model);
        VersionRecord version = registry.getVersion(model, command.version());
        DeploymentChanges.Change change = changes.change(model, "configuring a shadow", current -> {
            Optional<TrafficSlot> shadow = current.slot(Slot.SHADOW);
            if (shadow.isPresent() && shadow.get().version() == command.version()
                    && shadow.get().weightBasisPoints() == command.basisPoints()) {
                return Optional.empty();
            }
            for (TrafficSlot live : current.slots()) {
                if (live.slot() != Slot.SHADOW && live.version() == command.version()) {
                    throw new ConflictException(ErrorCode.INVALID_STATE, "version " + command.version() + " of `" + model
                            + "` is the " + live.slot().wireName() + " version and answers requests already; a shadow"
                            + " is another approved version");
                }
            }
            if (!SHADOWABLE.contains(version.stage()) && !(shadow.isPresent()
                    && shadow.get().version() == command.version())) {
                throw new ConflictException(ErrorCode.INVALID_STATE, version.id() + " is " + version.stage().meaning()
                        + "; only an approved version (approved, retired or rolled back) can be a shadow");
            }
            warmer.accept(version);
            Instant now = clock.instant();
            return Optional.of(next(current, new TrafficSlot(Slot.SHADOW, command.version(), command.basisPoints(),
                    now), actor, now, CONFIGURED));
        });
        settle(change.deployment());
        return change.deployment();
    }

    /**
     * Stops mirroring; the shadow slot stays with weight 0 so its report can still be read. A stop the lifecycle refuses
     * (no deployment, no shadow) is audited as a refused attempt on the model.
     */
    public Deployment stop(ModelName model, Principal actor) {
        Objects.requireNonNull(actor, "actor");
        return refusals.attempt(actor, ACTION, model, 0, Map.of(RefusedAttempts.REQUEST, "stop"),
                () -> stopShadow(model, actor));
    }

    private Deployment stopShadow(ModelName model, Principal actor) {
        DeploymentChanges.Change change = changes.change(model, "stopping a shadow", current -> {
            TrafficSlot shadow = current.slot(Slot.SHADOW).orElseThrow(() -> noShadow(model));
            if (shadow.weightBasisPoints() == 0) {
                return Optional.empty();
            }
            return Optional.of(next(current, new TrafficSlot(Slot.SHADOW, shadow.version(), 0, shadow.since()), actor,
                    clock.instant(), STOPPED));
        });
        settle(change.deployment());
        return change.deployment();
    }

    /** The model's deployment with its shadow slot; a 409 when none was configured. */
    public Deployment status(ModelName model) {
        Deployment current = changes.current(model, "configuring a shadow");
        current.slot(Slot.SHADOW).orElseThrow(() -> noShadow(model));
        settle(current);
        return current;
    }

    /**
     * Live against shadow over {@code [from, to)} (default: the last 24 hours, from no earlier than the moment the
     * current shadow was set), for the current shadow version or the one named. Live predictions scored before the
     * shadow was set were never mirrored, so they are not expected to have a shadow partner, whatever the window.
     * Counts of a few pairs are withheld by the model's {@code minCellSize} ({@link ShadowCells}).
     */
    public ShadowReport report(ModelName model, Optional<Integer> version, Optional<Instant> from,
            Optional<Instant> to) {
        Deployment current = changes.current(model, "configuring a shadow");
        settle(current);
        Optional<TrafficSlot> slot = current.slot(Slot.SHADOW);
        int shadowVersion = version.or(() -> slot.map(TrafficSlot::version)).orElseThrow(() -> noShadow(model));
        registry.getVersion(model, shadowVersion);
        Optional<TrafficSlot> reported = slot.filter(s -> s.version() == shadowVersion);
        int share = reported.map(TrafficSlot::weightBasisPoints).orElse(0);
        Instant since = reported.map(TrafficSlot::since).orElse(null);
        Instant end = to.orElseGet(clock::instant);
        Instant start = from.orElseGet(() -> defaultStart(since, end));
        if (!start.isBefore(end)) {
            throw new ValidationException("'from' (" + start + ") must be before 'to' (" + end + ")");
        }
        if (Duration.between(start, end).compareTo(MAX_WINDOW) > 0) {
            throw new ValidationException("the window is " + Duration.between(start, end).toDays() + " days; a report"
                    + " covers at most 31 days: narrow 'from' and 'to'");
        }
        // First the shadow records (a share of the traffic), then the live ones, joined on the live id.
        Map<String, PredictionRecord> shadowOf = new HashMap<>();
        Map<String, Map<String, String>> segmentsOf = new HashMap<>();
        long[] shadowCount = {0};
        predictions.scan(model, start, end, r -> {
            if (r.slot() == Slot.SHADOW && r.version() == shadowVersion) {
                ShadowPairing.read(r.explanation()).ifPresent(pair -> {
                    shadowCount[0]++;
                    shadowOf.putIfAbsent(pair.livePredictionId(), r);
                    segmentsOf.putIfAbsent(pair.livePredictionId(), pair.segments());
                });
            }
        });
        ShadowComparison overall = new ShadowComparison();
        Map<String, ShadowComparison> bySegment = new TreeMap<>();
        long[] live = {0, 0, 0, 0}; // live, expected, paired, missing
        predictions.scan(model, start, end, r -> {
            if (r.slot() == Slot.SHADOW) {
                return;
            }
            live[0]++;
            boolean expected = share > 0 && (since == null || !r.time().isBefore(since))
                    && MirrorSampling.mirrored(r.predictionId(), share);
            if (expected) {
                live[1]++;
            }
            PredictionRecord partner = shadowOf.get(r.predictionId());
            if (partner == null) {
                if (expected) {
                    live[3]++;
                }
                return;
            }
            live[2]++;
            overall.add(r.score(), r.decision(), partner.score(), partner.decision());
            segmentsOf.get(r.predictionId()).forEach((column, value) -> bySegment
                    .computeIfAbsent(column + "\u0000" + value, k -> new ShadowComparison())
                    .add(r.score(), r.decision(), partner.score(), partner.decision()));
        });
        List<ShadowReport.Segment> segments = new ArrayList<>();
        bySegment.forEach((key, comparison) -> {
            int at = key.indexOf('\u0000');
            segments.add(new ShadowReport.Segment(key.substring(0, at), key.substring(at + 1), comparison.result()));
        });
        int minCellSize = minCellSizes.applyAsInt(model);
        return new ShadowReport(model.value(), shadowVersion, share, since, start, end, live[0], live[1],
                shadowCount[0], live[2], live[3], localCounts.apply(model).orElse(null),
                ShadowCells.overall(overall.result(), minCellSize), ShadowCells.segments(segments, minCellSize));
    }

    /**
     * The last 24 hours before {@code end}, starting no earlier than {@code since} when the shadow was set within
     * them; a shadow stored before its start was kept ({@code since} null) reads the whole 24 hours.
     */
    private static Instant defaultStart(Instant since, Instant end) {
        Instant dayBefore = end.minus(DEFAULT_WINDOW);
        return since != null && since.isAfter(dayBefore) && since.isBefore(end) ? since : dayBefore;
    }

    private static Deployment next(Deployment current, TrafficSlot shadow, Principal actor, Instant now, String change) {
        List<TrafficSlot> slots = new ArrayList<>();
        for (TrafficSlot s : current.slots()) {
            if (s.slot() != Slot.SHADOW) {
                slots.add(s);
            }
        }
        slots.add(shadow);
        return new Deployment(current.modelName(), slots, current.revision(), actor.id(), now,
                current.etag(), current.canary(), current.experiment(), change);
    }

    private static ConflictException noShadow(ModelName model) {
        return new ConflictException(ErrorCode.INVALID_STATE, "`" + model + "` has no shadow version; configure one"
                + " with POST /models/" + model + "/shadow {\"version\": N, \"basisPoints\": 1000}");
    }

    /** Completes the record and event of a revision this service wrote, if its writer did not. */
    private void settle(Deployment deployment) {
        String change = deployment.lastChange();
        if (!CONFIGURED.equals(change) && !STOPPED.equals(change)) {
            return;
        }
        TrafficSlot shadow = deployment.slot(Slot.SHADOW).orElseThrow();
        ModelVersion id = new ModelVersion(deployment.modelName(), shadow.version());
        String outcome = CONFIGURED.equals(change) ? "configured" : "stopped";
        Map<String, String> details = new LinkedHashMap<>();
        details.put("revision", Long.toString(deployment.revision()));
        details.put("basisPoints", Integer.toString(shadow.weightBasisPoints()));
        details.put("stableVersion", Integer.toString(deployment.stable().version()));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", id.name().value());
        data.put("version", id.number());
        data.put("revision", deployment.revision());
        data.put("basisPoints", shadow.weightBasisPoints());
        data.put("outcome", outcome);
        changes.announceOnce(deployment, ACTION, id, outcome, details,
                CONFIGURED.equals(change) ? EventTypes.SHADOW_CONFIGURED : EventTypes.SHADOW_STOPPED, data);
    }
}

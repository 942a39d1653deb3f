package health.vigil.deployment;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.AuditRecord;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Displaced;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.Lifecycle;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.RecentRequest;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.registry.Announcements;
import health.vigil.registry.DeploymentStages;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.registry.RevisionConflict;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import java.time.Clock;
import java.time.Duration;
import health.vigil.model.StageChange;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Puts one version of a model on all of its live traffic (an operator's direct deployment, a pin or a
 * rollback to an earlier version), and keeps the versions' stages in line with the deployment.
 *
 * <p>Deploying replaces every slot: a running canary or shadow is taken off traffic and its version moves
 * to ROLLED_BACK. Deploying the version that already takes 100 % is a no-op. The deployment document is
 * saved conditionally on the etag that was read, re-reading and retrying a few times when another writer
 * got there first. The stages are written after the deployment and derived from it, so a deploy that
 * failed half-way is completed by calling it again, and concurrent deploys leave stages that match the
 * deployment that won. Only a version the {@link Lifecycle} lets into production is deployed: an approved one,
 * or a retired or canary one that was approved before; every stage moves through {@link VersionLifecycle}, so it
 * is audited and kept in the version's history. Each saved revision is audited once ({@link AuditLog#recordOnce},
 * keyed on the revision): concurrent deploys of one version make one revision and one record. A model whose policy
 * requires a canary takes a version that has never been its stable version onto live traffic only through a canary's
 * promotion: a direct deploy of one over a stable version is refused, a rollback never is. A call that finds its
 * version deployed waits for that revision's record, and completes the record itself only once the call that saved
 * it has had {@link #SETTLE_TIME} to do so (it died), so no call answers before the decision is recorded. Whether the
 * caller may deploy is checked by the HTTP
 * layer (role {@code Deployments.Operate}); this service records who did.
 */
public final class DeploymentService {
    public static final String ACTION = "deployment.deploy";
    /** The detail of a refused attempt that says whether it was a deploy or a rollback. */
    static final String REQUEST = RefusedAttempts.REQUEST;
    static final int MAX_ATTEMPTS = 5;
    /** How many of the most recently retired versions a rollback may name. */
    public static final int ROLLBACK_CHOICES = 5;
    /**
     * How long the call that saved a deployment may take to record it before another call completes the record
     * for it. Far longer than a deploy takes; short enough that a retry after a crash finds it complete.
     */
    static final Duration SETTLE_TIME = Duration.ofSeconds(30);
    private static final long RECORD_POLL_MILLIS = 20;

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final DeploymentStages stages;
    private final AuditLog audit;
    private final Announcements announcements;
    private final RefusedAttempts refusals;
    private final Clock clock;
    private final Consumer<VersionRecord> warmer;
    private final Duration settleTime;
    private final Predicate<ModelName> canaryRequired;

    public DeploymentService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock) {
        this(store, lifecycle, audit, events, clock, version -> { }, SETTLE_TIME, model -> false);
    }

    /**
     * @param warmer loads and warms a version before traffic is switched to it (throwing if it cannot load), so no
     *        request pays for a cold load; the platform passes the scoring service's
     */
    public DeploymentService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Consumer<VersionRecord> warmer) {
        this(store, lifecycle, audit, events, clock, warmer, SETTLE_TIME, model -> false);
    }

    /**
     * @param canaryRequired whether the model's policy in force lets a version that has never been its stable version
     *        reach live traffic only through a canary; asked only of a direct deploy that would need it
     */
    public DeploymentService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Consumer<VersionRecord> warmer, Predicate<ModelName> canaryRequired) {
        this(store, lifecycle, audit, events, clock, warmer, SETTLE_TIME, canaryRequired);
    }

    /** With another settle time, so tests can play a deploy that stopped half-way without waiting 30 s. */
    DeploymentService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Duration settleTime) {
        this(store, lifecycle, audit, events, clock, version -> { }, settleTime, model -> false);
    }

    private DeploymentService(RegistryStore store, VersionLifecycle lifecycle, AuditLog audit, EventPublisher events,
            Clock clock, Consumer<VersionRecord> warmer, Duration settleTime, Predicate<ModelName> canaryRequired) {
        this.warmer = Objects.requireNonNull(warmer, "warmer");
        this.settleTime = Objects.requireNonNull(settleTime, "settleTime");
        this.canaryRequired = Objects.requireNonNull(canaryRequired, "canaryRequired");
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.stages = new DeploymentStages(store, Objects.requireNonNull(lifecycle, "lifecycle"));
        this.audit = Objects.requireNonNull(audit, "audit");
        this.announcements = new Announcements(store, events);
        this.refusals = new RefusedAttempts(store, audit);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The audit detail that says what the canary slot a deploy took off live traffic held. */
    private static final String DISPLACED = "displaced";
    /** The audit detail that names the stable version a deploy took off live traffic. */
    private static final String PREVIOUS_VERSION = "previousVersion";

    /**
     * What a deploy or rollback ended: the canary ramp or the experiment whose version ({@code version}) took part of
     * live traffic on the canary slot until the deploy sent all of it to the stable version.
     */
    public record Ended(String kind, int version, String message) {
        public static final String CANARY = Displaced.CANARY;
        public static final String EXPERIMENT = Displaced.EXPERIMENT;
    }

    /**
     * What the deploy or rollback that wrote a deployment took off live traffic, as its audit record says: the stable
     * version it replaced (empty for the first deploy) and the canary ramp or experiment it ended (empty when none);
     * both empty when the revision is not a deploy's, such as a canary's promotion.
     */
    public record TakenOff(OptionalInt previousVersion, Optional<Ended> ended) {}

    /** What the deploy or rollback that wrote {@code deployment} took off live traffic, from one read of its record. */
    public TakenOff takenOff(Deployment deployment) {
        Optional<Map<String, String>> details = audit.findOnce(auditKey(deployment)).map(AuditRecord::details);
        OptionalInt previous = details.map(d -> d.get(PREVIOUS_VERSION)).map(Integer::parseInt).map(OptionalInt::of)
                .orElse(OptionalInt.empty());
        return new TakenOff(previous, details.flatMap(d -> ended(d, deployment.modelName().value())));
    }

    /**
     * What the deploy or rollback that wrote {@code deployment} ended, as its audit record says; empty when it ended
     * nothing (or the revision is not a deploy's, such as a canary's promotion).
     */
    public Optional<Ended> ended(Deployment deployment) {
        return takenOff(deployment).ended();
    }

    private static Optional<Ended> ended(Map<String, String> details, String model) {
        if (!details.containsKey("displacedCanary")) {
            return Optional.empty();
        }
        int version = Integer.parseInt(details.get("displacedCanary"));
        String kind = details.getOrDefault(DISPLACED, Ended.CANARY);
        String message = kind.equals(Ended.EXPERIMENT)
                ? "the running experiment of version " + version + " of `" + model + "` has ended: its"
                        + " treatment no longer takes live traffic"
                : "the running canary of version " + version + " of `" + model + "` has ended: it no"
                        + " longer takes live traffic and is rolled back; its ramp and analysis stay"
                        + " readable at GET /models/" + model + "/versions/" + version + "/canary";
        return Optional.of(new Ended(kind, version, message));
    }

    public Optional<Deployment> current(ModelName model) {
        return store.findDeployment(Objects.requireNonNull(model, "model"));
    }

    /**
     * Sends all live traffic of {@code model} to {@code version}; a deploy the lifecycle refuses is audited as a refused
     * attempt.
     */
    public Deployment deploy(ModelName model, int version, Principal actor) {
        return deploy(model, version, actor, Optional.empty()).deployment();
    }

    /**
     * What a deploy or rollback answered, and whether it was {@code replayed}: the same caller's request under the same
     * {@code Idempotency-Key} had already written the current revision, so this one changed nothing.
     */
    public record Outcome(Deployment deployment, boolean replayed) {
        public Outcome {
            Objects.requireNonNull(deployment, "deployment");
        }
    }

    /**
     * {@link #deploy(ModelName, int, Principal)} that is safe to send again under {@code key}: while the revision the
     * first request under it wrote is current, the same caller's request under the same key answers it and changes
     * nothing; the same key with another version is refused (409).
     */
    public Outcome deploy(ModelName model, int version, Principal actor, Optional<IdempotencyKey> key) {
        return deploy(model, version, actor, key, OptionalLong.empty());
    }

    /**
     * {@link #deploy(ModelName, int, Principal, Optional)} on the condition that the deployment is still at revision
     * {@code expected} (when given), the one its caller read: otherwise it changes nothing and is refused (409
     * {@code CONFLICT}, naming the revision and who wrote it, audited as a refused attempt with both revisions), so
     * that two operators or a script cannot undo each other's change unknowingly. A request sent again under its key
     * answers as before, whatever the revision now; so does one sent again without a key once its write landed (the
     * deployment serves only {@code version}), as any deploy of what already serves does.
     */
    public Outcome deploy(ModelName model, int version, Principal actor, Optional<IdempotencyKey> key,
            OptionalLong expected) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(expected, "expected");
        Optional<Deployment> done = replay(model, RecentRequest.DEPLOY, OptionalInt.of(version), actor, key);
        if (done.isPresent()) {
            return new Outcome(done.get(), true);
        }
        return new Outcome(refusals.attempt(actor, ACTION, model, version, Map.of(REQUEST, "deploy"),
                () -> deployVersion(model, version, actor, RecentRequest.DEPLOY, key.map(k -> new Sent(k,
                        RecentRequest.DEPLOY, OptionalInt.of(version))), expected)), false);
    }

    /**
     * What the caller's request under {@code key} did, if the deployment remembers it ({@link Deployment#REQUEST_WINDOW}):
     * a request sent again after its answer was lost. It answers the revision that request wrote, as it was, after
     * whatever that request left undone is finished (its record and event; and its stages while it is current, which
     * later revisions settle otherwise), even when other changes followed it. Empty when the key is new, so the request
     * is a new one; the same key sent with another request is refused.
     */
    private Optional<Deployment> replay(ModelName model, String request, OptionalInt asked, Principal actor,
            Optional<IdempotencyKey> key) {
        if (key.isEmpty()) {
            return Optional.empty();
        }
        Optional<Deployment> current = store.findDeployment(model);
        Optional<RecentRequest> sent = current.flatMap(d -> d.request(actor.id(), key.get(), clock.instant()));
        if (sent.isEmpty()) {
            return Optional.empty();
        }
        RecentRequest first = sent.get();
        if (!first.asks(request, asked)) {
            throw new ConflictException(ErrorCode.CONFLICT, "this Idempotency-Key was first sent with another request ("
                    + first.asked() + "), which " + first.did(model) + "; send a new key for a new request");
        }
        boolean isCurrent = current.get().revision() == first.revision();
        Deployment written = isCurrent ? current.get()
                : Deployment.stableOnly(model, first.served(), first.revision(), first.caller(), first.at(), null);
        if (interrupted(written)) {
            // The call that saved it stopped before recording it: complete its record, in the name of whoever sent it.
            announce(registry.getVersion(model, first.served()), written, first.previous(), first.ended(),
                    first.caller(), actor);
        }
        if (isCurrent) {
            stages.settle(model);
        }
        return Optional.of(written);
    }

    /** A request sent under an Idempotency-Key: what it asked, which the revision it writes remembers. */
    private record Sent(IdempotencyKey key, String request, OptionalInt asked) {}

    private Deployment deployVersion(ModelName model, int version, Principal actor, String request,
            Optional<Sent> sent, OptionalLong expected) {
        ConflictException lastConflict = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            VersionRecord target = registry.getVersion(model, version);
            requireDeployable(target);
            Optional<Deployment> current = store.findDeployment(model);
            boolean served = current.isPresent() && servesOnly(current.get(), version);
            // A deploy of the version that already serves alone changes nothing, on any revision: it is most often
            // the same deploy sent again after its write landed and its answer was lost, and answered as done it
            // undoes nobody's change. Otherwise checked on the revision the write below is conditional on: another
            // change saved after it fails the write, and the next attempt reads that change and is refused here.
            if (!served || !request.equals(RecentRequest.DEPLOY)) {
                RevisionConflict.require(model, current, expected);
            }
            if (served) {
                Deployment serving = current.get();
                // A revision a canary ramp wrote (a promotion) is recorded by the canary service, and one a shadow or
                // experiment change wrote (an experiment stopped) by its own service, under their own keys.
                if (serving.canary() == null && serving.lastChange() == null && interrupted(serving)) {
                    // The call that saved this revision stopped before recording it: complete its record, in the
                    // name of whoever made the decision.
                    announce(target, serving, serving.replacedByItsDeploy(), serving.endedByItsDeploy(),
                            serving.updatedBy(), actor);
                }
                stages.settle(model);
                return serving;
            }
            if (request.equals(RecentRequest.DEPLOY)) {
                requireCanaryIfPolicySays(target, current);
            }
            // The stages of the revision this one replaces first, should they lag it (its writer is still settling
            // them, or stopped before): the version it put on the stable slot is then retired as the one it replaced.
            if (current.isPresent()) {
                stages.settleOf(current.get());
                // Settling may have moved the target itself (a canary that revision rolled back, still read as
                // CANARY above): judged again as it is now, so a rolled-back version is never put on all traffic.
                target = registry.getVersion(model, version);
                requireDeployable(target);
            }
            // Loaded and warmed before the switch: the first patient routed to it does not wait for the load.
            warm(target, current);
            long revision = current.map(d -> d.revision() + 1).orElse(1L);
            Instant now = clock.instant();
            Deployment stableOnly = Deployment.stableOnly(model, version, revision, actor.id(), now,
                    current.map(Deployment::etag).orElse(null));
            Deployment following = current.map(stableOnly::following).orElse(stableOnly);
            OptionalInt previous = current.map(d -> OptionalInt.of(d.stable().version())).orElse(OptionalInt.empty());
            Optional<Displaced> ended = current.flatMap(d -> Displaced.by(d, version));
            // What it takes off live traffic is kept with it, so a record completed later says it too.
            Deployment next = sent.map(s -> following.remembering(RecentRequest.of(s.key(), actor.id(), s.request(),
                    s.asked(), revision, version, now, previous, ended))).orElse(following.keeping(previous, ended));
            Deployment saved;
            try {
                saved = store.saveDeployment(next);
            } catch (ConflictException e) {
                if (e.code() != ErrorCode.CONCURRENT_MODIFICATION) {
                    throw e;
                }
                lastConflict = e;
                continue;
            }
            announce(target, saved, previous, ended, actor.id(), actor);
            stages.settle(model);
            return saved;
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the deployment of `" + model + "` kept changing"
                + " while version " + version + " was being deployed (" + MAX_ATTEMPTS + " attempts; last: "
                + lastConflict.getMessage() + "); check what else is changing it and try again");
    }

    /**
     * Puts a retired version back on all live traffic: {@code version} if given, which must be one of the
     * {@value #ROLLBACK_CHOICES} most recently retired versions, otherwise the most recently retired one (the stable
     * version before the current one). A running canary is taken off traffic like any deploy does. A rollback the
     * lifecycle refuses (nothing retired to go back to, a version that is not, one that cannot serve) is audited as one
     * refused attempt, of the version it named or went back to, or of the model.
     */
    public Deployment rollback(ModelName model, OptionalInt version, Principal actor) {
        return rollback(model, version, actor, Optional.empty()).deployment();
    }

    /**
     * {@link #rollback(ModelName, OptionalInt, Principal)} that is safe to send again under {@code key}: while the
     * revision the first request under it wrote is current, the same caller's request under the same key answers it
     * and changes nothing (it does not roll back once more, to the version the first one left); the same key naming
     * another version is refused (409).
     */
    public Outcome rollback(ModelName model, OptionalInt version, Principal actor, Optional<IdempotencyKey> key) {
        return rollback(model, version, actor, key, OptionalLong.empty());
    }

    /**
     * {@link #rollback(ModelName, OptionalInt, Principal, Optional)} on the condition that the deployment is still at
     * revision {@code expected} (when given), as for a deploy: a second operator's rollback sent on the revision the
     * first one has already rolled back is refused, rather than rolling back once more to the version before.
     */
    public Outcome rollback(ModelName model, OptionalInt version, Principal actor, Optional<IdempotencyKey> key,
            OptionalLong expected) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(expected, "expected");
        if (version.isPresent() && version.getAsInt() < 1) {
            // A version no model can have is the caller's mistake, not a refusal of the lifecycle to record.
            throw new ValidationException("\"version\" is " + version.getAsInt() + "; versions start at 1: name one"
                    + " of the last " + ROLLBACK_CHOICES + " retired versions, or send no body to roll back to the"
                    + " previous stable version");
        }
        Optional<Deployment> done = replay(model, RecentRequest.ROLLBACK, version, actor, key);
        if (done.isPresent()) {
            return new Outcome(done.get(), true);
        }
        Map<String, String> rollback = Map.of(REQUEST, "rollback");
        // Before the target is chosen from it: the version to go back to depends on the revision.
        refusals.attempt(actor, ACTION, model, version.orElse(0), rollback,
                () -> RevisionConflict.require(model, store.findDeployment(model), expected));
        // Judged on the deployment as saved: a promotion or deploy whose stages have not yet followed it (its writer is
        // still settling them, or stopped before) has replaced its stable version all the same.
        stages.settle(model);
        int target = refusals.attempt(actor, ACTION, model, version.orElse(0), rollback,
                () -> rollbackTarget(model, version));
        return new Outcome(refusals.attempt(actor, ACTION, model, target, rollback,
                () -> deployVersion(model, target, actor, RecentRequest.ROLLBACK,
                        key.map(k -> new Sent(k, RecentRequest.ROLLBACK, version)), expected)), false);
    }

    private int rollbackTarget(ModelName model, OptionalInt version) {
        // A rollback to the version that already takes all traffic (the same request again) is done, like a deploy
        // of it: refused, it would leave a record of a refusal for what it asked and got.
        if (version.isPresent() && store.findDeployment(model).filter(d -> servesOnly(d, version.getAsInt())).isPresent()) {
            return version.getAsInt();
        }
        List<VersionRecord> retired = registry.listVersions(model).stream()
                .filter(v -> v.stage() == Stage.RETIRED)
                .sorted(Comparator.comparing(DeploymentService::retiredAt).reversed())
                .limit(ROLLBACK_CHOICES)
                .toList();
        String choices = retired.isEmpty() ? "none" : retired.stream().map(v -> Integer.toString(v.version()))
                .collect(Collectors.joining(", "));
        int target;
        if (version.isPresent()) {
            target = version.getAsInt();
            if (retired.stream().noneMatch(v -> v.version() == target)) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "version " + target + " of `" + model + "` is not"
                        + " one of its last " + ROLLBACK_CHOICES + " retired versions (" + choices + "); roll back to one"
                        + " of those, or deploy an approved version");
            }
        } else {
            if (retired.isEmpty()) {
                throw new ConflictException(ErrorCode.INVALID_STATE, "`" + model + "` has no retired version to roll"
                        + " back to; a version is retired when another one replaces it on the stable slot");
            }
            // The version the deployment replaced, as its writer recorded it: retired in the same moment as others can
            // be, its retirement time alone may not tell it from them.
            OptionalInt replaced = store.findDeployment(model).map(this::replacedVersion).orElse(OptionalInt.empty());
            target = retired.stream().mapToInt(VersionRecord::version)
                    .filter(v -> replaced.isPresent() && v == replaced.getAsInt()).findFirst()
                    .orElse(retired.get(0).version());
        }
        return target;
    }

    /** The stable version the revision {@code deployment} took off live traffic, as a promotion or a deploy records it. */
    private OptionalInt replacedVersion(Deployment deployment) {
        CanaryRamp ramp = deployment.canary();
        if (ramp != null && deployment.lastChange() == null && ramp.status() == CanaryStatus.PROMOTED) {
            return OptionalInt.of(ramp.stableVersion());
        }
        return takenOff(deployment).previousVersion();
    }

    private static Instant retiredAt(VersionRecord version) {
        Instant at = Instant.MIN;
        for (StageChange change : version.history()) {
            if (change.to() == Stage.RETIRED && change.at() != null) {
                at = change.at();
            }
        }
        return at;
    }


    /**
     * Loads and warms the version, or refuses the deploy with what to fix: a version whose package cannot be read,
     * does not match its registered hashes, or does not load and run would take the model out of service. Nothing
     * has been saved at this point, so the deployment still serves what it served. An unavailable store is not
     * the version's fault and stays a retryable 503.
     */
    private void warm(VersionRecord target, Optional<Deployment> current) {
        try {
            warmer.accept(target);
        } catch (VigilException e) {
            if (e.code() == ErrorCode.STORE_UNAVAILABLE || e.code() == ErrorCode.SERVER_BUSY) {
                throw e;
            }
            String serving = current.map(d -> "it still serves version " + d.stable().version() + " (revision "
                    + d.revision() + ")").orElse("it has no deployment yet");
            throw new VigilException(ErrorCode.VERSION_NOT_SERVABLE, target.id() + " cannot be served, so it was not"
                    + " deployed and the deployment of `" + target.id().name() + "` is unchanged (" + serving + "): "
                    + e.getMessage() + ". Upload a corrected package, let it register and deploy its version, or"
                    + " restore this version's package blob from a backup", e);
        }
    }

    /**
     * Refuses a direct deploy that would replace the stable version with one that has never been stable, when the
     * model's policy requires a canary: such a version reaches patients through a canary's ramp and analysis. The
     * first deploy (nothing to compare with), the stable version itself and a version that was stable before (putting
     * back what served) are not new to patients. Nothing is changed before this, so a refusal leaves all as it was.
     */
    private void requireCanaryIfPolicySays(VersionRecord target, Optional<Deployment> current) {
        if (current.isEmpty() || current.get().stable().version() == target.version() || target.wasStable()
                || !canaryRequired.test(target.id().name())) {
            return;
        }
        ModelVersion id = target.id();
        String model = id.name().value();
        throw new ConflictException(ErrorCode.CANARY_REQUIRED, id + " has never been the stable version of `" + model
                + "`, and its gate policy requires a new version to reach patients through a canary (requireCanary),"
                + " so it was not deployed and the deployment is unchanged (its stable version is still version "
                + current.get().stable().version() + ", revision " + current.get().revision() + "). Start a canary"
                + " with POST /models/" + model + "/canary and body {\"version\": " + id.number() + "} (vigil canary"
                + " start " + model + " " + id.number() + "); to put back a version that was stable before, roll back"
                + " (POST /models/" + model + "/rollback, vigil rollback " + model + ")");
    }

    /** Only what the lifecycle lets into production: approved (or approved before and since retired or canary). */
    private static void requireDeployable(VersionRecord target) {
        if (target.stage() != Stage.PRODUCTION) {
            Lifecycle.require(target.id(), target.stage(), Stage.PRODUCTION);
        }
    }

    private static boolean servesOnly(Deployment deployment, int version) {
        return deployment.slots().size() == 1 && deployment.stable().version() == version
                && deployment.stable().weightBasisPoints() == TrafficSlot.ALL;
    }

    /**
     * Whether the call that saved {@code deployment} stopped before recording and announcing it. A call that saved it
     * less than the settle time ago is still settling it (the first click of a double click, one of many concurrent
     * requests): this call waits for that call's record and event rather than answering before the decision is
     * recorded, and completes them itself only once the settle time has passed without them.
     */
    private boolean interrupted(Deployment deployment) {
        String key = auditKey(deployment);
        Duration age = deployment.updatedAt() == null ? settleTime : Duration.between(deployment.updatedAt(), clock.instant());
        long deadline = System.nanoTime() + Math.max(0, settleTime.minus(age).toNanos());
        while (!announcements.done(key)) {
            if (System.nanoTime() >= deadline) {
                return true;
            }
            try {
                Thread.sleep(RECORD_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "interrupted while waiting for the"
                        + " deploy of revision " + deployment.revision() + " of `" + deployment.modelName()
                        + "` to be recorded; deploy again");
            }
        }
        return false;
    }

    /** The decision "this revision of the model's deployment was saved": one audit record per revision. */
    static String auditKey(Deployment deployment) {
        return ACTION + ":" + deployment.modelName().value() + ":revision-" + deployment.revision();
    }

    /**
     * Records and announces {@code saved}, which took the stable version {@code replaced} (if any, and known) and the
     * canary ramp or experiment {@code ended} (if any) off live traffic.
     */
    private void announce(VersionRecord target, Deployment saved, OptionalInt replaced, Optional<Displaced> ended,
            String decidedBy, Principal caller) {
        ModelVersion id = target.id();
        Map<String, String> details = new LinkedHashMap<>();
        Map<String, Object> data = new LinkedHashMap<>();
        details.put("revision", Long.toString(saved.revision()));
        data.put("model", id.name().value());
        data.put("version", id.number());
        data.put("revision", saved.revision());
        replaced.ifPresent(previousStable -> {
            if (previousStable != id.number()) {
                details.put(PREVIOUS_VERSION, Integer.toString(previousStable));
                data.put("previousVersion", previousStable);
            }
        });
        ended.ifPresent(displaced -> {
            details.put("displacedCanary", Integer.toString(displaced.version()));
            details.put(DISPLACED, displaced.kind());
        });
        if (!caller.id().equals(decidedBy)) {
            details.put("completedBy", caller.id());
        }
        AuditRecord record = audit.recordOnce(auditKey(saved), decidedBy, ACTION, id.subject(), "deployed", details);
        // The event's id is the record's, so a completion that races the original call announces the same event.
        // Marked after the event is out: a call that died between the record and the event leaves it to the next.
        announcements.publish(auditKey(saved), new VigilEvent(record.id(), EventTypes.MODEL_DEPLOYED,
                VigilEvent.SOURCE, id.subject(), clock.instant(), data));
    }

    /**
     * Settles every model's deployment ({@link #settle(ModelName)}); the platform's minute timer calls it, so a deploy
     * that stopped after saving its deployment is completed within a minute even if nobody deploys again.
     */
    public void settle() {
        // One model whose deployment keeps changing (or whose store call failed) does not hold up the others; the
        // failure still ends the pass, so the timer counts it and the next pass tries again.
        health.vigil.error.Failures.forEach(store.listModels(), this::settle);
    }

    /**
     * Finishes what the deploy or rollback that wrote the model's current deployment left undone, should it have stopped
     * after saving it: its versions' stages follow the deployment, and its audit record and event are completed (in
     * the name of whoever deployed, once the call that saved it has had the settle time to record it itself). Every
     * move and record is keyed on the revision, so settling a settled deployment changes nothing.
     */
    public void settle(ModelName model) {
        Optional<Deployment> found = store.findDeployment(Objects.requireNonNull(model, "model"));
        if (found.isEmpty()) {
            return;
        }
        Deployment serving = found.get();
        boolean settling = serving.updatedAt() != null
                && Duration.between(serving.updatedAt(), clock.instant()).compareTo(settleTime) < 0;
        // Only a deploy's revision (a ramp, shadow or experiment change is recorded by its own service), and without
        // waiting: a call still settling it is left to, and the next pass looks again.
        if (!settling && serving.canary() == null && serving.lastChange() == null
                && servesOnly(serving, serving.stable().version()) && interrupted(serving)) {
            announce(registry.getVersion(model, serving.stable().version()), serving, serving.replacedByItsDeploy(),
                    serving.endedByItsDeploy(), serving.updatedBy(), Principal.SYSTEM);
        }
        stages.settle(model);
    }
}

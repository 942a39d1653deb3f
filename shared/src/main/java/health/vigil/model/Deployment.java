package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import health.vigil.error.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What serves a model's traffic: a stable slot and optionally a canary (with its share of traffic) and a
 * shadow. Live weights (stable + canary) add up to 10,000 basis points; the shadow slot answers no request and its
 * weight is the share of scored requests mirrored to it (0 mirrors none). {@code revision} increases with every
 * change and {@code etag} is the store's concurrency token. {@code canary} is the last canary ramp (running,
 * paused or finished), absent when none was started since the last direct deployment; {@code experiment} likewise
 * the last A/B experiment, whose treatment arm, while it runs, is the canary slot. {@code lastChange} names the
 * action that wrote this revision when it was a shadow or experiment change (absent otherwise), so its audit record
 * and event can be completed from the document alone. {@code requests} are the recent deploy, rollback and canary start
 * requests sent under an {@link IdempotencyKey} (at most {@value #RECENT_REQUESTS}, none older than
 * {@link #REQUEST_WINDOW}), oldest first, carried forward by every revision, so that a request sent again after its
 * answer was lost finds what it did even when other changes followed it. A revision an unkeyed deploy or rollback wrote
 * keeps, as a keyed one's request does, the stable version it replaced ({@code previousVersion}) and the canary ramp or
 * experiment it ended ({@code displaced}), so that its record, completed later by the timer or a repeated deploy, says
 * what the first call's would have; both absent otherwise (and in documents written before they were kept), and neither
 * carried forward.
 */
public record Deployment(
        ModelName modelName,
        List<TrafficSlot> slots,
        long revision,
        String updatedBy,
        Instant updatedAt,
        String etag,
        @JsonInclude(JsonInclude.Include.NON_NULL) CanaryRamp canary,
        @JsonInclude(JsonInclude.Include.NON_NULL) Experiment experiment,
        @JsonInclude(JsonInclude.Include.NON_NULL) String lastChange,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<RecentRequest> requests,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer previousVersion,
        @JsonInclude(JsonInclude.Include.NON_NULL) Displaced displaced) {

    /**
     * The name of {@code requests} in the document: stored with it, left out of what callers read of it (the keys and
     * requests of other callers).
     */
    public static final String REMEMBERED_REQUESTS = "requests";
    /**
     * The names of what the document keeps of its deploy for completing its record ({@code previousVersion},
     * {@code displaced}): stored with it, left out of what callers read of it, who read the record's words instead.
     */
    public static final String KEPT_PREVIOUS = "previousVersion";
    public static final String KEPT_DISPLACED = "displaced";
    /** How many keyed requests a deployment remembers. */
    public static final int RECENT_REQUESTS = 20;
    /** How long a deployment remembers a keyed request. */
    public static final Duration REQUEST_WINDOW = Duration.ofHours(24);

    public Deployment {
        requests = requests == null ? List.of() : List.copyOf(requests);
        Objects.requireNonNull(modelName, "modelName");
        slots = List.copyOf(slots);
        Set<Slot> seen = EnumSet.noneOf(Slot.class);
        int live = 0;
        for (TrafficSlot s : slots) {
            if (!seen.add(s.slot())) {
                throw new ValidationException("deployment of " + modelName + " has slot " + s.slot().wireName() + " twice");
            }
            if (s.slot() == Slot.BATCH) {
                throw new ValidationException("deployment of " + modelName + " names the batch slot, which is not a"
                        + " traffic slot; use stable, canary or shadow");
            }
            if (s.slot() != Slot.SHADOW) {
                live += s.weightBasisPoints();
            }
        }
        if (!seen.contains(Slot.STABLE)) {
            throw new ValidationException("deployment of " + modelName + " has no stable slot");
        }
        if (live != TrafficSlot.ALL) {
            throw new ValidationException("deployment of " + modelName + " has live weights adding up to " + live
                    + " basis points; stable and canary must add up to 10000 (100 %)");
        }
        if (canary != null && canary.status().live()) {
            TrafficSlot canarySlot = slots.stream().filter(s -> s.slot() == Slot.CANARY).findFirst().orElseThrow(
                    () -> new ValidationException("deployment of " + modelName + " has a live canary ramp but no canary slot"));
            if (canarySlot.version() != canary.version()) {
                throw new ValidationException("deployment of " + modelName + " ramps version " + canary.version()
                        + " but its canary slot holds version " + canarySlot.version());
            }
        }
        if (experiment != null && experiment.running()) {
            if (canary != null && canary.status().live()) {
                throw new ValidationException("deployment of " + modelName + " cannot run a canary ramp and an"
                        + " experiment at once");
            }
            TrafficSlot treatment = slots.stream().filter(s -> s.slot() == Slot.CANARY).findFirst().orElse(null);
            if (treatment == null || treatment.version() != experiment.treatmentVersion()
                    || treatment.weightBasisPoints() != experiment.treatmentBasisPoints()
                    || slots.stream().noneMatch(s -> s.slot() == Slot.STABLE && s.version() == experiment.controlVersion())) {
                throw new ValidationException("deployment of " + modelName + " runs an experiment of version "
                        + experiment.treatmentVersion() + " against " + experiment.controlVersion()
                        + " but its slots do not hold them at the experiment's split");
            }
        }
    }

    public Deployment(ModelName modelName, List<TrafficSlot> slots, long revision, String updatedBy, Instant updatedAt,
            String etag, CanaryRamp canary, Experiment experiment, String lastChange) {
        this(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange, List.of());
    }

    public Deployment(ModelName modelName, List<TrafficSlot> slots, long revision, String updatedBy, Instant updatedAt,
            String etag, CanaryRamp canary, Experiment experiment, String lastChange, List<RecentRequest> requests) {
        this(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange, requests, null,
                null);
    }

    /**
     * Reads a stored document. One written before the history of requests named only the key of the request that wrote
     * it ({@code requestKey}); that request is remembered as this revision's.
     */
    @JsonCreator
    static Deployment read(@JsonProperty("modelName") ModelName modelName,
            @JsonProperty("slots") List<TrafficSlot> slots, @JsonProperty("revision") long revision,
            @JsonProperty("updatedBy") String updatedBy, @JsonProperty("updatedAt") Instant updatedAt,
            @JsonProperty("etag") String etag, @JsonProperty("canary") CanaryRamp canary,
            @JsonProperty("experiment") Experiment experiment, @JsonProperty("lastChange") String lastChange,
            @JsonProperty("requests") List<RecentRequest> requests, @JsonProperty("requestKey") String requestKey,
            @JsonProperty(KEPT_PREVIOUS) Integer previousVersion, @JsonProperty(KEPT_DISPLACED) Displaced displaced) {
        Deployment read = new Deployment(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment,
                lastChange, requests, previousVersion, displaced);
        if (requestKey == null || !read.requests.isEmpty()) {
            return read;
        }
        return read.remembering(new RecentRequest(requestKey, updatedBy, null, null, revision, read.stable().version(),
                updatedAt, null, null, null));
    }

    public Deployment(ModelName modelName, List<TrafficSlot> slots, long revision, String updatedBy, Instant updatedAt,
            String etag, CanaryRamp canary) {
        this(modelName, slots, revision, updatedBy, updatedAt, etag, canary, null, null);
    }

    public Deployment(ModelName modelName, List<TrafficSlot> slots, long revision, String updatedBy, Instant updatedAt,
            String etag) {
        this(modelName, slots, revision, updatedBy, updatedAt, etag, null, null, null);
    }

    /** The same deployment with the store's concurrency token. */
    public Deployment withEtag(String newEtag) {
        return new Deployment(modelName, slots, revision, updatedBy, updatedAt, newEtag, canary, experiment, lastChange,
                requests, previousVersion, displaced);
    }

    /**
     * This revision as the one after {@code previous}: it remembers the keyed requests {@code previous} remembered, so a
     * change that is not a keyed request (a canary step, a shadow) does not make a retried one new.
     */
    public Deployment following(Deployment previous) {
        return withRequests(previous.requests);
    }

    /** The same deployment, remembering {@code request} too (the oldest and those past the window forgotten). */
    public Deployment remembering(RecentRequest request) {
        List<RecentRequest> all = new ArrayList<>(requests);
        all.add(request);
        return withRequests(all);
    }

    private Deployment withRequests(List<RecentRequest> all) {
        List<RecentRequest> kept = all.stream().filter(r -> within(r, updatedAt)).toList();
        kept = kept.subList(Math.max(0, kept.size() - RECENT_REQUESTS), kept.size());
        return new Deployment(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange,
                kept, previousVersion, displaced);
    }

    /**
     * The same deployment, keeping what the unkeyed deploy that wrote it took off live traffic: the stable version
     * {@code previous} and the canary ramp or experiment {@code ended}.
     */
    public Deployment keeping(OptionalInt previous, Optional<Displaced> ended) {
        return new Deployment(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange,
                requests, previous.isPresent() ? previous.getAsInt() : null, ended.orElse(null));
    }

    private static boolean within(RecentRequest request, Instant now) {
        return now == null || !request.at().isBefore(now.minus(REQUEST_WINDOW));
    }

    /**
     * The request {@code caller} sent under {@code key}, if this deployment remembers it and it is not older than the
     * window at {@code now} (the same key of another caller is not theirs).
     */
    public Optional<RecentRequest> request(String caller, IdempotencyKey key, Instant now) {
        return requests.stream().filter(r -> r.sentBy(caller, key) && within(r, now)).reduce((first, last) -> last);
    }

    /**
     * The stable version this revision replaced, as the keyed request that wrote it remembers it or else the document
     * kept it; empty when neither did (a revision no deploy wrote, or one written before it was kept).
     */
    @JsonIgnore
    public OptionalInt replacedByItsDeploy() {
        return itsRequest().map(RecentRequest::previous)
                .orElse(previousVersion == null ? OptionalInt.empty() : OptionalInt.of(previousVersion));
    }

    /**
     * The canary ramp or experiment this revision ended, as the keyed request that wrote it remembers it or else the
     * document kept it; empty when it ended none (or neither kept it).
     */
    @JsonIgnore
    public Optional<Displaced> endedByItsDeploy() {
        return itsRequest().map(RecentRequest::ended).orElse(Optional.ofNullable(displaced));
    }

    private Optional<RecentRequest> itsRequest() {
        return requests.stream().filter(r -> r.revision() == revision).reduce((first, last) -> last);
    }

    /** A deployment with every live request going to one version. */
    public static Deployment stableOnly(ModelName model, int version, long revision, String by, Instant at, String etag) {
        return new Deployment(model, List.of(new TrafficSlot(Slot.STABLE, version, TrafficSlot.ALL)), revision, by, at, etag);
    }

    /**
     * The cause the stage moves this revision implies are recorded under: the canary ramp's revision when a canary
     * change wrote it, else the deploy's. Whoever settles the stages of a revision (the call that wrote it, or one that
     * finds it unsettled) records them under the same cause, so they are made and audited once.
     */
    @JsonIgnore
    public String stageCause() {
        boolean rampChange = canary != null && lastChange == null;
        return (rampChange ? "canary:" : "deployment:") + modelName.value() + ":revision-" + revision;
    }

    public Optional<TrafficSlot> slot(Slot slot) {
        return slots.stream().filter(s -> s.slot() == slot).findFirst();
    }

    /**
     * Whether the shadow slot mirrors {@code version} to live traffic now: a stopped shadow keeps its slot at weight
     * 0 for its report and mirrors nothing.
     */
    public boolean mirrors(int version) {
        return slot(Slot.SHADOW).filter(s -> s.weightBasisPoints() > 0 && s.version() == version).isPresent();
    }

    /**
     * The versions that answer requests (stable and canary slots), each once, in ascending order: the ones a request
     * may name. The shadow's is left out: it answers no request, and may be a version retired or rolled back.
     */
    @JsonIgnore
    public List<Integer> liveVersions() {
        return slots.stream().filter(s -> s.slot() != Slot.SHADOW).map(TrafficSlot::version).distinct().sorted()
                .toList();
    }

    /** Whether the deployment holds {@code version} in any slot. */
    public boolean holds(int version) {
        return slots.stream().anyMatch(s -> s.version() == version);
    }

    /** The stable or canary slot holding {@code version}; empty when it is in no slot or in the shadow slot only. */
    public Optional<TrafficSlot> liveSlot(int version) {
        return slots.stream().filter(s -> s.slot() != Slot.SHADOW && s.version() == version).findFirst();
    }

    /**
     * The salt of the patients' buckets on the canary slot now: the running experiment's, else the live canary ramp's;
     * null when neither has one (started before salts) or neither holds the slot.
     */
    @JsonIgnore
    public String bucketSalt() {
        if (experiment != null && experiment.running()) {
            return experiment.bucketSalt();
        }
        return canary != null && canary.status().live() ? canary.bucketSalt() : null;
    }

    /** The experiment whose treatment holds the canary slot now, if one runs. */
    @JsonIgnore
    public Optional<Experiment> runningExperiment() {
        return Optional.ofNullable(experiment).filter(Experiment::running);
    }

    @JsonIgnore
    public TrafficSlot stable() {
        return slot(Slot.STABLE).orElseThrow();
    }
}

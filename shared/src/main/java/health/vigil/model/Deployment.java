package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What serves a model's traffic: a stable slot and optionally a canary (with its share of traffic) and a
 * shadow. Live weights (stable + canary) add up to 10,000 basis points; the shadow slot answers no request and its
 * weight is the share of scored requests mirrored to it (0 mirrors none). {@code revision} increases with every
 * change and {@code etag} is the store's concurrency token. {@code canary} is the last canary ramp (running,
 * paused or finished), absent when none was started since the last direct deployment; {@code experiment} likewise
 * the last A/B experiment, whose treatment arm, while it runs, is the canary slot. {@code lastChange} names the
 * action that wrote this revision when it was a shadow or experiment change (absent otherwise), so its audit record
 * and event can be completed from the document alone. {@code requestKey} is the {@link IdempotencyKey} of the deploy or
 * rollback request that wrote this revision, if it sent one, so that the same request sent again finds it done.
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
        @JsonInclude(JsonInclude.Include.NON_NULL) String requestKey) {

    public Deployment {
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
        this(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange, null);
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
                requestKey);
    }

    /** The same deployment, written by the request {@code updatedBy} sent under this {@code Idempotency-Key}. */
    public Deployment withRequestKey(IdempotencyKey key) {
        return new Deployment(modelName, slots, revision, updatedBy, updatedAt, etag, canary, experiment, lastChange,
                key.value());
    }

    /** Whether {@code caller}'s request under {@code key} wrote this revision (the same key of another caller did not). */
    public boolean writtenBy(String caller, IdempotencyKey key) {
        return key.value().equals(requestKey) && caller.equals(updatedBy);
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

    /** The versions the deployment holds in any slot (stable, canary, shadow), each once, in ascending order. */
    @JsonIgnore
    public List<Integer> versions() {
        return slots.stream().map(TrafficSlot::version).distinct().sorted().toList();
    }

    /** Whether the deployment holds {@code version} in any slot. */
    public boolean holds(int version) {
        return slots.stream().anyMatch(s -> s.version() == version);
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

package health.vigil.monitoring;


import health.vigil.audit.AuditLog;
import health.vigil.audit.OnceKeys;
import health.vigil.config.VigilConfig;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.Failures;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.features.FeaturePipeline;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.SegmentColumns;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.modelpackage.VerifiedPackageExtractor;
import health.vigil.port.ArtifactStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.StoredJson;
import health.vigil.port.Telemetry;
import health.vigil.port.WorkQueue;
import health.vigil.registry.ModelRegistry;
import health.vigil.text.Words;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The scheduled monitoring check: for every deployed model, each version and slot the window's prediction log holds
 * (batch jobs' predictions as slot {@code batch}) and the deployed stable version, reads the last complete window of the
 * prediction log as a stream (memory bounded by features times bins for drift, and by segments times bins for the
 * labelled part, see {@link LabelledSummary}), compares it with the version's training reference, joins the outcomes
 * that have arrived, measures realised performance overall and per segment, judges the window by the model's {@link MonitoringPolicy}, stores the report once, audits the check
 * once ({@link AuditLog#recordOnce}, keyed on the report id) and announces drift, degraded performance and retraining
 * requests with the audit record's id as the event id. A second run over the same window (a timer fired twice, a
 * replay) finds the stored report and the audit record and writes nothing new; it re-publishes the same event ids,
 * which consumers see as one event.
 *
 * <p>A window is checked partition by partition of the prediction log ({@link PredictionLog#partitions}): each
 * partition gives a partial summary and the partials are merged in partition order. A small window is done so in one
 * invocation; a large one is fanned out, one queued invocation per partition, and merged by whichever finds every
 * partial present (ADR 0013). Both merge the same partials in the same order, so they give the same report.
 */
public final class MonitoringService {
    public static final String ACTOR = "system:drift-check";
    public static final String CHECK_ACTION = OnceKeys.MONITORING_CHECK;
    public static final String RETRAIN_ACTION = OnceKeys.RETRAIN_REQUEST;
    /** Who asked for a window to be checked, once per window: the check itself is the platform's act. */
    public static final String RUN_ACTION = "monitoring.run";
    /** A noted window the timer stopped checking, its await limit after it settled, once per window. */
    public static final String ABANDON_ACTION = "monitoring.window.abandoned";
    /** A note of a window that no window could be read from, kept aside and no longer read, once per note. */
    public static final String UNREADABLE_NOTE_ACTION = "monitoring.note.unreadable";
    private static final int JOIN_BATCH = 1_000;

    /**
     * How long after a drifted window settled its report waits, by default, for the final report of a window before
     * it that its count of drifted windows in a row needs, and the timer keeps checking a window it could not finish:
     * {@link VigilConfig#DEFAULT_MONITORING_AWAIT_LIMIT}, set by {@code VIGIL_MONITORING_AWAIT_SECONDS}.
     */
    public static final Duration DEFAULT_AWAIT_LIMIT = VigilConfig.DEFAULT_MONITORING_AWAIT_LIMIT;

    private final ModelRegistry registry;
    private final ArtifactStore artifacts;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final PredictionLog predictions;
    private final OutcomeJoin outcomes;
    private final MonitoringReports reports;
    private final AuditLog audit;
    private final EventPublisher events;
    private final Telemetry telemetry;
    private final Clock clock;
    private final Function<ModelName, MonitoringPolicy> policies;
    private final RetrainPolicy retrain;
    private final VerifiedPackageExtractor extractor;
    private final Function<ModelName, SegmentColumns> segmentColumns;
    private final Optional<WorkQueue> queue;
    private final int fanOutAbove;
    private final Duration settling;
    private final Duration awaitLimit;
    /** Plans and partial summaries of fanned-out checks, beside the reports. */
    private final StoredJson documents;

    /**
     * @param queue where the partitions of a large window are queued; empty where no function listens on
     *     {@value WorkQueue#MONITORING_PARTITIONS} (an embedded platform), so every check is one invocation
     * @param fanOutAbove a window over more log partitions than this is fanned out (when there is a queue)
     * @param settling how long after its end a window's log is taken as complete: predictions of requests in flight
     *     at the end, or of an instance whose clock runs behind, are still written until then
     */
    public MonitoringService(ModelRegistry registry, ArtifactStore artifacts, Function<Manifest, FeaturePipeline> pipelines,
            PredictionLog predictions, OutcomeJoin outcomes, AuditLog audit, EventPublisher events, Telemetry telemetry,
            Clock clock, Function<ModelName, MonitoringPolicy> policies, RetrainPolicy retrain, long maxEntryBytes,
            Function<ModelName, SegmentColumns> segmentColumns, Optional<WorkQueue> queue, int fanOutAbove,
            Duration settling) {
        this(registry, artifacts, pipelines, predictions, outcomes, audit, events, telemetry, clock, policies, retrain,
                maxEntryBytes, segmentColumns, queue, fanOutAbove, settling, DEFAULT_AWAIT_LIMIT);
    }

    /**
     * @param awaitLimit how long after a drifted window settled its report waits for the final report of a window
     *     before it that its count needs; after that the earlier window is counted as not drifted and the report is
     *     final
     * @see #MonitoringService(ModelRegistry, ArtifactStore, Function, PredictionLog, OutcomeJoin, AuditLog,
     *     EventPublisher, Telemetry, Clock, Function, RetrainPolicy, long, Function, Optional, int, Duration)
     */
    public MonitoringService(ModelRegistry registry, ArtifactStore artifacts,
            Function<Manifest, FeaturePipeline> pipelines, PredictionLog predictions, OutcomeJoin outcomes,
            AuditLog audit, EventPublisher events, Telemetry telemetry, Clock clock,
            Function<ModelName, MonitoringPolicy> policies, RetrainPolicy retrain, long maxEntryBytes,
            Function<ModelName, SegmentColumns> segmentColumns, Optional<WorkQueue> queue, int fanOutAbove,
            Duration settling, Duration awaitLimit) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.reports = new MonitoringReports(artifacts);
        this.audit = Objects.requireNonNull(audit, "audit");
        this.events = Objects.requireNonNull(events, "events");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policies = Objects.requireNonNull(policies, "policies");
        this.retrain = Objects.requireNonNull(retrain, "retrain");
        this.extractor = new VerifiedPackageExtractor(maxEntryBytes);
        this.segmentColumns = Objects.requireNonNull(segmentColumns, "segmentColumns");
        this.queue = Objects.requireNonNull(queue, "queue");
        if (fanOutAbove < 1) {
            throw new IllegalArgumentException("fanOutAbove must be at least 1 partition");
        }
        this.fanOutAbove = fanOutAbove;
        this.settling = Objects.requireNonNull(settling, "settling");
        this.awaitLimit = Objects.requireNonNull(awaitLimit, "awaitLimit");
        if (awaitLimit.isNegative()) {
            throw new IllegalArgumentException("awaitLimit must not be negative");
        }
        this.documents = new StoredJson(artifacts, ArtifactStore.MONITORING);
    }

    public MonitoringReports reports() {
        return reports;
    }

    /** The monitoring policy {@code model}'s windows are judged by. */
    public MonitoringPolicy policy(ModelName model) {
        return policies.apply(model);
    }

    /**
     * Checks the last complete window of every deployed model (the timer's work): windows have the length of the
     * model's policy and are aligned to it from the epoch, so every run in the same window checks the same one. A model
     * whose window cannot be checked now (a store or the event topic unavailable) keeps no other model from being
     * checked; its window is noted, as one checked before it settled is, and the next run checks it again, so its
     * report, its events and its retraining request are not lost with the run. A fanned-out window still pending is
     * noted too: the next run merges it, or queues again the partitions whose messages were lost.
     */
    public MonitoringRun checkAll() {
        List<MonitoringReport> done = new ArrayList<>();
        List<MonitoringRun.Pending> pending = new ArrayList<>();
        Instant now = clock.instant();
        Failures failed = new Failures();
        for (ModelName model : registry.listModels()) {
            if (registry.deployment(model).isPresent()) {
                finaliseSettled(model, now, done, pending, failed);
                Duration window = policies.apply(model).window();
                Instant to = windowEnd(now, window);
                Instant from = to.minus(window);
                try {
                    MonitoringRun run = check(model, from, to);
                    done.addAll(run.reports());
                    pending.addAll(run.pending());
                    if (!run.pending().isEmpty()) {
                        noteForAnotherRun(model, from, to);
                    }
                } catch (RuntimeException e) {
                    failed.add(e);
                    try {
                        noteForAnotherRun(model, from, to);
                    } catch (RuntimeException notNoted) {
                        failed.add(notNoted);
                    }
                }
            }
        }
        // Every window that could be checked was; the run fails so that the failure is seen and retried.
        failed.throwIfAny();
        return new MonitoringRun(done, pending);
    }

    /**
     * Notes {@code [from, to)} of {@code model} as a window the next run checks again ({@link #finaliseSettled}), which
     * forgets it once all its reports are final; noting a window already noted changes nothing.
     */
    private void noteForAnotherRun(ModelName model, Instant from, Instant to) {
        documents.createOnce(unsettledName(model, from, to), new UnsettledWindow(model.value(), from, to));
    }

    /**
     * Checks again the windows of {@code model} checked before they settled (by hand, any window), or that an earlier
     * timer's run could not check or left pending, that have settled by {@code now}, so their provisional reports are
     * replaced by final ones and a missing one is made; a window is forgotten once all its reports are final. A window
     * that cannot be finalised now is left for the next run and does not keep the others, or the timer's own window,
     * from being checked: its failure is added to {@code failed}. A window still not finalised the await limit after it
     * settled is abandoned: recorded once as {@value #ABANDON_ACTION} with the reason, and forgotten. The run that
     * abandons a window queues none of its partitions again: it merges a fanned-out check whose partials are all
     * present, and otherwise leaves nothing in the queue to report the window after the record. A note no window
     * can be read from is set aside ({@link #readNote}) and fails no run. Only the note as it was read is forgotten
     * ({@link #forget}): one written anew meanwhile, under the same name, stays for the next run.
     */
    private void finaliseSettled(ModelName model, Instant now, List<MonitoringReport> done,
            List<MonitoringRun.Pending> pending, Failures failed) {
        for (ArtifactStore.StoredArtifact blob : artifacts.list(ArtifactStore.MONITORING, unsettledPrefix(model))) {
            Optional<UnsettledWindow> window;
            try {
                window = readNote(model, blob);
            } catch (RuntimeException e) {
                failed.add(e);
                continue;
            }
            if (window.isEmpty() || !settledAt(window.get().to(), now)) {
                continue;
            }
            boolean last = settledAt(window.get().to().plus(awaitLimit), now);
            String unfinished;
            RuntimeException failure = null;
            try {
                MonitoringRun run = check(model, window.get().from(), window.get().to(), !last);
                done.addAll(run.reports());
                pending.addAll(run.pending());
                if (run.pending().isEmpty() && run.reports().stream().noneMatch(MonitoringReport::provisional)) {
                    forget(blob);
                    continue;
                }
                unfinished = run.pending().isEmpty() ? "its reports were still provisional"
                        : "its check fanned out over the prediction log's partitions was still waiting for "
                        + run.pending().stream().mapToInt(p -> p.partitions() - p.done()).sum() + " of them";
            } catch (RuntimeException e) {
                failure = e;
                unfinished = "its check still failed ("
                        + (e instanceof VigilException v ? v.code().name() : e.getClass().getSimpleName()) + ")";
            }
            if (last) {
                // The failures of its earlier runs were seen; the record says why it is no longer checked.
                try {
                    abandon(model, window.get(), unfinished);
                    forget(blob);
                    continue;
                } catch (RuntimeException e) {
                    failed.add(e);
                }
            }
            if (failure != null) {
                failed.add(failure);
            }
        }
    }

    /**
     * Records once that the timer stopped checking a noted window, {@code unfinished} saying in what state: runs that
     * abandon it together, or again after the note was written anew, find the one record. No later timer's run checks
     * the window, and a partition of it delivered later merges nothing ({@link #heldForAnOperator}); a check asked for
     * it by hand still can, and the windows after it count it as not drifted until it has a final report.
     */
    private void abandon(ModelName model, UnsettledWindow window, String unfinished) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", window.from().toString());
        details.put("to", window.to().toString());
        details.put("reason", unfinished + " " + Words.duration(awaitLimit) + " after the window settled, so the"
                + " scheduled check no longer checks it; check it by hand once the cause is fixed");
        audit.recordOnce(abandonedKey(model, window.from(), window.to()), ACTOR, ABANDON_ACTION,
                "/models/" + model.value() + "/monitoring", "abandoned", details);
    }

    /**
     * Removes a note if it is still the version that was read: one written anew since (another run forgot or set it
     * aside, and a check noted the window again) is kept, and the next run reads it.
     */
    private void forget(ArtifactStore.StoredArtifact note) {
        try {
            artifacts.delete(ArtifactStore.MONITORING, note.name(), note.etag());
        } catch (ConflictException notedAgain) {
            // kept for the next run
        }
    }

    /**
     * The window noted as {@code listed}, of the version listed, empty when the note is gone or was written anew since
     * (the next run reads it). A note no window of {@code model} can be read from (not JSON, or not of the shape
     * {@link #noteForAnotherRun} writes) would fail every run, as nothing bounds it: it is set aside instead
     * ({@link #setAside}) and is empty too. A note the store cannot read now fails.
     */
    private Optional<UnsettledWindow> readNote(ModelName model, ArtifactStore.StoredArtifact listed) {
        String name = listed.name();
        byte[] bytes;
        try (InputStream in = artifacts.open(ArtifactStore.MONITORING, name, 0, listed.etag())) {
            bytes = in.readAllBytes();
        } catch (NotFoundException | ConflictException gone) {
            return Optional.empty(); // finalised or set aside by a concurrent run, or noted again since it was listed
        } catch (IOException e) {
            throw new StoreException("cannot read " + ArtifactStore.MONITORING + "/" + name, e);
        }
        UnsettledWindow window;
        try {
            window = Json.read(ArtifactStore.MONITORING + "/" + name, bytes, UnsettledWindow.class);
        } catch (ValidationException unreadable) {
            window = null;
        }
        if (window == null || !model.value().equals(window.model()) || window.from() == null
                || window.to() == null) {
            setAside(model, listed, bytes);
            return Optional.empty();
        }
        return Optional.of(window);
    }

    /**
     * Keeps the bytes of an unreadable note as {@code unreadable/<model>/<sha256>} in the monitoring container,
     * records once that it was set aside ({@value #UNREADABLE_NOTE_ACTION}, naming the note and the copy, never what
     * it holds) and removes the note as it was read, so no later run reads it (a note written anew since is kept). Runs
     * that do it together, or a replay after a crash between the steps, find the copy and the record there and write
     * neither again.
     */
    private void setAside(ModelName model, ArtifactStore.StoredArtifact note, byte[] bytes) {
        String name = note.name();
        String sha256 = Sha256.hex(bytes);
        String kept = "unreadable/" + model.value() + "/" + sha256;
        try {
            artifacts.put(ArtifactStore.MONITORING, kept, new ByteArrayInputStream(bytes), false);
        } catch (ConflictException keptBefore) {
            // the same bytes, kept by an earlier or concurrent run
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("note", name);
        details.put("keptAs", kept);
        details.put("reason", "no window could be read from the note (it is not JSON of the model, 'from' and 'to'"
                + " of a window), so the scheduled check no longer reads it; its bytes are kept as "
                + ArtifactStore.MONITORING + "/" + kept + "; check the window by hand if one is missing");
        audit.recordOnce(unreadableKey(model, name, sha256), ACTOR, UNREADABLE_NOTE_ACTION,
                "/models/" + model.value() + "/monitoring", "set_aside", details);
        forget(note);
    }

    /** The once-key of the {@value #UNREADABLE_NOTE_ACTION} record of the note {@code name} holding these bytes. */
    static String unreadableKey(ModelName model, String name, String sha256) {
        return UNREADABLE_NOTE_ACTION + ":" + model.value() + ":" + Sha256.hex(name + ":" + sha256);
    }

    /** The once-key of the {@value #ABANDON_ACTION} record of {@code model}'s window {@code [from, to)}. */
    static String abandonedKey(ModelName model, Instant from, Instant to) {
        return ABANDON_ACTION + ":" + model.value() + ":" + from + ":" + to;
    }

    /** A window checked before it settled, or that a run could not finish, which a later run checks again. */
    record UnsettledWindow(String model, Instant from, Instant to) {}

    /** An abandoned window a check asked for by hand resumed, {@code at} the first such check. */
    record ResumedWindow(String model, Instant from, Instant to, Instant at) {}

    /** {@code resumed/<model>/<from>--<to>.json} in the monitoring container. */
    static String resumedName(ModelName model, Instant from, Instant to) {
        return "resumed/" + model.value() + "/" + MonitoringReport.compact(from) + "--" + MonitoringReport.compact(to)
                + ".json";
    }

    /** {@code unsettled/<model>/} in the monitoring container. */
    static String unsettledPrefix(ModelName model) {
        return "unsettled/" + model.value() + "/";
    }

    /** The note of {@code model}'s window {@code [from, to)} under {@link #unsettledPrefix}. */
    private static String unsettledName(ModelName model, Instant from, Instant to) {
        return unsettledPrefix(model) + MonitoringReport.compact(from) + "--" + MonitoringReport.compact(to) + ".json";
    }

    /** Which rule of a window {@code [from, to)} is broken, if one is, as a 400 that names it. */
    private void checkWindow(Instant from, Instant to) {
        String broken = from.getNano() != 0 || to.getNano() != 0 ? "'from' and 'to' must be whole seconds"
                : !from.isBefore(to) ? "'from' must be before 'to'"
                : to.isAfter(clock.instant()) ? "'to' is in the future; a window is checked once it has passed"
                : Duration.between(from, to).compareTo(Duration.ofDays(31)) > 0 ? "the window is longer than 31 days"
                : null;
        if (broken != null) {
            throw new health.vigil.error.ValidationException(broken + " (a monitoring window is whole seconds,"
                    + " 'from' before 'to', 'to' not in the future, at most 31 days long)");
        }
    }

    /**
     * Checks every version and slot that served {@code model}'s predictions over {@code [from, to)} (whole seconds,
     * {@code to} not in the future, at most 31 days), as the prediction log of the window holds them: a canary rolled
     * back or promoted before the check, and batch jobs' predictions (slot {@code batch}, judged like a slot and never
     * asking for retraining), are reported like the slots deployed now. The deployment's stable version is reported
     * every window, with or without predictions. A window checked before is answered from its stored reports. A window
     * over more log partitions than the fan-out threshold, on a platform with a work queue, is planned and queued one
     * partition per message ({@link #checkPartition}); its report is pending until the last partition merges it.
     */
    public MonitoringRun check(ModelName model, Instant from, Instant to) {
        return check(model, from, to, true);
    }

    /**
     * @param queueMissing whether a fanned-out check queues its partitions that have no partial yet; the run that
     *     abandons the window does not
     */
    private MonitoringRun check(ModelName model, Instant from, Instant to, boolean queueMissing) {
        checkWindow(from, to);
        MonitoringPolicy policy = policies.apply(model);
        Optional<Deployment> deployment = registry.deployment(model);
        if (deployment.isEmpty()) {
            throw new VigilException(ErrorCode.NOT_FOUND, model.value() + " is not deployed; there is nothing to"
                    + " monitor (deploy a version first)");
        }
        VersionRecord stable = registry.getVersion(model, deployment.get().slots().stream()
                .filter(s -> s.slot() == Slot.STABLE).findFirst().orElseThrow().version());
        if (!settledAt(to, clock.instant())) {
            noteForAnotherRun(model, from, to);
        }
        List<MonitoringReport> done = new ArrayList<>();
        List<MonitoringRun.Pending> pending = new ArrayList<>();
        java.util.SortedSet<Served> served = new java.util.TreeSet<>();
        Optional<ServedInWindow> stored = documents.find(servedName(model, from, to), ServedInWindow.class);
        if (stored.isPresent()) {
            served.addAll(stored.get().served());
        } else {
            // The first check of the window: the stable slot's check reads every partition of it, and the pairs the
            // log served are collected in that same read.
            Instant readAt = clock.instant();
            Optional<java.util.Set<Served>> seen = checkSlot(stable, Slot.STABLE, from, to, policy, done, pending,
                    queueMissing);
            if (seen.isEmpty() && !pending.isEmpty()) {
                // Fanned out: the pairs are known once its partitions are read, and the merge checks the others.
                return new MonitoringRun(done, pending);
            }
            served.addAll(keepServed(model, from, to, seen.orElseGet(() -> readServed(model, from, to)), readAt));
        }
        served.add(new Served(stable.version(), Slot.STABLE));
        for (Served s : served) {
            boolean checked = s.slot() == Slot.STABLE && s.version() == stable.version() && stored.isEmpty();
            if (!checked) {
                checkSlot(registry.getVersion(model, s.version()), s.slot(), from, to, policy, done, pending,
                        queueMissing);
            }
        }
        done.sort(IN_SERVED_ORDER);
        if (settledAt(to, clock.instant()) && done.stream().anyMatch(MonitoringReport::provisional)) {
            noteForAnotherRun(model, from, to); // a report waiting for an earlier window's final one
        }
        return new MonitoringRun(done, pending);
    }

    /**
     * The versions and slots of {@code model}'s predictions in the window, read from the partitions of the log that
     * exist for it: for a window whose stable slot was checked before the pairs were kept (its report answered from
     * the store, so its read collected nothing).
     */
    private java.util.Set<Served> readServed(ModelName model, Instant from, Instant to) {
        java.util.Set<Served> served = new java.util.TreeSet<>();
        for (PredictionLog.Partition partition : predictions.partitions(model, from, to)) {
            predictions.scan(model, partition, from, to, r -> served.add(new Served(r.version(), r.slot())));
        }
        return served;
    }

    /**
     * Stores the pairs of a window read at {@code readAt} beside the reports, so every later run of the window (a
     * replay, the timer on another instance) reads one small document instead of the window; the stored list wins
     * over this one if another run wrote it first. A window that had not settled when it was read is not stored:
     * predictions stamped before its end may still have been on their way, and a later run reads the pairs again.
     */
    private List<Served> keepServed(ModelName model, Instant from, Instant to, java.util.Set<Served> served,
            Instant readAt) {
        if (!settledAt(to, readAt)) {
            return List.copyOf(served);
        }
        return documents.createOnce(servedName(model, from, to), new ServedInWindow(model.value(), from, to,
                List.copyOf(served))).served();
    }

    /** Whether a window ending at {@code to} had settled at {@code at}: its log then holds all it will hold. */
    private boolean settledAt(Instant to, Instant at) {
        return !to.plus(settling).isAfter(at);
    }

    /** Reports in the order of their pairs: stable first, then by version. */
    private static final java.util.Comparator<MonitoringReport> IN_SERVED_ORDER = java.util.Comparator.comparing(
            r -> new Served(r.version(), Slot.fromWire(r.slot())));

    /** A version and the slot it served predictions in: one report per window. Ordered stable first, then by version. */
    record Served(int version, Slot slot) implements Comparable<Served> {
        @Override
        public int compareTo(Served other) {
            return java.util.Comparator.comparing(Served::slot).thenComparingInt(Served::version).compare(this, other);
        }
    }

    /** The versions and slots a window of a model's prediction log holds. */
    record ServedInWindow(String model, Instant from, Instant to, List<Served> served) {
        ServedInWindow {
            served = List.copyOf(served);
        }
    }

    /** {@code served/<model>/<from>--<to>.json} in the monitoring container. */
    static String servedName(ModelName model, Instant from, Instant to) {
        return "served/" + model.value() + "/" + MonitoringReport.compact(from) + "--" + MonitoringReport.compact(to)
                + ".json";
    }

    /**
     * Checks one version's predictions in one slot over the window, adding its report to {@code done} or its
     * fanned-out check to {@code pending}; a window without batch predictions adds neither. Answers the versions and
     * slots of every prediction of the window when the check read them all (the report was not stored yet, and the
     * check was done or merged now); empty otherwise. {@code queueMissing} as {@link #fanOut} takes it.
     */
    private Optional<java.util.Set<Served>> checkSlot(VersionRecord version, Slot slot, Instant from, Instant to,
            MonitoringPolicy policy, List<MonitoringReport> done, List<MonitoringRun.Pending> pending,
            boolean queueMissing) {
        ModelName model = version.modelName();
        String id = MonitoringReport.idOf(model.value(), version.version(), slot.wireName(), from, to);
        Optional<MonitoringReport> stored = reports.find(id);
        Instant readFrom = clock.instant();
        // A provisional report stands until its window has settled; the first check after that replaces it.
        if (stored.isPresent() && !(stored.get().provisional() && settledAt(to, readFrom))) {
            done.add(settle(stored.get(), version));
            return Optional.empty();
        }
        List<PredictionLog.Partition> partitions = predictions.partitions(model, from, to);
        ServedPairs seen = new ServedPairs();
        // A window that has not settled is read in one invocation: a plan and partials are written once, and the final
        // check would merge the same early partials again.
        if (queue.isPresent() && partitions.size() > fanOutAbove && settledAt(to, readFrom)) {
            MonitoringPlan plan = documents.createOnce(planName(id), new MonitoringPlan(id, model.value(),
                    version.version(), slot.wireName(), from, to, policy, segmentColumns.apply(model),
                    partitions, clock.instant()));
            if (!fanOut(plan, version, done, seen, queueMissing)) {
                pending.add(pending(plan));
                return Optional.empty();
            }
        } else {
            // One invocation: the same partials, built and merged in the same order as a fanned-out check.
            WindowCheck check = new WindowCheck(version, slot, from, to, policy, segmentColumns.apply(model),
                    readFrom);
            check.report(id, partitions.stream().map(p -> seen.add(check.partial(id, p))))
                    .ifPresent(report -> done.add(settle(reports.store(report), version)));
        }
        return seen.all();
    }

    /** The versions and slots the partials of a window saw, as they are merged. */
    private static final class ServedPairs {
        private final java.util.Set<Served> served = new java.util.TreeSet<>();
        private boolean unknown;

        MonitoringPartial add(MonitoringPartial partial) {
            if (partial.served() == null) {
                unknown = true; // a partial stored before partials kept their pairs
            } else {
                served.addAll(partial.served());
            }
            return partial;
        }

        /** The pairs of every partition, unless a partial did not keep its own. */
        Optional<java.util.Set<Served>> all() {
            return unknown ? Optional.empty() : Optional.of(served);
        }
    }

    /**
     * A check a person asked for ({@code POST .../monitoring/run}) with or without its window. By default it is the
     * last whole window of the model's policy, the one the timer checks: a run answers the report the timer makes (or
     * makes it early), and never stores a report of a window cut at the minute of the run, which would leave out that
     * minute's predictions for good. Predictions of the window still going on are in the next window's report. Without
     * {@code to} the window ends where the last whole one does; without {@code from} it is one policy window long.
     */
    public MonitoringRun check(ModelName model, Optional<Instant> from, Optional<Instant> to, Duration wait,
            String requestedBy) {
        Duration window = policies.apply(model).window();
        Instant end = to.orElseGet(() -> windowEnd(clock.instant(), window));
        return check(model, from.orElse(end.minus(window)), end, wait, requestedBy);
    }

    /**
     * A check a person asked for ({@code POST .../monitoring/run}): like {@link #check(ModelName, Instant, Instant,
     * Duration)}, and the request is audited once per window under {@code requestedBy}, so the trail says who ran
     * it (the check's own record, and any retraining request it raises, are the platform's, {@value #ACTOR}).
     */
    public MonitoringRun check(ModelName model, Instant from, Instant to, Duration wait, String requestedBy) {
        MonitoringRun run = check(model, from, to, wait);
        audit.recordOnce(RUN_ACTION + ":" + model.value() + ":" + from + ":" + to, requestedBy, RUN_ACTION,
                "/models/" + model.value() + "/monitoring", "requested", Map.of("from", from.toString(),
                        "to", to.toString()));
        return run;
    }

    /**
     * Like {@link #check(ModelName, Instant, Instant)}, then waits up to {@code wait} for the fanned-out windows'
     * reports (a caller on the other end of an HTTP request); what is not merged by then stays pending. A window the
     * timer abandoned is resumed first, once ({@link #resumedName}), so its partitions' partials, those delivered
     * after the abandonment included, are merged into its report.
     */
    public MonitoringRun check(ModelName model, Instant from, Instant to, Duration wait) {
        if (audit.findOnce(abandonedKey(model, from, to)).isPresent()) {
            documents.createOnce(resumedName(model, from, to), new ResumedWindow(model.value(), from, to,
                    clock.instant()));
        }
        MonitoringRun run = check(model, from, to);
        long deadline = System.nanoTime() + wait.toNanos();
        List<MonitoringReport> done = new ArrayList<>(run.reports());
        List<MonitoringRun.Pending> pending = new ArrayList<>(run.pending());
        // The first check of a window fanned out from its stable slot learns the other versions and slots as it
        // merges, and starts their checks before it keeps the list (a window not settled at its plan keeps none):
        // once the list is kept, the checks it names that this run has not seen are waited for too.
        boolean othersFollow = pending.stream().filter(p -> p.slot().equals(Slot.STABLE.wireName()))
                .flatMap(p -> documents.find(planName(p.reportId()), MonitoringPlan.class).stream())
                .anyMatch(plan -> settledAt(to, plan.plannedAt()));
        while ((!pending.isEmpty() || othersFollow) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            Optional<ServedInWindow> served = othersFollow ? documents.find(servedName(model, from, to),
                    ServedInWindow.class) : Optional.empty();
            if (served.isPresent()) {
                othersFollow = false;
                for (Served s : served.get().served()) {
                    String id = MonitoringReport.idOf(model.value(), s.version(), s.slot().wireName(), from, to);
                    if (done.stream().noneMatch(r -> r.id().equals(id))
                            && pending.stream().noneMatch(p -> p.reportId().equals(id))) {
                        documents.find(planName(id), MonitoringPlan.class).map(this::pending).ifPresent(pending::add);
                    }
                }
            }
            for (var it = pending.iterator(); it.hasNext(); ) {
                MonitoringRun.Pending p = it.next();
                Optional<MonitoringReport> report = reports.find(p.reportId());
                if (report.isPresent()) {
                    done.add(report.get());
                    it.remove();
                } else if (nothingToReport(p)) {
                    it.remove();
                }
            }
        }
        List<MonitoringRun.Pending> still = new ArrayList<>();
        for (MonitoringRun.Pending p : pending) {
            if (!nothingToReport(p)) {
                still.add(documents.find(planName(p.reportId()), MonitoringPlan.class).map(this::pending).orElse(p));
            }
        }
        done.sort(IN_SERVED_ORDER);
        return new MonitoringRun(done, still);
    }

    /**
     * One partition of a fanned-out check (a message of {@value WorkQueue#MONITORING_PARTITIONS}): builds the
     * partition's partial summary and writes it once; whoever finds every partial present merges them and stores the
     * report, audited once. A redelivered message, or two partitions completing together, leave one report, one audit
     * record and one set of event ids. A partition of a window the timer abandoned writes its partial and merges
     * nothing until the window is checked by hand ({@link #heldForAnOperator}). A store that is unavailable throws, so
     * the queue delivers the message again.
     */
    public void checkPartition(String message) {
        PartitionMessage m;
        try {
            m = Json.read("the monitoring partition message", message.getBytes(StandardCharsets.UTF_8),
                    PartitionMessage.class);
        } catch (health.vigil.error.ValidationException e) {
            throw new health.vigil.error.ValidationException("a monitoring partition message must be {\"reportId\","
                    + " \"partition\"}: " + e.getMessage());
        }
        if (m.reportId() == null || m.reportId().isBlank()) {
            throw new health.vigil.error.ValidationException("a monitoring partition message names its report id");
        }
        MonitoringPlan plan = documents.find(planName(m.reportId()), MonitoringPlan.class).orElseThrow(() ->
                new health.vigil.error.NotFoundException(ErrorCode.NOT_FOUND, "the monitoring check " + m.reportId()
                        + " has no plan; the message names a check that was never started"));
        if (m.partition() < 0 || m.partition() >= plan.partitions().size()) {
            throw new health.vigil.error.ValidationException("the monitoring check " + plan.reportId() + " has "
                    + plan.partitions().size() + " partitions; the message names partition " + m.partition());
        }
        VersionRecord version = registry.getVersion(new ModelName(plan.model()), plan.version());
        Optional<MonitoringReport> stored = reports.find(plan.reportId());
        if (stored.isPresent() && !stored.get().provisional()) {
            settle(stored.get(), version);
            return;
        }
        PredictionLog.Partition partition = plan.partitions().get(m.partition());
        WindowCheck check = new WindowCheck(version, plan);
        if (!documents.exists(partialName(plan.reportId(), partition))) {
            documents.createOnce(partialName(plan.reportId(), partition), check.partial(plan.reportId(), partition));
        }
        if (donePartials(plan) == plan.partitions().size() && !heldForAnOperator(plan)) {
            ServedPairs seen = new ServedPairs();
            merge(plan, version, check, seen);
            if (Slot.fromWire(plan.slot()) == Slot.STABLE && seen.all().isPresent()) {
                checkOthers(plan, version, seen.all().get());
            }
        }
    }

    /**
     * After the first check of a window fanned out from the stable slot: keeps the pairs its partitions saw and
     * starts the checks of the other versions and slots, as the run that planned it would have done had it known
     * them. Runs that merge together start them together, and the plans and partials, written once, keep one.
     */
    private void checkOthers(MonitoringPlan plan, VersionRecord stable, java.util.Set<Served> seen) {
        ModelName model = stable.modelName();
        if (documents.exists(servedName(model, plan.from(), plan.to()))) {
            return; // a run that read the pairs of the window has checked them
        }
        List<MonitoringReport> done = new ArrayList<>();
        List<MonitoringRun.Pending> pending = new ArrayList<>();
        for (Served s : seen) {
            if (s.slot() != Slot.STABLE || s.version() != stable.version()) {
                checkSlot(registry.getVersion(model, s.version()), s.slot(), plan.from(), plan.to(), plan.policy(),
                        done, pending, true);
            }
        }
        keepServed(model, plan.from(), plan.to(), seen, plan.plannedAt());
    }

    /**
     * Queues the partitions that have no partial yet, unless {@code queueMissing} is false; merges at once when none
     * is missing (a run after a crash), unless the window waits for an operator ({@link #heldForAnOperator}).
     * Whether the check is complete: merged now, its report added to {@code done} (a window without batch
     * predictions has none).
     */
    private boolean fanOut(MonitoringPlan plan, VersionRecord version, List<MonitoringReport> done,
            ServedPairs seen, boolean queueMissing) {
        int partials = 0;
        for (int k = 0; k < plan.partitions().size(); k++) {
            if (documents.exists(partialName(plan.reportId(), plan.partitions().get(k)))) {
                partials++;
            } else if (queueMissing) {
                queue.get().send(WorkQueue.MONITORING_PARTITIONS, messageId(plan.reportId(), k),
                        Json.write(new PartitionMessage(plan.reportId(), k)));
            }
        }
        if (partials < plan.partitions().size() || heldForAnOperator(plan)) {
            return false;
        }
        merge(plan, version, new WindowCheck(version, plan), seen).ifPresent(done::add);
        return true;
    }

    /**
     * Whether the merge of a fanned-out check waits for an operator: the timer abandoned its window
     * ({@value #ABANDON_ACTION}) and no check asked for by hand has resumed it since ({@link #resumedName}). A
     * partition delivered after the abandonment (a message an earlier run queued that the queue still held, or one
     * delivered again) keeps its partial, and adds no report, audit record or event beside the abandonment record; the
     * check asked for by hand merges it with the others.
     */
    private boolean heldForAnOperator(MonitoringPlan plan) {
        ModelName model = new ModelName(plan.model());
        return audit.findOnce(abandonedKey(model, plan.from(), plan.to())).isPresent()
                && !documents.exists(resumedName(model, plan.from(), plan.to()));
    }

    /**
     * Merges every partial of the plan in plan order (read one at a time), stores the report once and settles it;
     * a batch check whose partials hold no prediction stores nothing.
     */
    private Optional<MonitoringReport> merge(MonitoringPlan plan, VersionRecord version, WindowCheck check,
            ServedPairs seen) {
        return check.report(plan.reportId(), plan.partitions().stream().map(p -> seen.add(partial(plan, p))))
                .map(report -> settle(reports.store(report), version));
    }

    private MonitoringPartial partial(MonitoringPlan plan, PredictionLog.Partition p) {
        return documents.find(partialName(plan.reportId(), p), MonitoringPartial.class).orElseThrow(() ->
                new health.vigil.error.StoreException("the partial summary of " + p.name() + " of the monitoring"
                        + " check " + plan.reportId() + " disappeared while it was merged", null));
    }

    /**
     * Whether the fanned-out check is complete without a report: a batch check whose every partial
     * is written and holds no prediction (the window had no batch predictions, so it has nothing to judge).
     */
    private boolean nothingToReport(MonitoringRun.Pending check) {
        if (!check.slot().equals(Slot.BATCH.wireName())) {
            return false;
        }
        Optional<MonitoringPlan> plan = documents.find(planName(check.reportId()), MonitoringPlan.class);
        if (plan.isEmpty() || donePartials(plan.get()) < plan.get().partitions().size()) {
            return false;
        }
        return plan.get().partitions().stream().allMatch(p -> partial(plan.get(), p).predictions() == 0);
    }

    private int donePartials(MonitoringPlan plan) {
        int done = 0;
        for (PredictionLog.Partition p : plan.partitions()) {
            done += documents.exists(partialName(plan.reportId(), p)) ? 1 : 0;
        }
        return done;
    }

    private MonitoringRun.Pending pending(MonitoringPlan plan) {
        return new MonitoringRun.Pending(plan.reportId(), plan.model(), plan.version(), plan.slot(), plan.from(),
                plan.to(), plan.partitions().size(), donePartials(plan));
    }

    /**
     * What follows a stored report, on every run that finds it: its audit record (once, whoever finds it without one:
     * the check that stored it, or a later run after a crash between the two), its events with the audit record's id,
     * and for the stable slot the retraining decision, until a run has sent them. A final report that replaced a
     * provisional one sends only what the provisional one did not: drift or degraded performance it did not find, and
     * a retraining request it did not make.
     */
    private MonitoringReport settle(MonitoringReport report, VersionRecord version) {
        if (audit.findOnce(checkKey(report)).isEmpty()) {
            record(report);
        }
        // Sent once: a later run of the window (an operator's, another instance's timer) would count as another
        // detection and fire the drift alert again. The mark follows the sending, so a run that stopped before it
        // (the topic unavailable) leaves the events to the next run, with the same ids.
        if (documents.exists(announcedName(report.id(), report.provisional()))) {
            return report;
        }
        Optional<Announced> early = report.provisional() ? Optional.empty()
                : documents.find(announcedName(report.id(), true), Announced.class);
        announce(report, early);
        boolean retrainAsked = early.map(Announced::retrainRequested).orElse(false);
        // Retraining is asked for the version in production: a stable version replaced since the window (a canary
        // promoted over it) is reported, and not retrained.
        if (!retrainAsked && Slot.fromWire(report.slot()) == Slot.STABLE && registry.deployment(version.modelName())
                .flatMap(d -> d.slot(Slot.STABLE)).filter(s -> s.version() == version.version()).isPresent()) {
            retrainAsked = considerRetraining(report, version);
        }
        documents.createOnce(announcedName(report.id(), report.provisional()), new Announced(report.id(),
                clock.instant(), report.checkedAt(), report.drifted() || early.map(Announced::drifted).orElse(false),
                report.performanceDegraded() || early.map(Announced::performanceDegraded).orElse(false),
                retrainAsked));
        return report;
    }

    /**
     * That a report's events (and its retraining decision) were sent, and when; what was sent, so the final report of
     * a window sends only what its provisional report did not.
     *
     * @param checkedAt when the announced report was checked (the retraining request's interval)
     */
    record Announced(String reportId, Instant at, Instant checkedAt, boolean drifted, boolean performanceDegraded,
            boolean retrainRequested) {}

    /** The end of the window {@code at} falls after: windows are aligned to their length from the epoch. */
    static Instant windowEnd(Instant at, Duration window) {
        long w = window.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), w) * w);
    }

    /** {@code plans/<report id>.json} in the monitoring container. */
    static String planName(String reportId) {
        return "plans/" + reportId + ".json";
    }

    /** {@code announced/<report id>.json} in the monitoring container, {@code .provisional.json} for a provisional report. */
    static String announcedName(String reportId, boolean provisional) {
        return "announced/" + reportId + (provisional ? ".provisional.json" : ".json");
    }

    /** {@code partials/<report id>/<partition>.json} in the monitoring container. */
    static String partialName(String reportId, PredictionLog.Partition partition) {
        return "partials/" + reportId + "/" + partition.name() + ".json";
    }

    /** A queue message id (letters, digits and '-') naming one partition of one check. */
    static String messageId(String reportId, int partition) {
        return UUID.nameUUIDFromBytes(reportId.getBytes(StandardCharsets.UTF_8)) + "-" + partition;
    }

    /** The message that asks for one partition of a planned check. */
    record PartitionMessage(String reportId, int partition) {}

    /**
     * The check of one version's slot over one window, set up once per invocation (the version's reference profile
     * read from its package, the feature pipeline, the segment columns): it builds the partial summary of any
     * partition of the window, and judges the merge of all of them.
     */
    private final class WindowCheck {
        private final VersionRecord version;
        private final Slot slot;
        private final Instant from;
        private final Instant to;
        private final MonitoringPolicy policy;
        private final SegmentColumns segmentColumns;
        private final FeaturePipeline pipeline;
        private final DriftCheck drift;
        private final double threshold;
        private final List<String> setupReasons = new ArrayList<>();
        private final boolean provisional;

        WindowCheck(VersionRecord version, MonitoringPlan plan) {
            this(version, Slot.fromWire(plan.slot()), plan.from(), plan.to(), plan.policy(), plan.segmentColumns(),
                    plan.plannedAt());
        }

        /** @param readFrom when the reading of the window's log begins */
        WindowCheck(VersionRecord version, Slot slot, Instant from, Instant to, MonitoringPolicy policy,
                SegmentColumns segmentColumns, Instant readFrom) {
            this.version = version;
            this.slot = slot;
            this.from = from;
            this.to = to;
            this.policy = policy;
            this.segmentColumns = segmentColumns;
            Manifest manifest = version.manifest();
            this.pipeline = pipelines.apply(manifest);
            this.threshold = manifest.output().threshold();
            Optional<ReferenceProfile> reference = reference(version);
            if (reference.isPresent()) {
                this.drift = DriftCheck.of(manifest.features(), pipeline.columns(), reference.get(), threshold,
                        policy.drift());
            } else {
                this.drift = null;
                setupReasons.add("the package has no reference profile (reference.json): drift is not checked");
            }
            this.provisional = !settledAt(to, readFrom);
            if (provisional) {
                setupReasons.add("the window's log was read less than " + Words.count(settling.toSeconds(), "second")
                        + " after its end (VIGIL_MONITORING_SETTLE_SECONDS): predictions stamped before the end that"
                        + " were still being written may be missing from this provisional report, which the first check"
                    + " after the window settled replaces");
            }
        }

        private MonitoringSegments newSegments() {
            return new MonitoringSegments(segmentColumns, pipeline, threshold);
        }

        /** Streams one partition of the window once (memory bounded by bins), joining outcomes in batches. */
        MonitoringPartial partial(String reportId, PredictionLog.Partition partition) {
            ModelName model = version.modelName();
            DriftAccumulator accumulator = drift == null ? null : drift.newAccumulator();
            LabelledSummary labelled = new LabelledSummary(threshold);
            MonitoringSegments segments = newSegments();
            long[] count = new long[1];
            List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
            java.util.Set<Served> served = new java.util.TreeSet<>();
            Served[] last = new Served[1]; // a partition's predictions come in runs of one pair: one add per run
            predictions.scan(model, partition, from, to, r -> {
                if (last[0] == null || last[0].version() != r.version() || last[0].slot() != r.slot()) {
                    last[0] = new Served(r.version(), r.slot());
                    served.add(last[0]);
                }
                if (r.version() != version.version() || r.slot() != slot) {
                    return;
                }
                count[0]++;
                if (accumulator != null) {
                    accumulator.add(r);
                }
                pending.add(r);
                if (pending.size() == JOIN_BATCH) {
                    join(model, pending, labelled, segments);
                    pending.clear();
                }
            });
            join(model, pending, labelled, segments);
            return new MonitoringPartial(reportId, partition.name(), count[0],
                    accumulator == null ? null : accumulator.summary(), labelled.parts(), segments.segments(),
                    List.copyOf(served));
        }

        /**
         * Merges the partials in the order given and judges the window by the policy; empty for the batch slot when
         * the window has no batch prediction (a deployment slot is reported every window, the batch slot only when
         * a job's predictions were logged in it).
         */
        Optional<MonitoringReport> report(String id, java.util.stream.Stream<MonitoringPartial> partials) {
            DriftSummary[] merged = {drift == null ? null : drift.newAccumulator().summary()};
            LabelledSummary labelled = new LabelledSummary(threshold);
            MonitoringSegments segments = newSegments();
            long[] count = new long[1];
            partials.forEachOrdered(p -> {
                count[0] = Math.addExact(count[0], p.predictions());
                if (merged[0] != null) {
                    merged[0] = merged[0].merge(p.drift());
                }
                labelled.merge(LabelledSummary.of(p.labelled()));
                segments.merge(p.segments());
            });
            List<String> reasons = new ArrayList<>(setupReasons);
            segments.unlogged().forEach(c -> reasons.add("segment column '" + c + "' is not a logged model input,"
                    + " nor a request field (or age_group, sex_group derived from one) that the logged inputs give back"
                    + " exactly: performance is not broken down by it"));
            if (slot == Slot.BATCH && count[0] == 0) {
                return Optional.empty();
            }
            DriftReport driftReport = drift == null ? null : drift.report(merged[0]);
            return Optional.of(judge(id, version, slot, from, to, policy, reasons, count[0], driftReport,
                    labelled.performance(), segments.performance(policy), provisional));
        }
    }

    private MonitoringReport judge(String id, VersionRecord version, Slot slot, Instant from, Instant to,
            MonitoringPolicy policy, List<String> reasons, long predictions, DriftReport drift,
            LabelledPerformance performance, List<SegmentPerformance> segments, boolean provisional) {
        ModelName model = version.modelName();
        int driftedWindows = 0;
        // A window before this one whose check is not final yet (noted for another run: it failed, is still fanned
        // out, or was checked before it settled): counted as it stands now, so this report is provisional and the
        // check after that window's final report replaces it, whichever of the two windows was checked first. Once
        // this window settled awaitLimit ago, such a window is counted as not drifted and this report is final; so is
        // one the timer abandoned (ABANDON_ACTION) without a final report, as nothing will finalise it.
        Instant awaited = null;
        Instant notAwaited = null;
        Instant abandoned = null;
        if (drift != null && drift.drifted()) {
            driftedWindows = 1;
            String slotName = slot.wireName();
            Duration length = Duration.between(from, to);
            for (int k = 1; k < policy.consecutiveWindows(); k++) {
                Instant previousFrom = from.minus(length.multipliedBy(k));
                Instant previousTo = to.minus(length.multipliedBy(k));
                Optional<MonitoringReport> previous = reports.find(MonitoringReport.idOf(model.value(),
                        version.version(), slotName, previousFrom, previousTo));
                if (previous.map(MonitoringReport::provisional).orElse(true)) {
                    if (documents.exists(unsettledName(model, previousFrom, previousTo))) {
                        if (settledAt(to.plus(awaitLimit), clock.instant())) {
                            notAwaited = previousFrom;
                            break;
                        }
                        awaited = previousFrom;
                    } else if (audit.findOnce(abandonedKey(model, previousFrom, previousTo)).isPresent()) {
                        abandoned = previousFrom;
                        break;
                    }
                }
                if (previous.isEmpty() || !previous.get().drifted()) {
                    break;
                }
                driftedWindows++;
            }
            reasons.add("drift in " + drifted(drift) + " (" + Words.count(driftedWindows, "window") + " in a row)");
            if (awaited != null) {
                reasons.add("the window from " + awaited + " has no final report yet, so the drifted windows in a row"
                        + " are counted without it: this report is provisional, and the first check after that"
                        + " window's final report replaces it");
            }
            if (notAwaited != null) {
                reasons.add("the window from " + notAwaited + " had no final report " + Words.duration(awaitLimit)
                        + " after this window settled, so it is counted as not drifted; a later report of it does not"
                        + " change this one");
            }
            if (abandoned != null) {
                reasons.add("the window from " + abandoned + " has no final report and the scheduled check abandoned"
                        + " it (" + ABANDON_ACTION + "), so it is counted as not drifted; a later report of it does not"
                        + " change this one");
            }
        }
        boolean degraded = false;
        boolean aurocJudged = policy.judgesAuroc(performance) && performance.auroc() != null;
        // The reasons give the window's counts and statistics only as the report shows them (SmallCells).
        String withheld = SmallCells.withheldOutcomes(SmallCells.window(performance, policy));
        if (performance.labelled() >= policy.minLabelled()) {
            if (aurocJudged && performance.auroc() < policy.minAuroc()) {
                degraded = true;
                reasons.add(withheld != null ? String.format(java.util.Locale.ROOT, "the AUROC on %s is below %.3f",
                        withheld, policy.minAuroc()) : String.format(java.util.Locale.ROOT, "AUROC %.3f (95%% CI %.3f"
                        + " to %.3f) on %d outcomes, %d positive, is below %.3f", performance.auroc(),
                        performance.aurocLower(), performance.aurocUpper(), performance.labelled(),
                        performance.positives(), policy.minAuroc()));
            } else if (!aurocJudged) {
                reasons.add("the realised AUROC is not judged yet: " + (withheld != null ? withheld
                        : Words.count(performance.labelled(), "outcome") + ", " + performance.positives()
                                + " positive and " + (performance.labelled() - performance.positives()) + " negative")
                        + "; at least " + policy.minLabelledPerClass() + " of each class are needed");
            }
        }
        if (policy.judgesBrier(performance.labelled()) && performance.brier() != null
                && performance.brier() > policy.maxBrier()) {
            degraded = true;
            reasons.add(withheld != null ? String.format(java.util.Locale.ROOT, "the Brier score on %s is above"
                    + " %.3f", withheld, policy.maxBrier()) : String.format(java.util.Locale.ROOT, "Brier score"
                    + " %.3f (95%% CI %.3f to %.3f) on %d outcomes is above %.3f", performance.brier(),
                    performance.brierLower(), performance.brierUpper(), performance.labelled(),
                    policy.maxBrier()));
        }
        // Without outcomes enough to judge the realised AUROC, the scores' own expectation of it is judged instead.
        if (!aurocJudged && drift != null && drift.estimate() != null
                && drift.estimate().cases() >= policy.drift().minRows() && drift.estimate().expectedAuroc() != null
                && drift.estimate().expectedAuroc() < policy.minExpectedAuroc()) {
            degraded = true;
            reasons.add(String.format(java.util.Locale.ROOT, "expected AUROC from the scores alone %.3f is below %.3f"
                    + " (too few outcomes to measure it)", drift.estimate().expectedAuroc(), policy.minExpectedAuroc()));
        }
        MonitoringReport.Severity severity;
        if (degraded || driftedWindows >= policy.consecutiveWindows()) {
            severity = MonitoringReport.Severity.ALERT;
        } else if (driftedWindows > 0) {
            severity = MonitoringReport.Severity.WARNING;
        } else if (predictions < policy.drift().minRows()) {
            severity = MonitoringReport.Severity.INSUFFICIENT_DATA;
            reasons.add(Words.count(predictions, "prediction") + " in the window; at least " + policy.drift().minRows()
                    + " are needed to judge drift");
        } else {
            severity = MonitoringReport.Severity.OK;
        }
        Double fraction = predictions == 0 ? null : (double) performance.labelled() / predictions;
        Double estimateError = null;
        if (aurocJudged && drift != null && drift.estimate() != null && drift.estimate().expectedAuroc() != null) {
            estimateError = drift.estimate().expectedAuroc() - performance.auroc();
        }
        return new MonitoringReport(id, model.value(), version.version(), slot.wireName(), from, to,
                clock.instant(), severity, reasons, predictions, fraction, driftedWindows, degraded, estimateError,
                drift, performance, policy, segments, provisional || awaited != null);
    }

    private static String drifted(DriftReport drift) {
        List<String> names = new ArrayList<>();
        drift.features().stream().filter(f -> f.status() == DriftReport.Status.DRIFTED).forEach(f -> names.add(f.name()));
        if (drift.score() != null && drift.score().status() == DriftReport.Status.DRIFTED) {
            names.add("the score");
        }
        return String.join(", ", names);
    }

    /**
     * The audit record of a stored check that has no audit record yet, and its telemetry from the run that appended
     * the record: runs that raced to the same window report it once.
     */
    private void record(MonitoringReport report) {
        if (!audit.recordFirst(checkKey(report), ACTOR, CHECK_ACTION, subject(report), report.severity().name()
                .toLowerCase(java.util.Locale.ROOT), details(report)).appended() || report.provisional()) {
            return; // a window's statistics are measured once, from its final report
        }
        ModelVersion v = new ModelVersion(new ModelName(report.model()), report.version());
        telemetry.driftChecked(v, report.drift() == null ? "insufficient_data" : report.drifted() ? "drifted"
                : report.predictions() < report.policy().drift().minRows() ? "insufficient_data" : "stable");
        if (report.drift() != null) {
            List<DriftReport.FeatureDrift> all = new ArrayList<>(report.drift().features());
            if (report.drift().score() != null) {
                all.add(report.drift().score());
            }
            for (DriftReport.FeatureDrift f : all) {
                String feature = f.kind().equals("score") ? "score" : f.name();
                if (f.psi() != null) {
                    telemetry.driftStatistic(v, feature, "psi", f.psi());
                }
                if (f.ksStatistic() != null) {
                    telemetry.driftStatistic(v, feature, "ks", f.ksStatistic());
                }
                if (f.chiSquare() != null) {
                    telemetry.driftStatistic(v, feature, "chi_square", f.chiSquare());
                }
            }
            if (report.drift().estimate() != null && report.drift().estimate().expectedAuroc() != null) {
                telemetry.performance(v, "auroc", "label_free", report.drift().estimate().expectedAuroc());
            }
        }
        LabelledPerformance p = report.performance();
        // Statistics of counts the report withholds are not charted either.
        if (p != null && p.suppressed() == null && p.labelled() >= report.policy().minLabelled()) {
            // An AUROC on fewer outcomes of a class than the policy judges it with is not a measurement to chart.
            if (p.auroc() != null && report.policy().judgesAuroc(p)) {
                telemetry.performance(v, "auroc", "labels", p.auroc());
            }
            if (p.brier() != null) {
                telemetry.performance(v, "brier", "labels", p.brier());
            }
            if (p.calibrationError() != null) {
                telemetry.performance(v, "calibration_error", "labels", p.calibrationError());
            }
        }
    }

    /**
     * Publishes the window's events, each with an id derived from the check's audit record, so every run over the
     * window (the one that decided, a replay after a crash before the publish) sends the same event.
     */
    private void announce(MonitoringReport report, Optional<Announced> early) {
        boolean drift = report.drifted() && !early.map(Announced::drifted).orElse(false);
        boolean degraded = report.performanceDegraded() && !early.map(Announced::performanceDegraded).orElse(false);
        if (!drift && !degraded) {
            return;
        }
        AuditRecord record = audit.findOnce(checkKey(report)).orElseGet(() -> audit.recordOnce(checkKey(report), ACTOR,
                CHECK_ACTION, subject(report), report.severity().name().toLowerCase(java.util.Locale.ROOT),
                details(report)));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", report.model());
        data.put("version", report.version());
        data.put("slot", report.slot());
        data.put("reportId", report.id());
        data.put("severity", report.severity().name());
        data.put("from", report.from().toString());
        data.put("to", report.to().toString());
        if (drift) {
            events.publish(new VigilEvent(record.id(), EventTypes.DRIFT_DETECTED, VigilEvent.SOURCE, subject(report),
                    clock.instant(), data));
        }
        if (degraded) {
            events.publish(new VigilEvent(derivedId(record.id(), EventTypes.PERFORMANCE_DEGRADED),
                    EventTypes.PERFORMANCE_DEGRADED, VigilEvent.SOURCE, subject(report), clock.instant(), data));
        }
    }

    /** Whether retraining was asked for on this report (now, or by an earlier run of its interval). */
    private boolean considerRetraining(MonitoringReport report, VersionRecord stable) {
        String key = retrainKey(report);
        // A request this report made already (a run that recorded it and stopped before sending it) is sent as it was
        // recorded, whatever the policy would decide now: a version registered since, or a later clock, must not leave
        // a recorded request unsent, or send it with another reason.
        AuditRecord record = audit.findOnce(key).orElse(null);
        if (record == null) {
            boolean pending = registry.listVersions(stable.modelName()).stream()
                    .anyMatch(v -> v.version() > stable.version() && RetrainPolicy.PENDING.contains(v.stage()));
            Instant trainedAt = stable.manifest().provenance() == null ? null
                    : stable.manifest().provenance().trainedAt();
            Optional<String> reason = retrain.decide(report, trainedAt, pending, clock.instant());
            if (reason.isEmpty()) {
                return false;
            }
            Map<String, String> details = new LinkedHashMap<>();
            details.put("reportId", report.id());
            details.put("parentVersion", Integer.toString(stable.version()));
            details.put("reason", reason.get());
            record = audit.recordOnce(key, ACTOR, RETRAIN_ACTION, stable.id().subject(), "requested", details);
        }
        if (!report.id().equals(record.details().get("reportId"))) {
            return false; // another window asked already in this interval: debounced
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", report.model());
        data.put("parentVersion", Integer.parseInt(record.details().get("parentVersion")));
        data.put("reportId", report.id());
        data.put("reason", record.details().get("reason"));
        events.publish(new VigilEvent(record.id(), EventTypes.RETRAIN_REQUESTED, VigilEvent.SOURCE,
                stable.id().subject(), clock.instant(), data));
        return true;
    }

    /**
     * The {@value #RETRAIN_ACTION} audit record of the stored report with this id, when the check asked for retraining
     * on that report: empty for a report the retraining policy asked nothing for (or whose request another window of
     * its interval had made already), and for an id that names no stored report.
     */
    public Optional<AuditRecord> retrainRequestOf(String reportId) {
        // A final report that replaced a provisional one: the request may have been made on the provisional report,
        // in the interval it was checked in.
        return reports.find(reportId).stream().flatMap(report -> java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(report.checkedAt()),
                        documents.find(announcedName(reportId, true), Announced.class).map(Announced::checkedAt)
                                .stream())
                        .flatMap(at -> audit.findOnce(OnceKeys.retrainRequest(report.model(), retrain.intervalOf(at)))
                                .stream()))
                .filter(request -> reportId.equals(request.details().get("reportId"))).findFirst();
    }

    /**
     * The once-key of the retraining request a report may make: one per model and interval. The interval is the one
     * the report was computed in, so a later run over the same window finds the same decision instead of making a new
     * one.
     */
    private String retrainKey(MonitoringReport report) {
        return OnceKeys.retrainRequest(report.model(), retrain.intervalOf(report.checkedAt()));
    }

    static String checkKey(MonitoringReport report) {
        return report.provisional() ? OnceKeys.provisionalMonitoringCheck(report.id())
                : OnceKeys.monitoringCheck(report.id());
    }

    private static String subject(MonitoringReport report) {
        return new ModelVersion(new ModelName(report.model()), report.version()).subject();
    }

    private static Map<String, String> details(MonitoringReport report) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("reportId", report.id());
        details.put("slot", report.slot());
        details.put("from", report.from().toString());
        details.put("to", report.to().toString());
        details.put("predictions", Long.toString(report.predictions()));
        LabelledPerformance performance = report.performance();
        if (performance == null || performance.labelled() != null) { // absent when the report withholds it
            details.put("labelled", Long.toString(performance == null ? 0 : performance.labelled()));
        }
        details.put("drifted", Boolean.toString(report.drifted()));
        details.put("performanceDegraded", Boolean.toString(report.performanceDegraded()));
        details.put("provisional", Boolean.toString(report.provisional()));
        return details;
    }

    static String derivedId(String recordId, String eventType) {
        return UUID.nameUUIDFromBytes((recordId + "|" + eventType).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private Optional<ReferenceProfile> reference(VersionRecord version) {
        try (InputStream raw = artifacts.open(ArtifactStore.MODELS, version.packageBlob())) {
            Optional<byte[]> json = extractor.extract(raw, version.packageSha256(), "the package of " + version.id())
                    .referenceJson();
            return json.map(bytes -> Json.read("reference.json", bytes, ReferenceProfile.class));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the package of " + version.id(), e);
        }
    }

    /** Adds the records of {@code batch} that have an outcome to the labelled summary and its segments. */
    private void join(ModelName model, List<PredictionRecord> batch, LabelledSummary labelled,
            MonitoringSegments segments) {
        if (batch.isEmpty()) {
            return;
        }
        Map<String, Boolean> joined = outcomes.outcomesOf(model, batch);
        for (PredictionRecord r : batch) {
            Boolean y = joined.get(r.predictionId());
            if (y != null) {
                labelled.add(r.score(), y);
                segments.add(r, y);
            }
        }
    }
}

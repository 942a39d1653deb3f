package health.vigil.scoring.batch;

import health.vigil.audit.AuditLog;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.Deployment;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.BlobLease;
import health.vigil.port.EventPublisher;
import health.vigil.port.PredictionLog;
import health.vigil.port.StoredJson;
import health.vigil.port.Telemetry;
import health.vigil.port.WorkQueue;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import health.vigil.scoring.LoadedModels;
import health.vigil.scoring.ScorableModel;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scores whole files of patients: a file in {@code batch-input} (uploaded, or named by {@code POST /batches}) is
 * planned once (read end to end for its sha256 and its rows, cut into partitions at line boundaries), each
 * partition is scored by its own queued invocation in chunks of one ONNX Runtime run each, and the last partition
 * to finish merges the chunks into one results file and a summary in {@code batch-output}. Every prediction is
 * in the prediction log under the job's id.
 *
 * <p>Memory is bounded by a checkpoint's worth of chunks, whatever the file's size. A partition logs each chunk's
 * predictions with one append, and writes its results and a checkpoint every {@link BatchSettings#checkpointChunks}
 * chunks; a run that dies between logging predictions and the next checkpoint is resumed from the last one, and
 * the resumed run looks in the prediction log for the rows the dead run could have reached (their prediction ids
 * are fixed by the job and the row) instead of scoring them again. Everything written is create-once or a checkpoint that only
 * moves forward, so a redelivered message or a replayed BlobCreated adds nothing.
 *
 * <p>Layout of {@code batch-output/{id}/}: {@code request.json} (for a {@code POST /batches}: the request, or the one
 * first sent under its idempotency key, written before the file is looked at, {@link #claimed}), {@code job.json}
 * (the plan), {@code queued.json} (audited, queued and announced),
 * {@code partitions/{k}/checkpoint.json}, {@code partitions/{k}/{chunk}.jsonl}, {@code partitions/{k}/done.json}, then
 * {@code results.jsonl}, {@code summary.json}, {@code completion-lease.json} and {@code completion-announced.json}; or
 * {@code failure.json}, {@code failure-lease.json} and {@code failure-announced.json} when the file could not be scored
 * at all. Once a finished job is past the retention period, only {@code purged.json} is left ({@link BatchRetention}).
 */
public final class BatchService {
    static final String AUDIT_SUBMITTED = "batch.submitted";
    static final String AUDIT_COMPLETED = "batch.completed";
    static final String AUDIT_FAILED = "batch.failed";
    /** A page of a job's per-row results read through {@link #readResults}. */
    public static final String AUDIT_RESULTS_READ = "batch.results.read";
    /** A job's status read by a caller through {@link #status(String, Principal)}. */
    public static final String AUDIT_STATUS_READ = "batch.status.read";
    /** A job's summary read by a caller through {@link #summary(String, Principal)}. */
    public static final String AUDIT_SUMMARY_READ = "batch.summary.read";
    /** The operation a failed job is counted under in {@code vigil.errors}. */
    static final String FAILED_OPERATION = "batch";
    /** The stages whose versions may score a batch: signed by an approver and not taken off since. */
    private static final Set<Stage> SCORABLE = EnumSet.of(Stage.APPROVED, Stage.CANARY, Stage.PRODUCTION);
    /** {@code {model}/{file}} or {@code {model}/v{version}/{file}} in {@code batch-input}. */
    /** A first folder after the model's name that reads as a version folder written another way (V2, v02, v+2). */
    private static final Pattern LOOKS_LIKE_A_VERSION = Pattern.compile("[^/]+/[vV][+-]?[0-9][^/]*/.*");
    private static final Pattern UPLOAD_NAME = Pattern.compile("([a-z0-9][a-z0-9-]{0,62})/(?:v([1-9][0-9]{0,8})/)?[^/].*");
    /** Where files go that a {@code POST /batches} will name (with its options), so their upload starts nothing. */
    public static final String REQUESTED_PREFIX = "requests/";
    /** A job's id, as its folder in {@code batch-output} is named. */
    static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final ModelRegistry registry;
    private final LoadedModels models;
    private final ArtifactStore artifacts;
    private final PredictionLog log;
    private final Pseudonymizer pseudonymizer;
    private final AuditLog audit;
    private final EventPublisher events;
    private final WorkQueue queue;
    private final Clock clock;
    private final BatchSettings settings;
    private final Telemetry telemetry;
    private final StoredJson output;

    public BatchService(ModelRegistry registry, LoadedModels models, ArtifactStore artifacts, PredictionLog log,
            Pseudonymizer pseudonymizer, AuditLog audit, EventPublisher events, WorkQueue queue, Clock clock,
            BatchSettings settings, Telemetry telemetry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.models = Objects.requireNonNull(models, "models");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.log = Objects.requireNonNull(log, "log");
        this.pseudonymizer = Objects.requireNonNull(pseudonymizer, "pseudonymizer");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.events = Objects.requireNonNull(events, "events");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.output = new StoredJson(artifacts, ArtifactStore.BATCH_OUTPUT);
    }

    // ---------------------------------------------------------------- submission

    /**
     * {@code POST /batches}: plans the job and queues its partitions; a problem the caller can fix is a 4xx. When the
     * work queue takes none of the partitions, the stored plan is taken back: nothing could find and start it again
     * (no key names it, nothing was queued or recorded, the caller is answered 503 without its id), so it would read
     * RUNNING for good. The caller sends the request again, which is a new job. The request is stored first
     * ({@link #claimed}), and removed again with a submission that is refused.
     */
    public BatchJob submit(BatchRequest request, String submittedBy) {
        Objects.requireNonNull(request, "request");
        String id = UUID.randomUUID().toString();
        output.createOnce(requestName(id), request);
        try {
            return start(id, request, submittedBy);
        } catch (NothingQueued e) {
            String notStarted = e.getMessage() + "; batch scoring did not start";
            try {
                artifacts.delete(ArtifactStore.BATCH_OUTPUT, jobName(id));
                artifacts.delete(ArtifactStore.BATCH_OUTPUT, requestName(id));
            } catch (StoreException kept) {
                e.addSuppressed(kept);
                throw new StoreException(notStarted + ", and its plan could not be removed (batch " + id
                        + " reads RUNNING and never runs): send the request again", e);
            }
            throw new StoreException(notStarted + " and nothing of this submission was kept: send it again", e);
        } catch (RuntimeException refused) {
            // The refusal is what the caller needs to read: a failure to tidy up is added to it, never put in its
            // place.
            try {
                if (readJob(id).isEmpty()) {
                    artifacts.delete(ArtifactStore.BATCH_OUTPUT, requestName(id));
                }
            } catch (RuntimeException kept) {
                refused.addSuppressed(kept);
            }
            throw refused;
        }
    }

    /**
     * {@code POST /batches} with an {@code Idempotency-Key}: the job's id is fixed by the submitter and the key, so
     * a client that sends the request again (its answer was lost, or the platform stopped half-way) gets the same
     * job, never a second one. A job found under the key is answered as it stands, after whatever an interrupted
     * submission left undone (auditing, queueing, announcing) is finished; a submission that stopped before its plan
     * was stored is planned now. The same key with another request is refused (409), and nothing is written.
     *
     * @param idempotencyKey 1 to {@value IdempotencyKey#MAX_LENGTH} letters, digits and {@code . _ : -}; null submits
     *     without one ({@link #submit(BatchRequest, String)})
     */
    public Submission submit(BatchRequest request, String submittedBy, String idempotencyKey) {
        Objects.requireNonNull(request, "request");
        if (idempotencyKey == null) {
            return new Submission(submit(request, submittedBy), false);
        }
        new IdempotencyKey(idempotencyKey);
        String actor = submittedBy == null ? "unknown" : submittedBy;
        String id = UUID.nameUUIDFromBytes(("batches|" + actor + "|" + idempotencyKey)
                .getBytes(StandardCharsets.UTF_8)).toString();
        Optional<BatchRetention.Purged> purged = read(purgedName(id), BatchRetention.Purged.class);
        if (purged.isPresent()) {
            throw purged.get().gone();
        }
        BatchRequest first = storedRequest(id, request);
        if (!first.equals(request)) {
            throw new ConflictException(ErrorCode.CONFLICT, "this Idempotency-Key was first sent with another request"
                    + " (model " + first.model().value() + ", input " + first.input() + ", version "
                    + (first.version() == null ? "the deployed one" : first.version()) + ", explain " + first.explain()
                    + ") as job " + id + "; send a new key for a new job");
        }
        Optional<BatchJob> started = readJob(id);
        if (started.isPresent()) {
            announceStart(started.get());
            return new Submission(started.get(), true);
        }
        if (first != request) {
            // Sent again before a plan was stored, maybe longer ago than the retention period: the request is written
            // again (the same one) before the file is looked at, so that the daily retention counts its claim anew.
            artifacts.put(ArtifactStore.BATCH_OUTPUT, requestName(id), new ByteArrayInputStream(Json.writeBytes(first)),
                    true);
        }
        return started(id, request, actor);
    }

    /**
     * The request stored under the key's job {@code id}, or {@code request} once stored there. The daily retention
     * removes a key's request refused before its job was planned once older than the period ({@link BatchRetention}):
     * when it does so between this call's create, refused as the request is there, and its read, nothing is left to
     * read, and the request is stored as though it came after the removal.
     */
    private BatchRequest storedRequest(String id, BatchRequest request) {
        try {
            return output.createOnce(requestName(id), request);
        } catch (ConflictException removedMeanwhile) {
            return output.createOnce(requestName(id), request);
        }
    }

    /** A submitted job, and whether it was found under its idempotency key rather than started by this call. */
    public record Submission(BatchJob job, boolean replayed) {}

    /**
     * A file landed in {@code batch-input}: its name says the model ({@code readmission/nightly.csv}) and may pin
     * a version ({@code readmission/v3/nightly.csv}). The job's id is fixed by the blob and its ETag, so a replayed
     * or duplicated event finds the job it started: it finishes what an interrupted delivery left undone and
     * otherwise adds nothing. A file that cannot be scored becomes a failed
     * job (audited, {@code Vigil.Batch.Failed}), since there is no caller to answer. Files under
     * {@value #REQUESTED_PREFIX} wait for {@code POST /batches} to name them, and start nothing by themselves; nor
     * does an event for a file that is no longer there (empty).
     */
    public Optional<BatchStatus> submitUpload(BlobCreated blob) {
        Objects.requireNonNull(blob, "blob");
        blob.requireContainer("StartBatchOnUpload", ArtifactStore.BATCH_INPUT);
        if (blob.blobName().startsWith(REQUESTED_PREFIX)) {
            return Optional.empty();
        }
        // The job is the stored file's: its id comes from the ETag the store gives the blob now, not from the one the
        // event carries, so an event replayed with another eTag finds the same job instead of scoring the file again.
        // (A blob gone since keeps the event's: an earlier delivery's failure is still found under it.)
        Optional<ArtifactStore.StoredArtifact> stored = artifacts.describe(blob.container(), blob.blobName());
        String eTag = stored.map(ArtifactStore.StoredArtifact::etag).orElse(blob.eTag());
        String id = uploadJobId(blob.blobName(), eTag);
        if (output.exists(purgedName(id))) {
            // The job this file started finished long ago and retention removed its files: a replay starts nothing.
            return Optional.empty();
        }
        Optional<BatchJob> started = readJob(id);
        if (started.isPresent()) {
            // A replay: whatever an earlier delivery left undone after storing the plan (it may have died while
            // queueing the partitions) is done now; after a whole delivery there is nothing left and nothing is written.
            announceStart(started.get());
            return Optional.of(status(id));
        }
        Optional<BatchFailure> failed = read(failureName(id), BatchFailure.class);
        if (stored.isEmpty() && failed.isEmpty()) {
            // The file is gone (deleted since, or the event names one that never was): nothing to score, so no job,
            // no failure and no record, whatever ETag each such event carries.
            return Optional.empty();
        }
        String submitter = stored.map(ArtifactStore.StoredArtifact::uploadedBy).orElse(null);
        String actor = submitter == null ? "storage-upload" : submitter;
        Matcher name = UPLOAD_NAME.matcher(blob.blobName());
        String model = name.matches() ? name.group(1) : null;
        if (failed.isPresent()) {
            announceFailure(id, model, actor, failed.get());
            return Optional.of(status(id));
        }
        try {
            if (model == null) {
                throw new ValidationException("a batch file's name must start with the model's name, optionally"
                        + " followed by a pinned version: readmission/nightly.csv or readmission/v3/nightly.csv");
            }
            if (name.group(2) == null && LOOKS_LIKE_A_VERSION.matcher(blob.blobName()).matches()) {
                // readmission/V2/, /v02/ or /v+2/ meant a pinned version: scoring it with the deployed one instead
                // would be a silent wrong answer.
                throw new ValidationException("a version folder is a lower-case v and the version's number, as in"
                        + " readmission/v3/nightly.csv; this file's folder after the model's name is not one");
            }
            Integer version = name.group(2) == null ? null : Integer.valueOf(name.group(2));
            // Planned on the very version the id was made from: a file replaced since is this job's failure, and the
            // new file's own event starts its own job, so the new content is scored once, not under both ids.
            started(id, new BatchRequest(new ModelName(model), version, blob.blobName(), false), actor, stored.get(),
                    BatchOrigin.UPLOAD);
        } catch (ValidationException | ConflictException | NotFoundException e) {
            fail(id, model, actor, new BatchFailure(id, blob.blobName(), e.getMessage(), clock.instant()), e.code());
        }
        return Optional.of(status(id));
    }

    private BatchJob start(String id, BatchRequest request, String submittedBy) {
        return started(id, request, submittedBy).job();
    }

    /**
     * Plans the job a caller submitted ({@code POST /batches}) and stores the plan once; {@code replayed} when another
     * submission of the same id stored its plan first (two identical requests at once: both plan, one plan is kept,
     * and the other caller is told so).
     */
    private Submission started(String id, BatchRequest request, String submittedBy) {
        return started(id, request, submittedBy, claimed(request), BatchOrigin.REQUEST);
    }

    /**
     * The file a {@code POST /batches} names, whose request is stored in {@code {id}/request.json} already, so that the
     * daily retention, which removes a request file no job names once it is older than the period, and the input of a
     * job it purges unless a job not finished names it, sees it named; or a refusal (409) when a retention run has
     * marked it as being removed, which that run may have decided before the request was stored
     * ({@link BatchRetention}), any run's. Either way no job is planned on a file removed under it. A mark older than
     * {@link BatchRetention#STOPPED_AFTER} is one a run that stopped left on a version still there: the request goes
     * on, and its stored request claims the file against the next run, which finishes that removal by keeping it.
     */
    private ArtifactStore.StoredArtifact claimed(BatchRequest request) {
        ArtifactStore.StoredArtifact input = artifacts.describe(ArtifactStore.BATCH_INPUT, request.input())
                .orElseThrow(() -> new NotFoundException(ErrorCode.NOT_FOUND, "the " + ArtifactStore.BATCH_INPUT
                        + " container has no blob " + request.input() + "; upload the file there first"));
        if (BatchRetention.removalUnderWay(artifacts, output, input, clock.instant())) {
            throw new ConflictException(ErrorCode.INVALID_STATE, "the " + ArtifactStore.BATCH_INPUT + " file "
                    + request.input() + " was last written before the retention period and is being removed by the"
                    + " daily retention, so nothing was planned: upload the file again, then send the request again");
        }
        return input;
    }

    /** Plans a job started as {@code origin} says, of {@code input}, the version of the file described. */
    private Submission started(String id, BatchRequest request, String submittedBy,
            ArtifactStore.StoredArtifact input, BatchOrigin origin) {
        String actor = submittedBy == null ? "unknown" : submittedBy;
        BatchFormat format = BatchFormat.ofFileName(request.input());
        VersionRecord version = scoringVersion(request.model(), request.version());
        ScorableModel model = models.get(version);
        BatchJob planned = plan(id, request, format, input, version, model, actor, origin);
        BatchJob job = output.createOnce(jobName(id), planned);
        announceStart(job);
        return new Submission(job, job != planned);
    }

    /**
     * What follows a stored plan: the partitions queued, the submission audited, {@code Vigil.Batch.Submitted}
     * published, then {@code {id}/queued.json} written to say all of that is done. Each step may be repeated: a
     * partition already done is not queued again (one queued twice is scored once, under its lease), the record is
     * written once, and the event keeps the record's id. So a delivery that died half-way is finished by the next
     * one (a queued partition announces the job before it completes it), and once the marker is there a replay does
     * nothing at all. The partitions go first so that a submission whose first send fails has recorded nothing.
     */
    private void announceStart(BatchJob job) {
        String id = job.id();
        if (artifacts.describe(ArtifactStore.BATCH_OUTPUT, queuedName(id)).isPresent()) {
            return;
        }
        queuePartitions(job);
        Map<String, String> details = new TreeMap<>();
        details.put("batchId", id);
        details.put("input", ArtifactStore.BATCH_INPUT + "/" + job.inputName());
        details.put("inputSha256", job.inputSha256());
        details.put("rows", Long.toString(job.rows()));
        details.put("partitions", Integer.toString(job.partitions().size()));
        details.put("explain", Boolean.toString(job.explain()));
        AuditRecord record = audit.recordOnce("batch:" + id + ":submitted", job.submittedBy(), AUDIT_SUBMITTED,
                job.subject(), "submitted", details);
        events.publish(new VigilEvent(record.id(), EventTypes.BATCH_SUBMITTED, VigilEvent.SOURCE, job.subject(),
                clock.instant(), eventData(job, null)));
        if (job.partitions().isEmpty()) {
            tryComplete(job);
        }
        output.createOnce(queuedName(id), new Queued(id, job.partitions().size(), record.id()));
    }

    /** Queues the partitions not yet done; {@link NothingQueued} when the queue took none of those this call sent. */
    private void queuePartitions(BatchJob job) {
        boolean sent = false;
        for (BatchPartition p : job.partitions()) {
            if (artifacts.describe(ArtifactStore.BATCH_OUTPUT, doneName(job.id(), p.index())).isEmpty()) {
                try {
                    queue.send(WorkQueue.BATCH_PARTITIONS, job.id() + "-" + p.index(),
                            Json.write(new PartitionMessage(job.id(), p.index())));
                } catch (StoreException e) {
                    throw sent ? e : new NothingQueued(e);
                }
                sent = true;
            }
        }
    }

    /** The work queue failed before it took any partition of a job: the queue's failure, as it was reported. */
    private static final class NothingQueued extends StoreException {
        private static final long serialVersionUID = 1L;

        NothingQueued(StoreException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private VersionRecord scoringVersion(ModelName model, Integer pinned) {
        if (pinned != null) {
            VersionRecord record = registry.getVersion(model, pinned);
            if (!SCORABLE.contains(record.stage())) {
                throw new ConflictException(ErrorCode.INVALID_STATE, record.id() + " is " + record.stage().meaning()
                        + "; a batch is scored only by an approved version (approved, canary or production): pin one"
                        + " of those, or leave the version out to use the deployed one");
            }
            return record;
        }
        Optional<Deployment> deployment = registry.deployment(model);
        if (deployment.isEmpty()) {
            registry.listVersions(model);
            throw new ConflictException(ErrorCode.MODEL_NOT_DEPLOYED, "model `" + model + "` has no deployed version"
                    + " to score the batch with; deploy one, or pin an approved version");
        }
        return registry.getVersion(model, deployment.get().stable().version());
    }

    /**
     * Reads the file once: its rows, the CSV header, partitions cut at line boundaries and its sha256, which is the
     * store's own when the store computed it from these very bytes (ADR 0033) rather than digested again.
     */
    private BatchJob plan(String id, BatchRequest request, BatchFormat format, ArtifactStore.StoredArtifact input,
            VersionRecord version, ScorableModel model, String actor, BatchOrigin origin) {
        // The store's digest is the described version's, and the pass reads that version only (by its ETag), so the
        // digest is of the bytes read.
        String stored = artifacts.computesItsOwnSha256() ? input.sha256() : null;
        return plan(id, request, format, input, version, model, actor, origin, stored);
    }

    /** One pass over the file, whose sha256 is {@code knownSha256} or, when that is null, digested on the way. */
    private BatchJob plan(String id, BatchRequest request, BatchFormat format, ArtifactStore.StoredArtifact input,
            VersionRecord version, ScorableModel model, String actor, BatchOrigin origin, String knownSha256) {
        boolean digest = knownSha256 == null;
        MessageDigest sha256 = digest ? Sha256.newDigest() : null;
        List<BatchPartition> partitions = new ArrayList<>();
        List<String> header = List.of();
        InputStream opened;
        try {
            opened = artifacts.open(ArtifactStore.BATCH_INPUT, request.input(), 0, input.etag());
        } catch (ConflictException e) {
            throw new ConflictException(ErrorCode.INVALID_STATE, "the " + ArtifactStore.BATCH_INPUT + " file "
                    + request.input() + " was replaced or removed while it was being read to plan the job, so nothing"
                    + " was planned: submit it again once it is written");
        }
        InputStream raw = new BufferedInputStream(opened);
        TrailingBlankLines watched = new TrailingBlankLines(digest ? new java.security.DigestInputStream(raw, sha256)
                : raw);
        try (LineReader lines = new LineReader(watched, 0, Long.MAX_VALUE, settings.maxLineBytes())) {
            refuseCarriageReturnLineEnds(raw, format);
            long start = 0;
            long firstRow = 1;
            if (format == BatchFormat.CSV) {
                if (!lines.next() || lines.tooLong()) {
                    throw new ValidationException("the CSV file " + request.input() + " has no header line (or one"
                            + " longer than " + settings.maxLineBytes() + " bytes); start it with patientId and the"
                            + " features' names");
                }
                header = RowParser.csvHeader(lines.bytes(), lines.length());
                refuseColumnsTheVersionCannotRead(header, model, version);
                start = lines.position();
            }
            // A partition ends with the first line that takes it to partitionBytes, or with the file.
            long inPartition;
            while ((inPartition = lines.skipLines(start > Long.MAX_VALUE - settings.partitionBytes() ? Long.MAX_VALUE
                    : start + settings.partitionBytes())) > 0) {
                partitions.add(new BatchPartition(partitions.size(), start, lines.position(), firstRow, inPartition));
                start = lines.position();
                firstRow += inPartition;
            }
        } catch (IOException e) {
            throw new StoreException("cannot read the batch file " + request.input(), e);
        } catch (UncheckedIOException e) {
            throw new StoreException("cannot read the batch file " + request.input(), e.getCause());
        }
        // Blank lines at the very end are no rows, however the partitions were cut among them.
        partitions = watched.trim(partitions);
        long rows = partitions.stream().mapToLong(BatchPartition::rows).sum();
        return new BatchJob(id, request.model(), version.version(), request.explain(), format,
                ArtifactStore.BATCH_INPUT, request.input(), input.size(),
                digest ? Sha256.hex(sha256) : knownSha256, input.etag(), rows, header, partitions, actor,
                clock.instant(), PredictionIdForm.MIXED, origin);
    }

    /**
     * Refuses a CSV file whose header has columns the version does not take, or lacks a column for a required input:
     * every row would be refused for it, the same reason thousands of times, so the file is refused before anything
     * is scored. Names are shown only when they look like feature names.
     */
    private static void refuseColumnsTheVersionCannotRead(List<String> header, ScorableModel model,
            VersionRecord version) {
        List<String> features = header.stream().filter(column -> !column.equals(RowParser.PATIENT_ID)).toList();
        List<String> problems = model.validator().fieldProblems(features);
        if (!problems.isEmpty()) {
            throw new ValidationException("the CSV file's header does not fit " + version.modelName().value() + " version "
                    + version.version() + ": " + String.join("; ", problems) + "; every row would be refused for it,"
                    + " so nothing was scored: give the file a column for each of the version's features and no other"
                    + " (besides patientId)");
        }
    }

    /**
     * Refuses a file whose lines end with a carriage return alone: one with a carriage return (other than its last
     * byte) and no line feed within the longest line allowed plus a CRLF. Lines end at a line feed, so such a file is
     * one line: a CSV header naming its rows as columns, a JSON Lines file of one refused row. A file that has line
     * feeds is read line by line even if a line holds a stray carriage return (whitespace in JSON, trimmed from a CSV
     * cell) or its lines end with {@code \r\r\n}: each row is then read, or refused, on its own. Looks no further
     * than that window (then resets {@code in}), so a file too large to be one line is refused the same way.
     */
    private void refuseCarriageReturnLineEnds(InputStream in, BatchFormat format) throws IOException {
        int window = settings.maxLineBytes() + 2;
        in.mark(window);
        byte[] head = in.readNBytes(window);
        in.reset();
        boolean carriageReturn = false;
        for (int i = 0; i < head.length; i++) {
            if (head[i] == '\n') {
                return;
            }
            carriageReturn |= head[i] == '\r' && i + 1 < head.length;
        }
        if (carriageReturn) {
            throw new ValidationException("the " + (format == BatchFormat.CSV ? "CSV" : "JSON Lines") + " file's"
                    + " lines end with a carriage return alone (as classic Mac OS saved text): it has no line feed"
                    + " within its first " + window + " bytes; save it with LF or CRLF line ends");
        }
    }

    // ---------------------------------------------------------------- one partition

    /** The queue message of one partition. */
    record PartitionMessage(String batchId, int partition) {}

    /**
     * Scores one partition from its last checkpoint to its end (a queue-triggered invocation). A store that is
     * unavailable throws, so the queue delivers the message again and the run resumes where it stopped; a
     * version that can no longer be loaded or run fails the job instead of retrying forever. A message of a job that
     * retention has purged (its tombstone is there: a late redelivery) is done at once, with nothing read or written:
     * retrying it could only fail, and end in the poison queue and an alert for nothing.
     */
    public PartitionDelivery scorePartition(String message) {
        PartitionMessage m = partitionMessage(message);
        // Before the plan is read: a purge under way removes the job's files one by one, and a delivery that found
        // the plan without its summary would score an input that is gone and fail a job that completed long ago.
        if (output.exists(purgedName(m.batchId()))) {
            return new PartitionDelivery(m.batchId(), true);
        }
        BatchJob job = readJob(m.batchId()).orElseThrow(() -> new NotFoundException(ErrorCode.NOT_FOUND,
                "batch " + m.batchId() + " has no plan; the message names a job that was never submitted"));
        if (m.partition() < 0 || m.partition() >= job.partitions().size()) {
            throw new ValidationException("batch " + job.id() + " has " + job.partitions().size()
                    + " partitions; the message names partition " + m.partition());
        }
        BatchPartition partition = job.partitions().get(m.partition());
        String what = "partition " + partition.index() + " of batch " + job.id();
        String done = doneName(job.id(), partition.index());
        // Empty when the job is finished or the partition done, before or while this delivery waits for the lease.
        Optional<BlobLease> lease = BlobLease.take(artifacts, ArtifactStore.BATCH_OUTPUT,
                leaseName(job.id(), partition.index()), what,
                () -> isFinished(job.id()) || artifacts.describe(ArtifactStore.BATCH_OUTPUT, done).isPresent(), clock,
                settings.lease());
        if (lease.isPresent()) {
            boolean scored = false;
            try {
                score(job, partition, lease.get(), what);
                scored = true;
            } catch (StoreException e) {
                throw e;
            } catch (UncheckedIOException e) {
                // The input's stream failed mid-read (a connection to the store dropped): the store was away, so the
                // queue delivers the message again and the run resumes; not a fault that fails the job at the end.
                throw new StoreException(what + " stopped: " + e.getMessage(), e);
            } catch (VigilException e) {
                fail(job.id(), job.model().value(), job.submittedBy(), new BatchFailure(job.id(), job.inputName(),
                        "partition " + partition.index() + " could not be scored: " + e.getMessage(), clock.instant()),
                        e.code());
                return new PartitionDelivery(job.id(), false);
            } catch (RuntimeException e) {
                // Not a store that is away (retried) nor a refusal (fails the job): a fault. The queue retries it;
                // if every retry meets one, the poison queue's function fails the job (partitionAbandoned).
                recordFault(job.id(), partition.index(), e);
                throw e;
            } finally {
                if (!scored) {
                    // So that the next delivery need not wait for the lease to end.
                    lease.get().release(what);
                }
            }
        }
        if (output.exists(failureName(job.id()))) {
            return new PartitionDelivery(job.id(), false);
        }
        // A submission that died while queueing (POST /batches has no redelivery) left partitions that nobody would
        // queue: any partition that runs finishes the job's announcement first. Nothing once queued.json is there.
        announceStart(job);
        tryComplete(job);
        return new PartitionDelivery(job.id(), false);
    }

    /** The job a partition's message named, and whether retention had purged it (its message was done at once). */
    public record PartitionDelivery(String batchId, boolean jobPurged) {}

    private static PartitionMessage partitionMessage(String message) {
        PartitionMessage m;
        try {
            m = Json.read("the batch partition message", message.getBytes(StandardCharsets.UTF_8),
                    PartitionMessage.class);
        } catch (ValidationException e) {
            throw new ValidationException("a batch partition message must be {\"batchId\", \"partition\"}: "
                    + e.getMessage());
        }
        requireId(m.batchId());
        return m;
    }

    /**
     * A partition's message that the queue gave up on after its last retry (the host moved it to the poison queue).
     * When a delivery met a fault ({@link #recordFault}: neither a refusal, which fails the job at once, nor a store
     * that was away), the job can no longer complete: it fails, audited and announced once, instead of reading
     * RUNNING for good (ADR 0030). A partition without a fault, one that is done, or a finished job is left as it is,
     * as is a job retention has purged (its tombstone is there, checked first as {@link #scorePartition} does): the
     * answer says which, and names the job, for the function's log.
     */
    public AbandonedPartition partitionAbandoned(String message) {
        PartitionMessage m = partitionMessage(message);
        return new AbandonedPartition(m.batchId(), m.partition(), abandoned(m));
    }

    private Abandoned abandoned(PartitionMessage m) {
        if (output.exists(purgedName(m.batchId()))) {
            return Abandoned.JOB_PURGED;
        }
        Optional<BatchJob> found = readJob(m.batchId());
        if (found.isEmpty()) {
            return Abandoned.NO_SUCH_JOB;
        }
        if (isFinished(m.batchId())) {
            return Abandoned.JOB_ALREADY_FINISHED;
        }
        if (artifacts.describe(ArtifactStore.BATCH_OUTPUT, doneName(m.batchId(), m.partition())).isPresent()) {
            return Abandoned.PARTITION_DONE;
        }
        if (BlobLease.held(artifacts, ArtifactStore.BATCH_OUTPUT, leaseName(m.batchId(), m.partition()),
                clock.instant())) {
            // Another delivery of the same partition is scoring it now (a copy of its message was poisoned while a
            // redelivery worked): a fault an earlier attempt met is not this one's; the running delivery decides.
            return Abandoned.PARTITION_RUNNING;
        }
        Optional<Fault> fault = read(faultName(m.batchId(), m.partition()), Fault.class);
        if (fault.isEmpty()) {
            // Without a recorded fault the retries met a store that was away: the job stays resumable by sending
            // the message again once the store is back (the batch-scoring runbook).
            return Abandoned.LEFT_RESUMABLE;
        }
        BatchJob job = found.get();
        fail(job.id(), job.model().value(), job.submittedBy(), new BatchFailure(job.id(), job.inputName(),
                "partition " + m.partition() + " could not be scored: every attempt failed with an unexpected "
                        + fault.get().error() + " (the ScoreBatchPartition function's log has it); submit the file"
                        + " again once it is fixed", clock.instant()), ErrorCode.INTERNAL);
        return Abandoned.JOB_FAILED;
    }

    /** The job and partition an abandoned message named, and what {@link #partitionAbandoned} did with it. */
    public record AbandonedPartition(String batchId, int partition, Abandoned outcome) {}

    /** What {@link #partitionAbandoned} did with a partition's abandoned message, and why. */
    public enum Abandoned {
        /** A delivery met a fault: the job is failed (audited and announced once). */
        JOB_FAILED("its job is marked failed"),
        /** No delivery met a fault (the store was away): the job stays running, resumable by sending it again. */
        LEFT_RESUMABLE("no attempt met a fault (the store was away), so its job is left running: send the message"
                + " again once the store is back (runbook batch-scoring.md)"),
        PARTITION_DONE("the partition was scored by another delivery; nothing to do"),
        PARTITION_RUNNING("another delivery is scoring the partition now; nothing to do"),
        JOB_ALREADY_FINISHED("its job had already finished; nothing to do"),
        /** The job finished and retention removed its files: nothing is left to score or to fail. */
        JOB_PURGED("its job was purged by retention; nothing to do"),
        NO_SUCH_JOB("it names no planned job; nothing to do");

        private final String words;

        Abandoned(String words) {
            this.words = words;
        }

        /** For the function's log line. */
        public String words() {
            return words;
        }
    }

    /** What a partition's last failed delivery met, by the error's type only (its message may hold a row's data). */
    record Fault(String error, Instant at) {}

    private void recordFault(String id, int partition, RuntimeException e) {
        try {
            artifacts.put(ArtifactStore.BATCH_OUTPUT, faultName(id, partition),
                    new ByteArrayInputStream(Json.writeBytes(new Fault(e.getClass().getSimpleName(), clock.instant()))),
                    true);
        } catch (RuntimeException notRecorded) {
            e.addSuppressed(notRecorded);
        }
    }

    private void score(BatchJob job, BatchPartition partition, BlobLease lease, String what) {
        requirePlannedInput(job);
        ScorableModel model = models.get(requireNotWithdrawn(job, registry.getVersion(job.model(), job.version())));
        RowParser parser = new RowParser(job.format(), job.header(), model.validator().schema());
        CsvRowDecoder decoder = job.format() == BatchFormat.CSV
                ? CsvRowDecoder.of(model.pipeline(), model.validator().schema(), job.header()).orElse(null) : null;
        ChunkScorer scorer = new ChunkScorer(job.id(), job.predictionIdForm(), model, pseudonymizer, job.explain(),
                parser, decoder);
        Optional<BatchCheckpoint> saved = read(checkpointName(job.id(), partition.index()), BatchCheckpoint.class);
        BatchCheckpoint checkpoint;
        Map<Long, PredictionRecord> loggedEarlier;
        if (saved.isPresent()) {
            checkpoint = saved.get();
            loggedEarlier = loggedEarlier(job, partition, checkpoint);
        } else {
            // Written before anything is logged, so a run that dies after logging always leaves one to resume from.
            checkpoint = BatchCheckpoint.start(partition, clock.instant(), settings.rowsPerCheckpoint());
            writeCheckpoint(job.id(), checkpoint);
            loggedEarlier = new HashMap<>();
        }
        try (LineReader lines = new LineReader(openInput(job.inputContainer(), job.inputName(), checkpoint.nextByte(),
                job.inputEtag()), checkpoint.nextByte(), partition.endByte(), settings.maxLineBytes())) {
            long row = checkpoint.nextRow();
            // The chunks since the last checkpoint: their result lines and counts, made durable together.
            ResultLines results = new ResultLines((int) Math.min(64L << 20, settings.rowsPerCheckpoint() * 192));
            long scored = 0;
            Map<String, Long> refusals = new HashMap<>();
            int chunks = 0;
            // Each row's bytes are copied into the array of its place in the chunk, kept from chunk to chunk.
            byte[][] places = new byte[Math.min(settings.chunkRows(), (int) partition.rows())][];
            // Made once: the refusal of a row over the limit says what the limit is, so the sender can tell why.
            String tooLong = "it is longer than " + settings.maxLineBytes() + " bytes, the limit for one line; every row"
                    + " is one line: check that each row of the file ends with a line break";
            while (true) {
                List<ChunkScorer.Row> rows = new ArrayList<>(places.length);
                while (rows.size() < settings.chunkRows() && lines.next()) {
                    rows.add(line(row++, lines, places, rows.size(), tooLong));
                }
                if (!rows.isEmpty()) {
                    Map<Long, PredictionRecord> logged = new HashMap<>();
                    if (!loggedEarlier.isEmpty()) {
                        for (ChunkScorer.Row r : rows) {
                            PredictionRecord earlier = loggedEarlier.remove(r.number());
                            if (earlier != null) {
                                logged.put(r.number(), earlier);
                            }
                        }
                    }
                    // Logged at the checkpoint's time: a run resumed from it makes the same prediction ids.
                    ChunkScorer.Outcome outcome = scorer.score(rows, logged, checkpoint.at());
                    lease.keep(what);
                    log.append(outcome.predictions());
                    scorer.writeResults(rows, outcome, results);
                    scored += outcome.scored().size();
                    refusalKinds(outcome).forEach((k, v) -> refusals.merge(k, v, Long::sum));
                    chunks++;
                }
                if (chunks > 0 && (chunks == settings.checkpointChunks() || rows.isEmpty())) {
                    // The results first: a checkpoint never points past results that are not written.
                    lease.keep(what);
                    artifacts.putUndigested(ArtifactStore.BATCH_OUTPUT, chunkName(job.id(), partition.index(),
                            checkpoint.chunks()), results.read(), true);
                    checkpoint = checkpoint.next(lines.position(), row, scored, refusals, clock.instant(),
                            settings.rowsPerCheckpoint());
                    writeCheckpoint(job.id(), checkpoint);
                    // Counted once durable: a run resumed from this checkpoint scores only the rows after it.
                    ModelVersion counted = new ModelVersion(job.model(), job.version());
                    long refused = refusals.values().stream().mapToLong(Long::longValue).sum();
                    if (scored > 0) {
                        telemetry.batchRows(counted, "scored", scored);
                    }
                    if (refused > 0) {
                        telemetry.batchRows(counted, "refused", refused);
                    }
                    results.reset();
                    scored = 0;
                    refusals.clear();
                    chunks = 0;
                }
                if (rows.isEmpty()) {
                    break;
                }
            }
        }
        if (checkpoint.nextRow() != partition.firstRow() + partition.rows()) {
            throw new StoreException("partition " + partition.index() + " of batch " + job.id() + " ended at row "
                    + checkpoint.nextRow() + " instead of " + (partition.firstRow() + partition.rows())
                    + ": the input file changed after it was submitted", null);
        }
        lease.keep(what);
        try {
            artifacts.put(ArtifactStore.BATCH_OUTPUT, doneName(job.id(), partition.index()),
                    new ByteArrayInputStream(Json.writeBytes(checkpoint)), false);
        } catch (ConflictException alreadyDone) {
            // Another delivery of the same message finished it first; its record stands.
        }
    }

    /**
     * Refuses to go on scoring a job with a version taken off live traffic since the job was planned: a canary rolled
     * back (its canary analysis or an operator found it worse than stable), or a stable version replaced by an older
     * one (a rollback). A job that runs for hours would otherwise keep scoring patients with a version the platform has
     * withdrawn. A version replaced by a newer one in a routine deploy goes on scoring its job, so that one job is
     * scored by one version. Told by the version's history, whatever was deployed since: a version rolled back stays
     * withdrawn for the job after a newer deploy, or after it is deployed or tried as a canary again. Checked as each
     * partition starts; the rows scored before stay in the prediction log.
     */
    private VersionRecord requireNotWithdrawn(BatchJob job, VersionRecord version) {
        if (!SCORABLE.contains(version.stage()) && version.stage() != Stage.RETIRED) {
            throw new ConflictException(ErrorCode.INVALID_STATE, version.id() + " is " + version.stage().meaning()
                    + ", since batch " + job.id() + " was planned; the rows scored before stay in the prediction log"
                    + " and no further row is scored with it: submit the file again to score it with the deployed"
                    + " version, or pin an approved one");
        }
        Optional<String> withdrawn = withdrawnSincePlanned(job, version);
        if (withdrawn.isEmpty()) {
            return version;
        }
        throw new ConflictException(ErrorCode.INVALID_STATE, version.id() + " " + withdrawn.get() + " after batch "
                + job.id() + " was planned; the rows scored before stay in the prediction log and no further row is"
                + " scored with it: submit the file again to score it with the deployed version");
    }

    /**
     * How the version was withdrawn since the job was planned, if it was: a canary rolled back, or a stable version
     * retired by an older one. Read from its history, from its last move into a stage that scores batches at or
     * before the plan's time, so that a rollback made while the file was being read counts too. A version whose
     * record has no such move (written before versions kept a history) is judged by its stage and the deployed version.
     */
    private Optional<String> withdrawnSincePlanned(BatchJob job, VersionRecord version) {
        List<StageChange> history = version.history();
        int since = -1;
        for (int i = 0; i < history.size(); i++) {
            StageChange change = history.get(i);
            if (!change.at().isAfter(job.submittedAt()) && SCORABLE.contains(change.to())) {
                since = i;
            }
        }
        if (since < 0) {
            int stable = registry.deployment(job.model()).map(d -> d.stable().version()).orElse(version.version());
            return version.stage() == Stage.RETIRED && stable < version.version()
                    ? Optional.of(rolledBackTo(stable)) : Optional.empty();
        }
        for (StageChange change : history.subList(since + 1, history.size())) {
            if (change.to() == Stage.ROLLED_BACK) {
                return Optional.of("was rolled back (taken off live traffic as a canary)");
            }
            if (change.to() == Stage.RETIRED && change.from() == Stage.PRODUCTION) {
                int replacement = replacedBy(job.model(), version, change);
                if (replacement < version.version()) {
                    return Optional.of(rolledBackTo(replacement));
                }
            }
        }
        return Optional.empty();
    }

    private static String rolledBackTo(int version) {
        return "was rolled back to version " + version;
    }

    /**
     * The version put on the stable slot by the change that retired {@code version}: the one moved to production under
     * the same cause (a deployment's or a canary promotion's revision moves both), else the deployed one.
     */
    private int replacedBy(ModelName model, VersionRecord version, StageChange retired) {
        if (retired.cause() != null) {
            for (VersionRecord other : registry.listVersions(model)) {
                if (other.version() != version.version() && other.movedBy(retired.cause(), Stage.PRODUCTION)) {
                    return other.version();
                }
            }
        }
        return registry.deployment(model).map(d -> d.stable().version()).orElse(version.version());
    }

    /**
     * Refuses to read a partition of a file that is not the one the job planned: a file written since under the same
     * name (the next night's export, a corrected file) has other patients at the planned byte ranges, and its rows
     * would be scored and logged under this job's row numbers. By the ETag recorded at planning; a job planned before
     * it was recorded by the file's size.
     */
    private void requirePlannedInput(BatchJob job) {
        Optional<ArtifactStore.StoredArtifact> now = artifacts.describe(job.inputContainer(), job.inputName());
        boolean planned = now.isPresent() && (job.inputEtag() != null ? job.inputEtag().equals(now.get().etag())
                : now.get().size() == job.inputBytes());
        if (!planned) {
            throw inputChanged(job.inputContainer(), job.inputName(), now.isPresent());
        }
    }

    private static ConflictException inputChanged(String container, String name, boolean present) {
        return new ConflictException(ErrorCode.INVALID_STATE, "its input " + container + "/" + name + " was "
                + (present ? "replaced" : "removed") + " after the job was submitted, so its rows are no longer the"
                + " ones planned; nothing more of this job is scored: submit the file again as a new job (under"
                + " another name, or once this one has failed)");
    }

    /**
     * The input from {@code offset} on, of the version whose ETag is {@code etag} only (a job planned before the ETag
     * was recorded has none, and was checked by its size): a file replaced between the check and the read, which the
     * check alone would miss, is the same refusal, before any of its rows is read.
     */
    private InputStream openInput(String container, String name, long offset, String etag) {
        if (etag == null) {
            return artifacts.open(container, name, offset);
        }
        try {
            return artifacts.open(container, name, offset, etag);
        } catch (ConflictException e) {
            throw inputChanged(container, name, artifacts.describe(container, name).isPresent());
        }
    }

    /** The result lines since the last checkpoint, read back for the results blob without a copy. */
    private static final class ResultLines extends ByteArrayOutputStream {
        ResultLines(int size) {
            super(size);
        }

        InputStream read() {
            return new ByteArrayInputStream(buf, 0, count);
        }
    }

    /**
     * The line the reader is on, as a row to score (its bytes copied into {@code places[place]}, which grows when
     * too small), or the reason it is not one.
     */
    private static ChunkScorer.Row line(long row, LineReader lines, byte[][] places, int place, String tooLong) {
        if (lines.tooLong()) {
            return new ChunkScorer.Row(row, null, 0, tooLong);
        }
        int length = lines.length();
        if (isBlank(lines.bytes(), length)) {
            return new ChunkScorer.Row(row, null, 0, "it is empty");
        }
        byte[] bytes = places[place];
        if (bytes == null || bytes.length < length) {
            bytes = new byte[Math.max(length, 512)];
            places[place] = bytes;
        }
        System.arraycopy(lines.bytes(), 0, bytes, 0, length);
        return new ChunkScorer.Row(row, bytes, length, null);
    }

    private static boolean isBlank(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    /**
     * The predictions that an earlier run, resumed from {@code checkpoint}, logged after it and then died before
     * the next checkpoint: found by their fixed prediction ids, among the rows such a run reaches before its next
     * checkpoint, in the log's window since the checkpoint. At most one checkpoint's worth of rows.
     */
    private Map<Long, PredictionRecord> loggedEarlier(BatchJob job, BatchPartition partition,
            BatchCheckpoint checkpoint) {
        long reach = checkpoint.rowsUntilNext() > 0 ? checkpoint.rowsUntilNext() : settings.chunkRows();
        long end = Math.min(partition.firstRow() + partition.rows(), checkpoint.nextRow() + reach);
        Map<String, Long> wanted = new HashMap<>();
        ChunkScorer.RowIds ids = new ChunkScorer.RowIds(job.predictionIdForm(), job.id());
        long at = checkpoint.at().toEpochMilli();
        for (long r = checkpoint.nextRow(); r < end; r++) {
            wanted.put(ids.of(r, at), r);
            wanted.put(ChunkScorer.legacyPredictionId(job.id(), r), r);
        }
        Map<Long, PredictionRecord> found = new HashMap<>();
        if (wanted.isEmpty()) {
            return found;
        }
        Instant now = clock.instant();
        log.scan(job.model(), checkpoint.at(), now.plusNanos(1), r -> {
            if (job.id().equals(r.batchId())) {
                Long row = wanted.get(r.predictionId());
                if (row != null) {
                    found.put(row, r);
                }
            }
        });
        return found;
    }

    /** Each refused row counted once, under its first reason (a rule and a feature name, never a value). */
    private static Map<String, Long> refusalKinds(ChunkScorer.Outcome outcome) {
        Map<String, Long> kinds = new HashMap<>();
        for (List<String> reasons : outcome.refused().values()) {
            kinds.merge(reasons.isEmpty() ? "refused" : reasons.get(0), 1L, Long::sum);
        }
        return kinds;
    }

    private void writeCheckpoint(String id, BatchCheckpoint checkpoint) {
        artifacts.put(ArtifactStore.BATCH_OUTPUT, checkpointName(id, checkpoint.partition()),
                new ByteArrayInputStream(Json.writeBytes(checkpoint)), true);
    }

    // ---------------------------------------------------------------- completion

    /**
     * When every partition is done, merges their chunks in row order into {@code results.jsonl}, writes the
     * summary (create-once: of two partitions finishing together, one writes it and the other reads it), then
     * announces the completion once ({@link #announceCompletion}). A job whose completion is announced is left as it is.
     */
    private void tryComplete(BatchJob job) {
        if (output.exists(completionAnnouncedName(job.id()))) {
            return;
        }
        List<BatchCheckpoint> done = new ArrayList<>();
        for (BatchPartition p : job.partitions()) {
            Optional<BatchCheckpoint> d = read(doneName(job.id(), p.index()), BatchCheckpoint.class);
            if (d.isEmpty()) {
                return;
            }
            done.add(d.get());
        }
        BatchSummary summary = read(summaryName(job.id()), BatchSummary.class).orElse(null);
        if (summary == null) {
            String resultsSha256 = mergeResults(job, done);
            long scored = 0;
            long refused = 0;
            Map<String, Long> kinds = new TreeMap<>();
            for (BatchCheckpoint d : done) {
                scored += d.scored();
                refused += d.refused();
                d.refusals().forEach((k, v) -> kinds.merge(k, v, Long::sum));
            }
            // A day without patients is a job that completed; a nightly export that broke and wrote only its header
            // looks the same, so the summary, the record and the event say that there was nothing to score.
            List<String> warnings = job.rows() == 0 ? List.of(BatchSummary.EMPTY_INPUT + ": the file held no rows (a"
                    + " CSV file with only its header, or an empty JSON Lines file), so nothing was scored; check the"
                    + " export that wrote it, unless there were no patients to score") : List.of();
            summary = new BatchSummary(job.id(), job.model().value(), job.version(),
                    job.inputContainer() + "/" + job.inputName(), job.inputSha256(), job.rows(), scored, refused, kinds,
                    ArtifactStore.BATCH_OUTPUT + "/" + resultsName(job.id()), resultsSha256, job.submittedAt(),
                    clock.instant(), warnings);
            summary = output.createOnce(summaryName(job.id()), summary);
        }
        announceCompletion(job, summary);
    }

    /**
     * Audits the completion and publishes {@code Vigil.Batch.Completed}, then writes
     * {@code {id}/completion-announced.json}. Of the runs that reach this together (the last partitions finishing at
     * once, a redelivered message), the one that creates {@code {id}/completion-lease.json} first announces; the others
     * wait for the marker and return, so the trail and the subscribers see one completion. A run that dies after
     * taking the lease and before the marker leaves the announcement to the next delivery, which takes the lease over
     * once it expires (or at once when the run gave it up after a failed publish) and announces under the same record.
     */
    private void announceCompletion(BatchJob job, BatchSummary summary) {
        String id = job.id();
        announceOnce("the completion of batch " + id, completionLeaseName(id), completionAnnouncedName(id), () -> {
            Map<String, String> details = new TreeMap<>();
            details.put("batchId", id);
            details.put("rows", Long.toString(summary.rows()));
            details.put("scored", Long.toString(summary.scored()));
            details.put("refused", Long.toString(summary.refused()));
            details.put("resultsSha256", summary.resultsSha256());
            if (!summary.warnings().isEmpty()) {
                details.put("warnings", String.join(",", summary.warningCodes()));
            }
            AuditRecord record = audit.recordOnce("batch:" + id + ":completed", job.submittedBy(), AUDIT_COMPLETED,
                    job.subject(), "completed", details);
            events.publish(new VigilEvent(record.id(), EventTypes.BATCH_COMPLETED, VigilEvent.SOURCE, job.subject(),
                    clock.instant(), eventData(job, summary)));
            output.createOnce(completionAnnouncedName(id), new Announced(id, record.id()));
        });
    }

    /**
     * Runs {@code announce} (which audits once, publishes, then writes {@code marker}) in one run of those that reach
     * it together: the one that creates {@code leaseName} first; the others wait for the marker and return. A run that
     * fails before the marker gives the lease up, so the next delivery announces at once; one that dies holding it
     * leaves it to expire.
     */
    private void announceOnce(String what, String leaseName, String marker, Runnable announce) {
        Optional<BlobLease> lease = BlobLease.take(artifacts, ArtifactStore.BATCH_OUTPUT, leaseName, what,
                () -> output.exists(marker), clock, settings.lease());
        if (lease.isEmpty()) {
            return;
        }
        boolean announced = false;
        try {
            announce.run();
            announced = true;
        } finally {
            if (!announced) {
                // So that the next delivery need not wait for the lease to end.
                lease.get().release(what);
            }
        }
    }

    private String mergeResults(BatchJob job, List<BatchCheckpoint> done) {
        List<String> chunks = new ArrayList<>();
        for (BatchCheckpoint d : done) {
            for (int c = 0; c < d.chunks(); c++) {
                chunks.add(chunkName(job.id(), d.partition(), c));
            }
        }
        java.util.Iterator<String> next = chunks.iterator();
        // Chunks are opened one at a time as the merged stream reaches them: memory stays one buffer.
        InputStream merged = new SequenceInputStream(new java.util.Enumeration<InputStream>() {
            @Override
            public boolean hasMoreElements() {
                return next.hasNext();
            }

            @Override
            public InputStream nextElement() {
                return artifacts.open(ArtifactStore.BATCH_OUTPUT, next.next());
            }
        });
        try {
            return artifacts.put(ArtifactStore.BATCH_OUTPUT, resultsName(job.id()), merged, false).sha256();
        } catch (ConflictException mergedElsewhere) {
            // Another delivery merged the same chunks into the same bytes first. A store may describe a blob before
            // it has recorded its sha256 (the port allows none), so the stored bytes are digested then.
            String described = artifacts.describe(ArtifactStore.BATCH_OUTPUT, resultsName(job.id()))
                    .map(ArtifactStore.StoredArtifact::sha256).orElse(null);
            if (described != null) {
                return described;
            }
            try (InputStream stored = artifacts.open(ArtifactStore.BATCH_OUTPUT, resultsName(job.id()))) {
                return Sha256.hex(stored);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot read back the merged results of batch " + job.id(), e);
            }
        }
    }

    /**
     * A file that cannot be scored at all: the failure is written once, audited once and announced, then
     * {@code {id}/failure-announced.json} says so. A call that finds the failure written but not that marker (an
     * earlier one died before announcing it) finishes the announcement; one that finds the marker does nothing. The
     * call that writes the failure counts it in {@code vigil.errors} under {@code batch} with {@code code}.
     */
    private void fail(String id, String model, String actor, BatchFailure failure, ErrorCode code) {
        try {
            artifacts.put(ArtifactStore.BATCH_OUTPUT, failureName(id), new ByteArrayInputStream(Json.writeBytes(failure)),
                    false);
            // Counted by the call that stored the failure, so a replay or a second abandoned partition counts nothing.
            telemetry.failed(FAILED_OPERATION, code);
        } catch (ConflictException alreadyFailed) {
            failure = read(failureName(id), BatchFailure.class).orElse(failure);
        }
        announceFailure(id, model, actor, failure);
    }

    /** Audits and announces a stored failure, once; a call that finds it announced does nothing. */
    private void announceFailure(String id, String model, String actor, BatchFailure written) {
        // Partitions that fail together (abandoned by the queue at once) announce the failure once, as a completion.
        announceOnce("the failure of batch " + id, id + "/failure-lease.json", failureAnnouncedName(id), () -> {
            String subject = model == null ? "/batches/" + id : "/models/" + model + "/batches/" + id;
            AuditRecord record = audit.recordOnce("batch:" + id + ":failed", actor, AUDIT_FAILED, subject, "failed",
                    Map.of("batchId", id, "input", ArtifactStore.BATCH_INPUT + "/" + written.input()));
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("batchId", id);
            if (model != null) {
                data.put("model", model);
            }
            data.put("reason", written.reason());
            events.publish(new VigilEvent(record.id(), EventTypes.BATCH_FAILED, VigilEvent.SOURCE, subject,
                    clock.instant(), data));
            output.createOnce(failureAnnouncedName(id), new Announced(id, record.id()));
        });
    }

    private static Map<String, Object> eventData(BatchJob job, BatchSummary summary) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("batchId", job.id());
        data.put("model", job.model().value());
        data.put("version", job.version());
        data.put("rows", job.rows());
        data.put("partitions", job.partitions().size());
        if (summary != null) {
            data.put("scored", summary.scored());
            data.put("refused", summary.refused());
            data.put("results", summary.results());
            if (!summary.warnings().isEmpty()) {
                data.put("warnings", summary.warningCodes());
            }
        }
        return data;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Where a job stands: running (rows done so far), completed (with its results) or failed (with the reason). For
     * the platform's own use (the answer to a submission or an upload); a caller reads through
     * {@link #status(String, Principal)}.
     */
    public BatchStatus status(String id) {
        id = canonicalId(id);
        refusePurged(id);
        return status(id, readJob(id));
    }

    /**
     * {@code GET /batches/{id}}: {@link #status(String)} for a caller who may read the job ({@link #requireReader}),
     * audited ({@link #AUDIT_STATUS_READ}) as {@link #recordRead} says.
     */
    public BatchStatus status(String id, Principal reader) {
        requireBatchRole(reader);
        String canonical = canonicalRead(id, reader, AUDIT_STATUS_READ);
        BatchStatus status;
        try {
            Optional<BatchJob> found = readJob(canonical);
            requireReader(canonical, found, reader);
            refusePurged(canonical);
            status = status(canonical, found);
        } catch (VigilException e) {
            recordRefusedRead(reader, AUDIT_STATUS_READ, canonical, e);
            throw e;
        }
        recordRead(reader, AUDIT_STATUS_READ, canonical, status.state());
        return status;
    }

    /** The job id a caller's read names; text that is no batch id is recorded as {@code invalid}, without it. */
    private String canonicalRead(String id, Principal reader, String action) {
        try {
            return canonicalId(id);
        } catch (ValidationException e) {
            // What was asked stays out of the record: it is not a batch id and may be anything.
            audit.record(reader.id(), action, "batches", "invalid", Map.of());
            throw e;
        }
    }

    /** A caller's read of a job that was not answered: {@code refused} (4xx) or {@code failed}, with the code. */
    private void recordRefusedRead(Principal reader, String action, String id, VigilException e) {
        audit.record(reader.id(), action, "batches/" + id, e.code().isClientError() ? "refused" : "failed",
                Map.of("batchId", id, "code", e.code().name()));
    }

    /**
     * Records a caller's answered read of a job's status or summary, once per reader (its identity as
     * {@link Principal#sameIdentity} compares it), job, state the job was in and UTC day:
     * {@code vigil batch status --wait} asks twice a second until the job ends, and a record per poll would bury each
     * read that matters (who saw the job running, who saw it completed or failed, on which days) under thousands
     * alike. Neither answer holds a patient's data (counts, the model, refusals by rule); the results, which
     * do, are recorded page by page ({@link #readResults}). A refused or failed read is recorded every time.
     */
    private void recordRead(Principal reader, String action, String id, BatchStatus.State state) {
        String day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toString();
        Map<String, String> details = new TreeMap<>();
        details.put("batchId", id);
        details.put("state", state.name());
        // Keyed by the identity as access compares it: one caller spelled two ways is one reader, and one record.
        String readerKey = Sha256.hex(Principal.canonical(reader.id()));
        audit.recordOnce("batch:" + id + ":" + action + ":" + state.name() + ":" + day + ":" + readerKey,
                reader.id(), action, "batches/" + id, "read", details);
    }

    private void refusePurged(String id) {
        Optional<BatchRetention.Purged> purged = read(purgedName(id), BatchRetention.Purged.class);
        if (purged.isPresent()) {
            throw purged.get().gone();
        }
    }

    /**
     * Refuses a caller that holds neither batch role, before anything about the job is looked at: the routes that
     * read a job admit any authenticated caller, so that {@code Batches.ReadAll} alone is enough.
     */
    private static void requireBatchRole(Principal reader) {
        Objects.requireNonNull(reader, "reader");
        if (!reader.has(Role.BATCHES_SUBMIT) && !reader.has(Role.BATCHES_READ_ALL)) {
            throw new AccessDeniedException(ErrorCode.FORBIDDEN, "reading a batch needs the role "
                    + Role.BATCHES_SUBMIT.wireName() + " (the batches the caller submitted) or "
                    + Role.BATCHES_READ_ALL.wireName() + " (every batch); the caller '" + reader.id()
                    + "' has neither");
        }
    }

    /**
     * Refuses (403, naming the role that would admit it) a caller who may not read the job's status, summary or
     * results (patient-level): the caller who submitted it through {@code POST /batches} may, and a holder of
     * {@code Batches.ReadAll} may read every job. A job a file in {@code batch-input} started has no caller for a
     * submitter (what the store recorded of the file's writer is not an authenticated caller), so only
     * {@code Batches.ReadAll} reads it, as it alone reads a job that failed before it was planned (only an upload
     * leaves one) and a job whose plan says neither its origin nor its input's ETag ({@link #originOf}). A job that
     * retention purged is read by the same rule, from its tombstone; one whose tombstone predates the origin kept there
     * only with {@code Batches.ReadAll}. An id that names no job is left to the read (404).
     */
    private void requireReader(String id, Optional<BatchJob> job, Principal reader) {
        if (reader.has(Role.BATCHES_READ_ALL)) {
            return;
        }
        String needs = "; it is read with the role " + Role.BATCHES_READ_ALL.wireName() + ", which the caller '"
                + reader.id() + "' does not have";
        BatchOrigin origin;
        String submittedBy;
        if (job.isPresent()) {
            origin = originOf(job.get());
            submittedBy = job.get().submittedBy();
            if (origin == null) {
                throw new AccessDeniedException(ErrorCode.FORBIDDEN, "batch " + id + " was planned before the"
                        + " platform recorded whether a caller's request or a dropped file started a batch" + needs);
            }
        } else {
            Optional<BatchRetention.Purged> purged = read(purgedName(id), BatchRetention.Purged.class);
            if (purged.isPresent()) {
                origin = purged.get().origin();
                submittedBy = purged.get().submittedBy();
                if (origin == null) {
                    throw new AccessDeniedException(ErrorCode.FORBIDDEN, "what is kept of batch " + id + " does not"
                            + " say whether a caller's request or a dropped file started it" + needs);
                }
            } else if (output.exists(failureName(id))) {
                origin = BatchOrigin.UPLOAD;
                submittedBy = null;
            } else {
                return;
            }
        }
        if (origin == BatchOrigin.UPLOAD) {
            throw new AccessDeniedException(ErrorCode.FORBIDDEN, "batch " + id + " was started by a file placed in "
                    + ArtifactStore.BATCH_INPUT + ", not by a caller's request" + needs);
        }
        if (!Principal.sameIdentity(submittedBy, reader.id())) {
            throw new AccessDeniedException(ErrorCode.FORBIDDEN, "batch " + id + " was submitted by another caller;"
                    + " a batch is read by the caller who submitted it, or with the role "
                    + Role.BATCHES_READ_ALL.wireName() + ", which the caller '" + reader.id() + "' does not have");
        }
    }

    /**
     * How {@code job} was started: as its plan records, or for a plan written before that was recorded, as its id
     * says. A dropped file's job is named after the file and the version planned ({@link #uploadJobId}), which a
     * request's job (a random id, or one made from its submitter and key) never is. Null when the plan does not record
     * that version either.
     */
    static BatchOrigin originOf(BatchJob job) {
        if (job.origin() != null) {
            return job.origin();
        }
        if (job.inputEtag() == null) {
            return null;
        }
        return job.id().equals(uploadJobId(job.inputName(), job.inputEtag())) ? BatchOrigin.UPLOAD
                : BatchOrigin.REQUEST;
    }

    private BatchStatus status(String id, Optional<BatchJob> found) {
        Optional<BatchFailure> failure = read(failureName(id), BatchFailure.class);
        if (found.isEmpty()) {
            if (failure.isPresent()) {
                return new BatchStatus(id, null, 0, BatchStatus.State.FAILED, 0, 0, 0, 0, 0, 0, null,
                        failure.get().at(), null, null, failure.get().reason(), null);
            }
            throw notFound(id);
        }
        BatchJob job = found.get();
        Optional<BatchSummary> summary = read(summaryName(id), BatchSummary.class);
        if (summary.isPresent()) {
            BatchSummary s = summary.get();
            return new BatchStatus(id, job.model().value(), job.version(), BatchStatus.State.COMPLETED, job.rows(),
                    job.rows(), s.scored(), s.refused(), job.partitions().size(), job.partitions().size(),
                    job.submittedAt(), s.completedAt(), s.results(), ArtifactStore.BATCH_OUTPUT + "/" + summaryName(id),
                    null, s.warnings());
        }
        long done = 0;
        long scored = 0;
        long refused = 0;
        int partitionsDone = 0;
        for (BatchPartition p : job.partitions()) {
            Optional<BatchCheckpoint> c = read(checkpointName(id, p.index()), BatchCheckpoint.class);
            if (c.isPresent()) {
                done += c.get().rowsDone(p);
                scored += c.get().scored();
                refused += c.get().refused();
                if (c.get().nextRow() == p.firstRow() + p.rows()) {
                    partitionsDone++;
                }
            }
        }
        BatchStatus.State state = failure.isPresent() ? BatchStatus.State.FAILED : BatchStatus.State.RUNNING;
        return new BatchStatus(id, job.model().value(), job.version(), state, job.rows(), done, scored, refused,
                job.partitions().size(), partitionsDone, job.submittedAt(), failure.map(BatchFailure::at).orElse(null),
                null, null, failure.map(BatchFailure::reason).orElse(null), null);
    }

    /** The merged per-row results of a completed job, one JSON object per line in row order. */
    public InputStream openResults(String id) {
        String canonical = canonicalId(id);
        requireCompleted(canonical);
        return artifacts.open(ArtifactStore.BATCH_OUTPUT, resultsName(canonical));
    }

    private void requireCompleted(String id) {
        BatchStatus status = status(id);
        if (status.state() != BatchStatus.State.COMPLETED) {
            throw new ConflictException(ErrorCode.INVALID_STATE, "batch " + id + " is " + status.state().name()
                    .toLowerCase(java.util.Locale.ROOT) + " (" + status.rowsDone() + " of " + Words.count(status.rows(), "row")
                    + " done); its results are written when every row is scored or refused");
        }
    }

    /** A page of the results file: whole lines from {@code offset}, where the next page starts, and the file's size. */
    public record ResultsPage(byte[] lines, long offset, long nextOffset, long totalBytes) {}

    /**
     * Up to {@code maxBytes} of a completed job's results from byte {@code offset}, cut after the last whole line,
     * so a client downloads any size of file in bounded pages, for a caller who may read the job
     * ({@link #requireReader}). Every page asked for is an audit record ({@link #AUDIT_RESULTS_READ}) naming
     * {@code reader}, the job, the offset and the bytes given, or why none were ({@code refused} or {@code failed} with
     * the error's code, {@code FORBIDDEN} for a caller who may not read the job; {@code invalid}, without the text, for
     * an id that is no batch id). An {@code offset} below 0 stands for one the caller did not write as a whole number;
     * like any other, it is refused only once the caller is known to be one who may read the job.
     */
    public ResultsPage readResults(String id, long offset, int maxBytes, Principal reader) {
        requireBatchRole(reader);
        String canonical = canonicalRead(id, reader, AUDIT_RESULTS_READ);
        Map<String, String> details = new TreeMap<>();
        details.put("batchId", canonical);
        details.put("offset", offset < 0 ? "invalid" : Long.toString(offset));
        ResultsPage page;
        try {
            requireReader(canonical, readJob(canonical), reader);
            page = resultsPage(canonical, offset, maxBytes);
        } catch (VigilException e) {
            details.put("code", e.code().name());
            audit.record(reader.id(), AUDIT_RESULTS_READ, "batches/" + canonical,
                    e.code().isClientError() ? "refused" : "failed", details);
            throw e;
        }
        details.put("bytes", Integer.toString(page.lines().length));
        audit.record(reader.id(), AUDIT_RESULTS_READ, "batches/" + canonical, "read", details);
        return page;
    }

    private ResultsPage resultsPage(String id, long offset, int maxBytes) {
        if (offset < 0) {
            throw new ValidationException("offset must be a whole number of bytes written in ASCII digits (no sign, no"
                    + " leading zero): 0, or the x-vigil-next-offset a previous page gave");
        }
        if (maxBytes < 1) {
            throw new ValidationException("a page of results holds at least one byte; ask for 1 or more");
        }
        requireCompleted(id);
        long total = artifacts.describe(ArtifactStore.BATCH_OUTPUT, resultsName(id))
                .orElseThrow(() -> notFound(id)).size();
        if (offset > total) {
            throw new ValidationException("offset " + offset + " is past the end of the results (" + total + " bytes);"
                    + " start at 0, or at the x-vigil-next-offset a previous page gave");
        }
        if (offset == total) {
            // The next offset of the last page: nothing more.
            return new ResultsPage(new byte[0], offset, total, total);
        }
        // A page starts where a line does: at 0, or just after a line's end (a previous page's next offset).
        try (InputStream in = artifacts.open(ArtifactStore.BATCH_OUTPUT, resultsName(id), offset == 0 ? 0 : offset - 1)) {
            if (offset > 0 && in.read() != '\n') {
                throw new ValidationException("offset " + offset + " is inside a line of the results; start at 0, or at"
                        + " the x-vigil-next-offset a previous page gave");
            }
            byte[] page = in.readNBytes((int) Math.min(maxBytes, total - offset));
            int end = page.length;
            if (offset + end < total) {
                while (end > 0 && page[end - 1] != '\n') {
                    end--;
                }
                if (end == 0) {
                    throw new ValidationException("a line of the results is longer than " + maxBytes
                            + " bytes; ask for a larger page");
                }
            }
            return new ResultsPage(java.util.Arrays.copyOf(page, end), offset, offset + end, total);
        } catch (IOException e) {
            throw new StoreException("cannot read the results of batch " + id, e);
        }
    }

    /**
     * {@code GET /batches/{id}/summary}: {@link #summary(String)} for a caller who may read the job
     * ({@link #requireReader}), audited ({@link #AUDIT_SUMMARY_READ}) as {@link #recordRead} says.
     */
    public BatchSummary summary(String id, Principal reader) {
        requireBatchRole(reader);
        String canonical = canonicalRead(id, reader, AUDIT_SUMMARY_READ);
        BatchSummary summary;
        try {
            requireReader(canonical, readJob(canonical), reader);
            summary = summary(canonical);
        } catch (VigilException e) {
            recordRefusedRead(reader, AUDIT_SUMMARY_READ, canonical, e);
            throw e;
        }
        recordRead(reader, AUDIT_SUMMARY_READ, canonical, BatchStatus.State.COMPLETED);
        return summary;
    }

    /**
     * The summary of a completed job, for the platform's own use; a caller reads through
     * {@link #summary(String, Principal)}.
     */
    public BatchSummary summary(String id) {
        String canonical = canonicalId(id);
        Optional<BatchSummary> summary = read(summaryName(canonical), BatchSummary.class);
        if (summary.isPresent()) {
            return summary.get();
        }
        BatchStatus status = status(canonical); // 404 for a job there is none of
        throw new ConflictException(ErrorCode.INVALID_STATE, "batch " + canonical + " has no summary: it is "
                + status.state().name().toLowerCase(java.util.Locale.ROOT) + "; a summary is written when every row is"
                + " scored or refused");
    }

    public Optional<BatchJob> readJob(String id) {
        return read(jobName(id), BatchJob.class);
    }

    private boolean isFinished(String id) {
        return artifacts.describe(ArtifactStore.BATCH_OUTPUT, summaryName(id)).isPresent()
                || artifacts.describe(ArtifactStore.BATCH_OUTPUT, failureName(id)).isPresent();
    }

    private <T> Optional<T> read(String name, Class<T> type) {
        return output.find(name, type);
    }

    private static void requireId(String id) {
        if (id == null || !JOB_ID.matcher(id).matches()) {
            throw new ValidationException("a batch id is a UUID (as POST /batches returned it); this one is not");
        }
    }

    /** A job id as stored (lower case), from a UUID in either case, as prediction ids are read. */
    private static String canonicalId(String id) {
        String canonical = id == null ? null : id.toLowerCase(java.util.Locale.ROOT);
        requireId(canonical);
        return canonical;
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException(ErrorCode.NOT_FOUND, "there is no batch " + id + "; check the id POST /batches"
                + " returned, or list the batch-output container");
    }

    /** The id of the job a file uploaded to {@code batch-input} starts: fixed by the blob and its ETag. */
    static String uploadJobId(String blobName, String eTag) {
        return UUID.nameUUIDFromBytes((ArtifactStore.BATCH_INPUT + "/" + blobName + "#" + eTag)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** What is left of a job once retention removed its files ({@link BatchRetention}). */
    static String purgedName(String id) {
        return id + "/purged.json";
    }

    static String jobName(String id) {
        return id + "/job.json";
    }

    static String failureName(String id) {
        return id + "/failure.json";
    }

    /** The request first sent under an idempotency key, which fixed the job's id. */
    static String requestName(String id) {
        return id + "/request.json";
    }

    static String queuedName(String id) {
        return id + "/queued.json";
    }

    static String failureAnnouncedName(String id) {
        return id + "/failure-announced.json";
    }

    static String completionLeaseName(String id) {
        return id + "/completion-lease.json";
    }

    static String completionAnnouncedName(String id) {
        return id + "/completion-announced.json";
    }

    static String summaryName(String id) {
        return id + "/summary.json";
    }

    static String resultsName(String id) {
        return id + "/results.jsonl";
    }

    private static String partitionFolder(String id, int partition) {
        return id + "/partitions/" + String.format("%05d", partition);
    }

    static String leaseName(String id, int partition) {
        return partitionFolder(id, partition) + "/lease.json";
    }

    static String checkpointName(String id, int partition) {
        return partitionFolder(id, partition) + "/checkpoint.json";
    }

    static String faultName(String id, int partition) {
        return partitionFolder(id, partition) + "/fault.json";
    }

    static String doneName(String id, int partition) {
        return partitionFolder(id, partition) + "/done.json";
    }

    static String chunkName(String id, int partition, int chunk) {
        return partitionFolder(id, partition) + "/" + String.format("%06d", chunk) + ".jsonl";
    }

    /** Written once a job's submission is audited, its partitions queued and its event published. */
    record Queued(String batchId, int partitions, String auditRecordId) {}

    /** Written once a job's failure, or its completion, is audited and its event published. */
    record Announced(String batchId, String auditRecordId) {}

    /** Why a file could not be scored at all; the reason names the rule broken, never a value from the file. */
    public record BatchFailure(String batchId, String input, String reason, Instant at) {}
}

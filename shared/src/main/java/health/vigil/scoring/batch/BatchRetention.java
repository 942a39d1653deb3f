package health.vigil.scoring.batch;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.Failures;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import health.vigil.port.StoredJson;
import health.vigil.scoring.ExpiredBatchFiles;
import health.vigil.scoring.PredictionRetention;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Removes the files of batch jobs that finished (completed or failed) before the retention cut-off: everything under
 * {@code batch-output/{id}/} and the input file, which hold patient data, leaving {@code {id}/purged.json} (ids,
 * dates, the reason and who may read the job, no patient data) so that the job's routes say what became of it to
 * those who could read it. A job still running is never
 * touched, nor an input that a running job reads or a {@code POST /batches} names: the input is marked as being
 * removed before the jobs are read again, as a request file is (below). Nor is an input that a job which finished
 * inside the period read, the same version: it is kept for the newest job that read it, until that job's purge.
 *
 * <p>Each job is audited in its own trail ({@code batch.purged}, beside its {@code batch.submitted} and
 * {@code batch.completed} or {@code batch.failed}), under the day's {@code prediction.retention} record of the cut-off:
 * whoever traces one job finds when and why its files went. The tombstone is written before anything is deleted and
 * the record is made once per job, after the input's removal and before the job's own files go, so a run that stops
 * half-way is finished by the next, and a second run (the timer again, two instances at once) adds nothing. A
 * tombstone that said the input goes, left by a run that stopped before removing it, is corrected by the next run
 * when the input stays (a newer job named it meanwhile).
 *
 * <p>A file under {@value BatchService#REQUESTED_PREFIX} in {@code batch-input} waits for a {@code POST /batches} to
 * name it; one that none ever did (the request was refused, or never sent) belongs to no job. Once the store last
 * wrote it before the cut-off and no job names it, it goes too, audited on its own ({@code batch.input.purged}): the
 * version found so, by its ETag, and no other written since under the name, which is kept, counted as kept and not
 * recorded. The record follows the removal, so it says only what happened; a run that stops between them leaves the
 * removal's marker ({@value #REMOVALS}), from which the next run makes the record.
 */
public final class BatchRetention implements ExpiredBatchFiles {
    private static final Logger LOG = Logger.getLogger(BatchRetention.class.getName());
    static final String AUDIT_PURGED = "batch.purged";
    static final String AUDIT_UNCLAIMED_PURGED = "batch.input.purged";
    /**
     * Where in {@code batch-output} a removal of a request file is marked while it is under way: from before the file
     * is removed until it is recorded. Each run marks under a name of its own ({@link #removalName}), so that no run
     * takes away another's mark.
     */
    static final String REMOVALS = "request-removals/";
    /**
     * How old a removal's marker is before a run takes it for one that a run which stopped left, and finishes it: far
     * longer than a removal takes, so a run never finishes another's that is still under way.
     */
    static final Duration STOPPED_AFTER = Duration.ofHours(1);

    private final ArtifactStore artifacts;
    private final StoredJson output;
    private final AuditLog audit;
    private final Clock clock;

    public BatchRetention(ArtifactStore artifacts, AuditLog audit, Clock clock) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.output = new StoredJson(artifacts, ArtifactStore.BATCH_OUTPUT);
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * What is left of a job whose files retention removed: no patient data, only what its routes answer with, and who
     * may be answered: how the job was started ({@code origin}) and, for a caller's request, its submitter as access
     * compares it ({@code submittedBy}), so that the job is read as it was while its files were there. Both are null in
     * a tombstone written before they were kept, which only a holder of {@code Batches.ReadAll} reads.
     */
    public record Purged(String batchId, String model, int version, Instant finishedAt, Instant purgedAt,
            long retentionDays, boolean inputRemoved, String submittedBy, BatchOrigin origin) {

        public Purged {
            Objects.requireNonNull(batchId, "batchId");
            Objects.requireNonNull(finishedAt, "finishedAt");
            Objects.requireNonNull(purgedAt, "purgedAt");
        }

        /**
         * The 410 a route of the job answers, only to a caller who may read the job: which model and version scored it
         * (when it was planned), when its files went, why, and the setting that decides it.
         */
        VigilException gone() {
            String scoredBy = model == null ? "" : " (model " + model + " version " + version + ")";
            return new VigilException(ErrorCode.PURGED_BY_RETENTION, "batch " + batchId + scoredBy + " finished on "
                    + LocalDate.ofInstant(finishedAt, ZoneOffset.UTC) + " and its files (input, results, summary) were"
                    + " removed by retention on " + LocalDate.ofInstant(purgedAt, ZoneOffset.UTC) + ": batch files are"
                    + " kept " + retentionDays + " days after the job finishes (VIGIL_PREDICTION_RETENTION_DAYS); its"
                    + " audit records remain (vigil audit export), and the file can be submitted again");
        }

        /** This tombstone, saying that the job's input stayed. */
        Purged inputKept() {
            return new Purged(batchId, model, version, finishedAt, purgedAt, retentionDays, false, submittedBy, origin);
        }
    }

    /**
     * Purges the jobs that finished before {@code cutoff}, then removes the request files no job names: the jobs
     * first, so that a file a job purged now no longer names goes in the same run; then the stored requests no job was
     * planned for ({@link #removeRefusedRequests}). Each part is attempted whatever the others met, and the run fails
     * at the end with the first failure. Returns how many jobs, files and stored requests went, and how many request
     * files were kept as written again before they could be removed.
     */
    @Override
    public Removed purgeFinishedBefore(Instant cutoff, Duration retention) {
        Failures failures = new Failures();
        int[] purged = {0};
        Removed[] unclaimed = {new Removed(0, 0)};
        String run = UUID.randomUUID().toString();
        failures.attempt(() -> purged[0] = purgeJobs(cutoff, retention, run));
        failures.attempt(() -> unclaimed[0] = removeUnclaimedRequests(cutoff, retention, run));
        int[] refused = {0};
        failures.attempt(() -> refused[0] = removeRefusedRequests(cutoff));
        failures.throwIfAny();
        return new Removed(purged[0], unclaimed[0].requestFiles(), unclaimed[0].requestFilesKept(), refused[0]);
    }

    /**
     * Removes each stored request ({@code {id}/request.json}) that the store last wrote before {@code cutoff} and
     * that is all its job's folder holds: a {@code POST /batches} refused before its job was planned (one under an
     * idempotency key keeps its request for the key's resends; one without keeps it only when its removal at the
     * refusal failed). Such a request claims nothing ({@link #requestClaim}) and no job reads it. A request sent again
     * under its key writes its request again before it looks at the file, so one being planned is younger than the
     * cut-off, and only the version listed goes (by its ETag): one written since it was listed stays, as does any
     * request beside which a job's file is stored. Counted in the run's result: a stored request holds no patient data
     * (the model, version, file name and options), and its removal is not audited, as a refused request's is not.
     * Returns how many went.
     */
    private int removeRefusedRequests(Instant cutoff) {
        Failures failures = new Failures();
        int[] removed = {0};
        for (Map.Entry<String, List<ArtifactStore.StoredArtifact>> job : jobFolders().entrySet()) {
            List<ArtifactStore.StoredArtifact> files = job.getValue();
            ArtifactStore.StoredArtifact request = files.get(0);
            if (files.size() != 1 || !request.name().equals(BatchService.requestName(job.getKey()))
                    || request.lastModified() == null || !request.lastModified().isBefore(cutoff)) {
                continue;
            }
            failures.attempt(() -> {
                try {
                    if (artifacts.delete(ArtifactStore.BATCH_OUTPUT, request.name(), request.etag())) {
                        removed[0]++;
                    }
                } catch (ConflictException sentAgain) {
                    // written again under its key since it was listed: its job is being planned
                }
            });
        }
        failures.throwIfAny();
        return removed[0];
    }

    /**
     * Purges each job past the cut-off, in two passes so that no job is planned on an input removed under it: the
     * inputs to remove (each still the file its job read, and named by no job that is running or being planned, nor
     * read, the same version, by a job that finished inside the period) are first marked as being removed
     * ({@link #removalName}, as a request file is), then the jobs are read again, and an input a newer job names by
     * then is kept. A {@code POST /batches} stores its request before it looks at the file and is refused when it
     * finds the mark: either this run sees the request, or the request sees the mark. Each job on its own: one whose
     * files cannot be read or removed keeps no later job's patient files. The marks are this {@code run}'s.
     */
    private int purgeJobs(Instant cutoff, Duration retention, String run) {
        Map<String, List<ArtifactStore.StoredArtifact>> byJob = jobFolders();
        Set<String> claimed = claimedInputs(byJob, cutoff, byJob.keySet());
        Failures failures = new Failures();
        List<Finished> finished = new ArrayList<>();
        for (Map.Entry<String, List<ArtifactStore.StoredArtifact>> job : byJob.entrySet()) {
            List<String> files = job.getValue().stream().map(ArtifactStore.StoredArtifact::name).toList();
            failures.attempt(() -> finished(job.getKey(), files).ifPresent(finished::add));
        }
        List<Finished> inside = finished.stream().filter(f -> f.earlier().isEmpty() && !f.at().isBefore(cutoff))
                .toList();
        List<Due> due = new ArrayList<>();
        for (Finished job : finished) {
            if (job.earlier().isPresent() || job.at().isBefore(cutoff)) {
                failures.attempt(() -> due.add(due(job, cutoff, retention, claimed, inside, run)));
            }
        }
        boolean anyMarked = due.stream().anyMatch(d -> d.input() != null);
        // Again, with the jobs that came since the first look, finished or not: one may have read the file already.
        Set<String> claimedNow = anyMarked ? claimedInputs(jobFolders(), cutoff, byJob.keySet()) : Set.of();
        int[] purged = {0};
        for (Due job : due) {
            failures.attempt(() -> {
                Removal input = job.input() != null && !claimedNow.contains(job.input().input()) ? job.input() : null;
                if (purge(job, input, cutoff)) {
                    purged[0]++;
                }
            });
        }
        // Once every job is done: two jobs that read one file mark it once, and it stays marked until it is gone.
        due.stream().map(Due::input).filter(Objects::nonNull).map(r -> removalName(r.input(), r.etag(), run)).distinct()
                .forEach(marker -> failures.attempt(() -> artifacts.delete(ArtifactStore.BATCH_OUTPUT, marker)));
        failures.throwIfAny();
        return purged[0];
    }

    /** The files in {@code batch-output} of each job, by its id. */
    private Map<String, List<ArtifactStore.StoredArtifact>> jobFolders() {
        Map<String, List<ArtifactStore.StoredArtifact>> byJob = new TreeMap<>();
        for (ArtifactStore.StoredArtifact blob : artifacts.list(ArtifactStore.BATCH_OUTPUT, "")) {
            int slash = blob.name().indexOf('/');
            if (slash > 0 && BatchService.JOB_ID.matcher(blob.name().substring(0, slash)).matches()) {
                byJob.computeIfAbsent(blob.name().substring(0, slash), id -> new ArrayList<>()).add(blob);
            }
        }
        return byJob;
    }

    /**
     * The inputs of the jobs not finished, and of any job not among {@code known} (the jobs of an earlier look): the
     * plan's, or, for a {@code POST /batches} whose plan is not stored yet, its request's (one stored before
     * {@code cutoff} without a plan was refused long ago, and claims nothing).
     */
    private Set<String> claimedInputs(Map<String, List<ArtifactStore.StoredArtifact>> byJob, Instant cutoff,
            Set<String> known) {
        Set<String> claimed = new HashSet<>();
        for (Map.Entry<String, List<ArtifactStore.StoredArtifact>> job : byJob.entrySet()) {
            String id = job.getKey();
            List<String> files = job.getValue().stream().map(ArtifactStore.StoredArtifact::name).toList();
            if (isFinished(id, files) && known.contains(id)) {
                continue;
            }
            if (files.contains(BatchService.jobName(id))) {
                readJob(id).ifPresent(j -> claimed.add(j.inputName()));
                continue;
            }
            job.getValue().stream().filter(blob -> blob.name().equals(BatchService.requestName(id)))
                    .forEach(blob -> requestClaim(blob, cutoff).ifPresent(claimed::add));
        }
        return claimed;
    }

    /**
     * A job that finished (completed or failed) and is not yet wholly purged: its plan (none for an upload that failed
     * before it was planned), the tombstone an earlier run left, when it finished, and the input it names.
     */
    private record Finished(String id, List<String> files, Optional<BatchJob> job, Optional<Purged> earlier,
            Instant at, String input) {}

    /** {@code id} if it finished and is not yet wholly purged (more than its tombstone is left). */
    private Optional<Finished> finished(String id, List<String> files) {
        if (!isFinished(id, files)) {
            return Optional.empty();
        }
        Optional<Purged> earlier = output.find(BatchService.purgedName(id), Purged.class);
        if (earlier.isPresent() && files.size() == 1) {
            return Optional.empty(); // purged by an earlier run: only the tombstone is left
        }
        Optional<BatchJob> job = readJob(id);
        Optional<BatchService.BatchFailure> failure = job.isPresent() ? Optional.empty()
                : output.find(BatchService.failureName(id), BatchService.BatchFailure.class);
        String input = job.map(BatchJob::inputName).orElse(failure.map(BatchService.BatchFailure::input).orElse(null));
        if (earlier.isPresent()) {
            return Optional.of(new Finished(id, files, job, earlier, earlier.get().finishedAt(), input));
        }
        Optional<Instant> at = finishedAt(id);
        return at.map(when -> new Finished(id, files, job, earlier, when, input));
    }

    /**
     * A job to purge now: its plan, the tombstone an earlier run left, when it finished, the removal of its input
     * marked, or null when the input stays, and whether the input was still the file the job read.
     */
    private record Due(String id, List<String> files, Optional<BatchJob> job, Optional<Purged> earlier,
            Instant finishedAt, Duration retention, Removal input, boolean inputThere) {}

    /**
     * {@code job}, finished before {@code cutoff} or whose earlier purge stopped half-way, with its input's removal
     * marked when the input is still the file the job read, no job in {@code claimed} reads it and no job that
     * finished {@code inside} the period read that version: the input is kept for the newest job that read it.
     */
    private Due due(Finished job, Instant cutoff, Duration retention, Set<String> claimed, List<Finished> inside,
            String run) {
        Removal input = null;
        boolean there = false;
        if (job.earlier().map(Purged::inputRemoved).orElse(true)) {
            Optional<ArtifactStore.StoredArtifact> read = inputToRemove(job.id(), job.job(), job.input());
            there = read.isPresent();
            if (read.isPresent() && !claimed.contains(read.get().name())
                    && inside.stream().noneMatch(newer -> alsoRead(newer, job.job(), read.get()))) {
                input = mark(read.get(), cutoff, retention, job.id(), run);
            }
        }
        return new Due(job.id(), job.files(), job.job(), job.earlier(), job.at(), retention, input, there);
    }

    /**
     * Whether the job {@code newer} read {@code file}, the version of its input that a job planned as {@code plan}
     * read: the same name and bytes (by the plans' sha256 where both have one).
     */
    private boolean alsoRead(Finished newer, Optional<BatchJob> plan, ArtifactStore.StoredArtifact file) {
        if (!file.name().equals(newer.input())) {
            return false;
        }
        if (newer.job().isPresent() && plan.isPresent()) {
            return newer.job().get().inputSha256().equals(plan.get().inputSha256());
        }
        return isTheFileRead(newer.id(), newer.job(), file);
    }

    /**
     * Removes each file under {@value BatchService#REQUESTED_PREFIX} in {@code batch-input} that the store last wrote
     * before {@code cutoff} and that no job names: neither a plan (running or finished, not yet purged), nor a failure,
     * nor a request sent under an idempotency key within the period, which may be planning it or be sent again. A
     * file whose age the store does not give is kept. The files are listed before the jobs' documents are read, so a
     * job planned on one meanwhile is seen; the age and the ETag decided on are the listing's, and only that version
     * is removed. The files no job names are marked as being removed ({@link #removalName}), then the jobs are read
     * again and a file named by then is kept: a {@code POST /batches} records its request before it looks at the file
     * and is refused when it finds the file marked, so either this run sees the request or the request sees the mark,
     * and no job is planned on a file removed under it. One file that cannot be removed keeps no other; a job document
     * that cannot be read stops the removals, since the file it names is unknown. Returns how many files this call
     * removed, and how many it kept as written again since they were listed (no jobs).
     */
    private Removed removeUnclaimedRequests(Instant cutoff, Duration retention, String run) {
        Failures failures = new Failures();
        failures.attempt(this::finishStoppedRemovals);
        Removed removed = removeUnclaimedRequests(cutoff, retention, run, failures);
        failures.throwIfAny();
        return removed;
    }

    private Removed removeUnclaimedRequests(Instant cutoff, Duration retention, String run, Failures failures) {
        List<ArtifactStore.StoredArtifact> old = artifacts.list(ArtifactStore.BATCH_INPUT,
                BatchService.REQUESTED_PREFIX).stream()
                .filter(b -> b.lastModified() != null && b.lastModified().isBefore(cutoff)).toList();
        if (old.isEmpty()) {
            return new Removed(0, 0);
        }
        Set<String> named = namedInputs(cutoff);
        List<ArtifactStore.StoredArtifact> unnamed = old.stream().filter(f -> !named.contains(f.name())).toList();
        if (unnamed.isEmpty()) {
            return new Removed(0, 0);
        }
        int[] removedAndKept = {0, 0};
        List<Removal> marked = new ArrayList<>();
        for (ArtifactStore.StoredArtifact file : unnamed) {
            failures.attempt(() -> {
                Optional<ArtifactStore.StoredArtifact> now = artifacts.describe(ArtifactStore.BATCH_INPUT,
                        file.name());
                if (now.isPresent() && !Objects.equals(now.get().etag(), file.etag())) {
                    removedAndKept[1]++;
                } else if (now.isPresent()) {
                    marked.add(mark(file, cutoff, retention, null, run));
                }
            });
        }
        Set<String> namedNow = marked.isEmpty() ? Set.of() : namedInputs(cutoff);
        for (Removal removal : marked) {
            failures.attempt(() -> {
                Unclaimed fate = namedNow.contains(removal.input()) ? unmark(removal, run, Unclaimed.NAMED)
                        : removeUnclaimed(removal, run);
                if (fate == Unclaimed.REMOVED) {
                    removedAndKept[0]++;
                } else if (fate == Unclaimed.WRITTEN_AGAIN) {
                    removedAndKept[1]++;
                }
            });
        }
        return new Removed(0, removedAndKept[0], removedAndKept[1]);
    }

    /** What became of a request file found expired. */
    private enum Unclaimed { REMOVED, WRITTEN_AGAIN, GONE, NAMED }

    /** The {@code batch-input} files that the jobs in {@code batch-output} name. */
    private Set<String> namedInputs(Instant cutoff) {
        Set<String> named = new HashSet<>();
        for (ArtifactStore.StoredArtifact blob : artifacts.list(ArtifactStore.BATCH_OUTPUT, "")) {
            int slash = blob.name().indexOf('/');
            String id = slash > 0 ? blob.name().substring(0, slash) : "";
            if (!BatchService.JOB_ID.matcher(id).matches()) {
                continue;
            }
            if (blob.name().equals(BatchService.jobName(id))) {
                readJob(id).ifPresent(job -> named.add(job.inputName()));
            } else if (blob.name().equals(BatchService.failureName(id))) {
                output.find(blob.name(), BatchService.BatchFailure.class).ifPresent(f -> named.add(f.input()));
            } else if (blob.name().equals(BatchService.requestName(id))) {
                requestClaim(blob, cutoff).ifPresent(named::add);
            }
        }
        return named;
    }

    /**
     * The input a stored {@code request.json} claims: a request stored at or after {@code cutoff} names its file until
     * its plan is stored; one stored before it without a plan was refused long ago, and claims nothing.
     */
    private Optional<String> requestClaim(ArtifactStore.StoredArtifact request, Instant cutoff) {
        if (request.lastModified() != null && request.lastModified().isBefore(cutoff)) {
            return Optional.empty();
        }
        return output.find(request.name(), BatchRequest.class).map(BatchRequest::input);
    }

    /**
     * A removal of a request file under way, or of a purged job's input ({@code batchId}, null for a request file):
     * the version removed (by its ETag), what its record says, and when the run set out to remove it. Names the file,
     * never what it holds.
     */
    record Removal(String input, String etag, Instant lastModified, Instant cutoff, long retentionDays, Instant at,
            String batchId) {}

    /**
     * What every marker of a removal of {@code name}'s version {@code etag} starts with: this build's, one per run
     * ({@link #removalName}), and an earlier build's, one per version ({@code <prefix>.json}).
     */
    static String removalsOf(String name, String etag) {
        return REMOVALS + Sha256.hex(name + "|" + etag);
    }

    /**
     * The marker of the removal of {@code name}'s version {@code etag} by the run {@code run}: one per version and
     * run, so that a run that keeps the file and takes its own mark away leaves another run's standing.
     */
    static String removalName(String name, String etag, String run) {
        return removalsOf(name, etag) + "/" + run + ".json";
    }

    /**
     * Whether a run is removing {@code file}, the version described, as {@code now}: any run's marker of it (either
     * form, {@link #removalsOf}) is younger than {@link #STOPPED_AFTER}. An older one was left by a run that stopped
     * before the removal took effect (the version is still there), and the next run finishes it
     * ({@link #finishStoppedRemovals}): it turns no request away. A marker that cannot be read is dated by when the
     * store last wrote it ({@link Marker#at}), so that one may neither let a request plan on a file being removed
     * nor turn requests away for good.
     */
    static boolean removalUnderWay(ArtifactStore artifacts, StoredJson output, ArtifactStore.StoredArtifact file,
            Instant now) {
        Instant stopped = now.minus(STOPPED_AFTER);
        return artifacts.list(ArtifactStore.BATCH_OUTPUT, removalsOf(file.name(), file.etag())).stream()
                .flatMap(listed -> Marker.read(output, listed).stream())
                .anyMatch(marker -> marker.at() == null || !marker.at().isBefore(stopped));
    }

    /**
     * A removal's marker as listed, and the removal it holds: null when it cannot be read (not JSON, or without the
     * file, version or time it marks; a store that is away is no such marker, and fails the caller).
     */
    private record Marker(ArtifactStore.StoredArtifact listed, Removal removal) {
        /** {@code listed} as read; empty when it is gone since it was listed. */
        static Optional<Marker> read(StoredJson output, ArtifactStore.StoredArtifact listed) {
            try {
                return output.find(listed.name(), Removal.class).map(removal -> new Marker(listed,
                        removal.input() != null && removal.etag() != null && removal.at() != null ? removal : null));
            } catch (ValidationException unreadable) {
                return Optional.of(new Marker(listed, null));
            }
        }

        /**
         * When its run set out: as the marker says, or, for one that cannot be read, when the store last wrote it
         * (a marker is written once, as its run sets out); null when the store does not say.
         */
        Instant at() {
            return removal != null ? removal.at() : listed.lastModified();
        }
    }

    /**
     * Marks the removal of {@code listed}, the version of a request file no job names or of the input of the job
     * {@code batchId} (null for a request file), as under way by the run {@code run}.
     */
    private Removal mark(ArtifactStore.StoredArtifact listed, Instant cutoff, Duration retention, String batchId,
            String run) {
        Removal removal = new Removal(listed.name(), listed.etag(), listed.lastModified(), cutoff, retention.toDays(),
                clock.instant(), batchId);
        artifacts.put(ArtifactStore.BATCH_OUTPUT, removalName(listed.name(), listed.etag(), run),
                new ByteArrayInputStream(Json.writeBytes(removal)), true);
        return removal;
    }

    /** Takes the run {@code run}'s mark of {@code removal} away, and no other run's. */
    private Unclaimed unmark(Removal removal, String run, Unclaimed fate) {
        artifacts.delete(ArtifactStore.BATCH_OUTPUT, removalName(removal.input(), removal.etag(), run));
        return fate;
    }

    /**
     * Removes one request file no job names, marked as being removed. Only the version listed goes (the removal is
     * conditional on its ETag): a file written again since it was listed, even while it is being removed, is a new
     * upload (one a {@code POST /batches} may be naming), and stays, with no record. The removal is recorded once it
     * took effect, under a key of the file's name and version, then the mark goes: a run that stops between the
     * removal and the record leaves the mark, and the next run records it ({@link #finishStoppedRemovals}) under the
     * same key, so the record is neither lost nor made twice.
     */
    private Unclaimed removeUnclaimed(Removal removal, String run) {
        Unclaimed fate;
        try {
            fate = artifacts.delete(ArtifactStore.BATCH_INPUT, removal.input(), removal.etag()) ? Unclaimed.REMOVED
                    : Unclaimed.GONE;
        } catch (ConflictException writtenAgain) {
            fate = Unclaimed.WRITTEN_AGAIN;
        }
        if (fate == Unclaimed.REMOVED) {
            recordRemoval(removal);
        }
        return unmark(removal, run, fate);
    }

    /**
     * Finishes the removals that a run which stopped left marked: one whose version is no longer there is recorded (the
     * record it did not make); one whose version is still there did not take effect, and its marker goes, the file
     * being judged again as any other. A marker younger than {@link #STOPPED_AFTER} may be another run's, under way,
     * and is left to it. Every form is finished: each run's, and an earlier build's one per version. A marker that
     * cannot be read, as old by when the store last wrote it, goes with a WARNING naming it: what it marked is unknown,
     * so there is nothing to record, and left there it would fail every run.
     */
    private void finishStoppedRemovals() {
        Instant stopped = clock.instant().minus(STOPPED_AFTER);
        Failures.forEach(artifacts.list(ArtifactStore.BATCH_OUTPUT, REMOVALS), listed -> {
            Optional<Marker> marker = Marker.read(output, listed);
            if (marker.isEmpty() || marker.get().at() == null || !marker.get().at().isBefore(stopped)) {
                return;
            }
            Removal removal = marker.get().removal();
            if (removal == null) {
                artifacts.delete(ArtifactStore.BATCH_OUTPUT, listed.name());
                LOG.warning(() -> "batch retention removed the marker " + ArtifactStore.BATCH_OUTPUT + "/"
                        + listed.name() + ", which could not be read (not JSON, or without the file, version or time"
                        + " it marks) and was last written more than " + STOPPED_AFTER.toHours() + " hour(s) ago:"
                        + " a request file it marked, if a run removed it, has no " + AUDIT_UNCLAIMED_PURGED
                        + " record; a request file it marked that is still there is judged again as any other");
                return;
            }
            Optional<ArtifactStore.StoredArtifact> now = artifacts.describe(ArtifactStore.BATCH_INPUT,
                    removal.input());
            // A purged job's input is recorded with its job (batch.purged, before the removal).
            if (removal.batchId() == null && (now.isEmpty() || !now.get().etag().equals(removal.etag()))) {
                recordRemoval(removal);
            }
            artifacts.delete(ArtifactStore.BATCH_OUTPUT, listed.name());
        });
    }

    /** The record of a request file's removal, once per file and version. */
    private void recordRemoval(Removal removal) {
        String input = ArtifactStore.BATCH_INPUT + "/" + removal.input();
        Map<String, String> details = new TreeMap<>();
        details.put("input", input);
        details.put("lastModified", removal.lastModified().toString());
        details.put("cutoff", removal.cutoff().toString());
        details.put("retentionDays", Long.toString(removal.retentionDays()));
        audit.recordOnce("batch-input:" + Sha256.hex(removal.input() + "|" + removal.etag()) + ":purged",
                PredictionRetention.ACTOR, AUDIT_UNCLAIMED_PURGED, input, "purged", details);
    }

    private static boolean isFinished(String id, List<String> files) {
        return files.contains(BatchService.summaryName(id)) || files.contains(BatchService.failureName(id))
                || files.contains(BatchService.purgedName(id));
    }

    /**
     * Purges one job that finished before the cut-off, or finishes a purge begun earlier; true when it did.
     * {@code input} is the marked removal of its input, null when the input stays (a job reads it now, or it is not
     * the file the job read). An earlier run's tombstone that says the input goes while the input, still the file
     * the job read, stays (a newer job named it before this run) is written again to say it stayed. The record follows
     * the input's removal, so it says what became of the input, and precedes the removal of the job's own files, so
     * that a run that stops before it leaves the job to the next run.
     */
    private boolean purge(Due due, Removal input, Instant cutoff) {
        String id = due.id();
        Optional<BatchJob> job = due.job();
        Purged purged;
        if (due.earlier().isPresent()) {
            purged = due.earlier().get();
            if (purged.inputRemoved() && input == null && due.inputThere()) {
                purged = purged.inputKept();
                artifacts.put(ArtifactStore.BATCH_OUTPUT, BatchService.purgedName(id),
                        new ByteArrayInputStream(Json.writeBytes(purged)), true);
            }
        } else {
            // A job with no plan failed before it was planned, which only a dropped file's job does.
            BatchOrigin origin = job.isPresent() ? BatchService.originOf(job.get()) : BatchOrigin.UPLOAD;
            String submitter = origin == BatchOrigin.REQUEST ? job.get().submittedBy() : null;
            purged = output.createOnce(BatchService.purgedName(id), new Purged(id,
                    job.map(j -> j.model().value()).orElse(null), job.map(BatchJob::version).orElse(0),
                    due.finishedAt(), clock.instant(), due.retention().toDays(), input != null, submitter, origin));
        }
        if (purged.inputRemoved() && input != null) {
            // Before the job's own files: while job.json or failure.json is there, a run that stopped finds the input.
            // Only the version marked: one written since is a new upload, and stays.
            try {
                artifacts.delete(ArtifactStore.BATCH_INPUT, input.input(), input.etag());
            } catch (ConflictException writtenAgain) {
                // kept
            }
        }
        Map<String, String> details = new TreeMap<>();
        details.put("batchId", id);
        details.put("finishedAt", purged.finishedAt().toString());
        details.put("cutoff", cutoff.toString());
        details.put("retentionDays", Long.toString(purged.retentionDays()));
        details.put("inputRemoved", Boolean.toString(purged.inputRemoved()));
        audit.recordOnce("batch:" + id + ":purged", PredictionRetention.ACTOR, AUDIT_PURGED,
                job.map(BatchJob::subject).orElse("/batches/" + id), "purged", details);
        String plan = BatchService.jobName(id);
        String failure = BatchService.failureName(id);
        for (String name : due.files()) {
            if (!name.equals(BatchService.purgedName(id)) && !name.equals(plan) && !name.equals(failure)) {
                artifacts.delete(ArtifactStore.BATCH_OUTPUT, name);
            }
        }
        artifacts.delete(ArtifactStore.BATCH_OUTPUT, failure);
        artifacts.delete(ArtifactStore.BATCH_OUTPUT, plan);
        return due.earlier().isEmpty();
    }

    /** When a job completed or failed; empty while it runs. */
    private Optional<Instant> finishedAt(String id) {
        Optional<BatchSummary> summary = output.find(BatchService.summaryName(id), BatchSummary.class);
        if (summary.isPresent()) {
            return Optional.of(summary.get().completedAt());
        }
        return output.find(BatchService.failureName(id), BatchService.BatchFailure.class)
                .map(BatchService.BatchFailure::at);
    }

    /**
     * The job's input ({@code name}) in {@code batch-input} when it is still the file the job read
     * ({@link #isTheFileRead}). A file uploaded since under the same name is someone else's, and stays.
     */
    private Optional<ArtifactStore.StoredArtifact> inputToRemove(String id, Optional<BatchJob> job, String name) {
        if (name == null) {
            return Optional.empty();
        }
        return artifacts.describe(ArtifactStore.BATCH_INPUT, name).filter(now -> isTheFileRead(id, job, now));
    }

    /**
     * Whether {@code now} is the file the job {@code id} read: the same size and sha256 as planned, or, for an upload
     * that failed before it was planned, the blob and ETag the job's id was made from.
     */
    private boolean isTheFileRead(String id, Optional<BatchJob> job, ArtifactStore.StoredArtifact now) {
        if (job.isPresent()) {
            return now.size() == job.get().inputBytes() && sameBytes(id, now, job.get().inputSha256());
        }
        return BatchService.uploadJobId(now.name(), now.etag()).equals(id);
    }

    /**
     * Whether {@code now} holds the bytes whose sha256 the job recorded: by the store's own digest where it keeps one,
     * by the ETag of an upload whose job id was made from it, else by reading the blob again (Blob Storage's metadata
     * digest is whatever its writer set, so a file of the same size put there since is never taken for the job's).
     */
    private boolean sameBytes(String id, ArtifactStore.StoredArtifact now, String sha256) {
        if (artifacts.computesItsOwnSha256() && now.sha256() != null) {
            return now.sha256().equals(sha256);
        }
        if (BatchService.uploadJobId(now.name(), now.etag()).equals(id)) {
            return true;
        }
        try (InputStream in = artifacts.open(ArtifactStore.BATCH_INPUT, now.name())) {
            return Sha256.hex(in).equals(sha256);
        } catch (NotFoundException removedMeanwhile) {
            return false; // another purge of the job removed it since it was described: nothing is left to remove
        } catch (IOException e) {
            throw new StoreException("cannot read batch-input/" + now.name() + " to tell whether it is the file batch "
                    + id + " read", e);
        }
    }

    private Optional<BatchJob> readJob(String id) {
        return output.find(BatchService.jobName(id), BatchJob.class);
    }
}

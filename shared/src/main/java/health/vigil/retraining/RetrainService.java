package health.vigil.retraining;

import health.vigil.audit.AuditLog;
import health.vigil.audit.OnceKeys;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.features.FeaturePipeline;
import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Provenance;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.BlobLease;
import health.vigil.port.PredictionLog;
import health.vigil.port.Retrainer;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.Announcements;
import health.vigil.registry.Lineage;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.registry.RegistrationService;
import health.vigil.security.Principal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Handles {@code Vigil.Retrain.Requested}: gathers the labelled production rows logged since the first version of the
 * parent's line was registered that no earlier retraining of the line stored (stored as a dataset file named by its
 * sha256 in {@code datasets}), has the {@link Retrainer} train a successor on the parent's training dataset plus those
 * rows, and uploads the package as an authenticated upload is
 * made ({@link RegistrationService#upload}): stored in the {@code models} container with the platform's retraining
 * identity ({@link #ACTOR}) recorded as its uploader and registered at once. From there it goes through the gates on
 * the steward's evaluation datasets and a human approval like any upload (the retraining identity can never sign a
 * version): the platform never deploys its own retrained model. A report that asked for retraining is retrained once
 * ({@link AuditLog#recordOnce}, keyed on the report's id), whatever the ids of the events that cite it: the platform's
 * own, an operator's re-send with a fresh id, another subscription's. A later request citing the report finds the
 * record, as a redelivered one does, and publishes {@code Vigil.Retrain.Completed} only if it was not out yet
 * ({@link Announcements}, ADR 0025). Requests citing one report that arrive together train once: the training holds
 * the report's {@link BlobLease} in {@code monitoring}, and the others wait for its outcome. A model trains one
 * candidate at a time: the training also holds the model's lease, and a request citing another report of the model
 * meanwhile fails, to be delivered again.
 */
public final class RetrainService {
    /** The platform's retraining identity: the recorded uploader of every retrained package; it never signs. */
    public static final String ACTOR = Principal.RETRAINING;
    private static final Principal RETRAINING = new Principal(ACTOR, "Vigil retraining", java.util.Set.of());
    public static final String ACTION = "retrain.complete";
    /** How the file names of retrained packages in the models container begin. */
    public static final String UPLOAD_PREFIX = "retrained-";
    private static final int JOIN_BATCH = 1_000;
    /** Appended to a request's key for its record while the parent's training dataset is missing. */
    private static final String MISSING_DATASET = ":missing-training-dataset";
    /** Provenance parameters of a retrained package: written into its manifest, read back by a retry. */
    private static final String LINEAGE_PRODUCTION_DATASET = "lineage.productionDataset";
    private static final String LINEAGE_PRODUCTION_ROWS = "lineage.productionRows";
    /** The retention cut-off of a retraining: no production row logged before it was read, fresh or stored. */
    private static final String LINEAGE_PRODUCTION_CUTOFF = "lineage.productionCutoff";
    /** When the newest of a retraining's production rows was logged; not written when it stored none. */
    private static final String LINEAGE_PRODUCTION_LATEST = "lineage.productionLatest";
    /** Where a retraining's scan of the log began and ended: with its cut-off, what its file is re-derived from. */
    private static final String LINEAGE_PRODUCTION_FROM = "lineage.productionFrom";
    private static final String LINEAGE_PRODUCTION_TO = "lineage.productionTo";
    /**
     * How a production rows file begins: each row's patient, its prediction's id, the time it was logged and its
     * label.
     */
    private static final String ROWS_HEADER = "key\tpredictionId\ttime\tlabel\t";
    /** How a production rows file of an earlier release begins: without the prediction id of each row. */
    private static final String UNIDENTIFIED_ROWS_HEADER = "key\ttime\tlabel\t";
    /** How a production rows file of an earlier release begins: without the time of each row. */
    private static final String UNTIMED_ROWS_HEADER = "key\tlabel\t";
    /** Provenance parameter in which training describes the data it was trained on. */
    private static final String DATASET_SOURCE = "dataset.source";
    /**
     * How long a training holds its report's and its model's leases after each renewal (renewed every quarter of it
     * while it runs), and how long another request citing the report waits for the outcome before it fails and is
     * delivered again.
     */
    static final Duration LEASE = Duration.ofMinutes(10);
    static final Duration LEASE_WAIT = Duration.ofMinutes(2);
    private static final System.Logger LOG = System.getLogger(RetrainService.class.getName());
    private static final java.util.regex.Pattern SOURCE_FILE = java.util.regex.Pattern.compile(".* \\(([^()]+)\\)");

    private final ModelRegistry registry;
    private final ArtifactStore artifacts;
    private final RegistrationService registration;
    private final PredictionLog predictions;
    private final BiFunction<ModelName, List<PredictionRecord>, Map<String, Boolean>> outcomes;
    private final Function<String, Optional<AuditRecord>> retrainRequests;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final Optional<Retrainer> retrainer;
    private final AuditLog audit;
    private final Announcements announcements;
    private final Clock clock;
    private final Duration retention;
    private final Pseudonymizer pseudonyms;
    /** Renews the leases of trainings under way, for every platform in the process (one idle thread when none runs). */
    private static final ScheduledExecutorService RENEWALS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vigil-retraining-lease");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param outcomes the outcome joined to each of a batch of prediction records, by prediction id
     * @param retrainRequests the monitoring check's {@code retrain.request} audit record of the report with this id,
     *     when the check asked for retraining on it; empty for a report that asked for none
     * @param retrainer empty where this app has no training library: requests are then recorded as deferred
     * @param retention the prediction retention period: a prediction logged before it is never trained on, even while
     *     the log still holds it (the daily purge has not reached it yet)
     * @param pseudonyms scoring's pseudonymisation, with which the retrainer finds the training dataset's patients
     *     among the production rows, so that each patient's rows go to one part of the split
     */
    public RetrainService(ModelRegistry registry, ArtifactStore artifacts, RegistrationService registration,
            PredictionLog predictions,
            BiFunction<ModelName, List<PredictionRecord>, Map<String, Boolean>> outcomes,
            Function<String, Optional<AuditRecord>> retrainRequests,
            Function<Manifest, FeaturePipeline> pipelines, Optional<Retrainer> retrainer, AuditLog audit,
            Announcements announcements, Clock clock, Duration retention, Pseudonymizer pseudonyms) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.registration = Objects.requireNonNull(registration, "registration");
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.retrainRequests = Objects.requireNonNull(retrainRequests, "retrainRequests");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.retrainer = Objects.requireNonNull(retrainer, "retrainer");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.announcements = Objects.requireNonNull(announcements, "announcements");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.pseudonyms = Objects.requireNonNull(pseudonyms, "pseudonyms");
    }

    /** What a retraining request asked for: its event id, the model, the version to retrain and the report. */
    public record Request(String requestId, ModelName model, int parentVersion, String reportId) {
        public Request {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(reportId, "reportId");
            // The id goes into the audit trail, the package's manifest and Retrain.Completed: a monitoring report's id
            // (model/vN/slot/from--to) and nothing else a sender could write there.
            if (!REPORT_ID.matcher(reportId).matches()) {
                throw new ValidationException("reportId must be the id of a monitoring report: at most 256 letters,"
                        + " digits and '.', '_', '-', '/', ':', such as readmission/v3/stable/2026-12-01T000000Z--"
                        + "2026-12-02T000000Z");
            }
        }
    }

    private static final java.util.regex.Pattern REPORT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._/:-]{1,256}");

    /**
     * Retrains once for the report {@code request} cites; answers the audit record of the outcome (uploaded, deferred
     * or failed), the same for every request citing that report.
     */
    public AuditRecord handle(Request request) {
        VersionRecord parent = registry.getVersion(request.model(), request.parentVersion());
        requireReportOnParent(request);
        // The report, not the event: every request citing it asks for the one retraining its check decided on. The
        // report's id names the model and the parent version (checked above), so it is the whole of the key.
        String key = ACTION + ":" + request.reportId();
        Optional<AuditRecord> done = audit.findOnce(key);
        if (done.isPresent()) {
            announce(key, done.get(), request);
            return done.get();
        }
        AuditRecord asked = checkReport(request);
        for (String eventId : List.of(asked.id(), request.requestId())) {
            // Earlier releases keyed the outcome on the event id: the platform's own event's (the retrain.request
            // record's id) or this request's. Such a record is the report's outcome too, if it cites the report.
            String earlierKey = ACTION + ":" + eventId;
            Optional<AuditRecord> earlier = audit.findOnce(earlierKey)
                    .filter(r -> request.reportId().equals(r.details().get("reportId")));
            if (earlier.isPresent()) {
                announce(earlierKey, earlier.get(), request);
                return earlier.get();
            }
        }
        String subject = parent.id().subject();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("parentVersion", Integer.toString(parent.version()));
        details.put("reportId", request.reportId());
        if (retrainer.isEmpty()) {
            details.put("reason", "this app has no training library; retrain with the model pipeline");
            return audit.recordOnce(key, ACTOR, ACTION, subject, "deferred", details);
        }
        String trainingSha256 = parent.manifest().provenance().datasetSha256();
        TrainingData data;
        try {
            data = trainingData(parent);
        } catch (ValidationException brokenLineage) {
            details.put("reason", brokenLineage.getMessage() + "; retrain this model with the model pipeline"
                    + " (docs/runbooks/drift-alert.md)");
            return audit.recordOnce(key, ACTOR, ACTION, subject, "failed", details);
        }
        VersionRecord root = data.root();
        String rootSha256 = root.manifest().provenance().datasetSha256();
        Optional<String> sourceFile = sourceFile(root.manifest().provenance().parameters().get(DATASET_SOURCE));
        if (sourceFile.isPresent()) {
            details.put("reason", "v" + root.version() + " was trained from the source file " + sourceFile.get()
                    + " (sha256 " + rootSha256 + "), not from a dataset file in Vigil's format, so it cannot be"
                    + " retrained here and no file uploaded to the datasets container changes that: train a successor"
                    + " on the current source file (vigil train " + parent.modelName().value() + " --data FILE, or the"
                    + " model pipeline) and upload its package, which then goes through the gates and an approval like"
                    + " any version (docs/runbooks/drift-alert.md)");
            // The request's outcome: sending it again cannot train, so a replay finds this record and writes nothing.
            return audit.recordOnce(key, ACTOR, ACTION, subject, "failed", details);
        }
        String trainingBlob = datasetBlob(rootSha256);
        // A file none of whose rows can be read at this cut-off is not needed (removing it stops no retraining). The
        // training keeps to a cut-off taken later, once it holds its leases: a later cut-off reads no file that this
        // one does not, so every file it reads was found here.
        Instant cutoff = clock.instant().minus(retention);
        Optional<String> missing = data.earlierProduction().stream().filter(rows -> rows.readFrom(cutoff))
                .map(rows -> datasetBlob(rows.sha256()))
                .filter(name -> artifacts.describe(ArtifactStore.DATASETS, name).isEmpty()).findFirst();
        if (artifacts.describe(ArtifactStore.DATASETS, trainingBlob).isEmpty() || missing.isPresent()) {
            String name = missing.isPresent() ? missing.get() : trainingBlob;
            String which = missing.isPresent() ? "the labelled production rows an earlier retraining stored"
                    : "the training dataset " + rootSha256 + (root == parent ? "" : " (of v" + root.version()
                            + ", which the versions since were retrained from)");
            details.put("reason", which + " is not in the datasets container; upload it as " + name + " and send"
                    + " the request again (docs/runbooks/drift-alert.md)");
            // Not the request's outcome: once the file is uploaded, a request citing the report trains. Recorded once
            // per report while the file is missing, so a request sent again before the upload writes nothing.
            return audit.recordOnce(key + MISSING_DATASET, ACTOR, ACTION, subject, "failed", details);
        }
        // Named by a digest of the report's id: every request citing the report, whatever its event id, stores its
        // package under this one name, so that of deliveries that trained together only the first package is kept
        // (below); two reports never share a name, and an id of up to 256 characters makes a name of bounded length.
        String blob = UPLOAD_PREFIX + parent.modelName().value() + "-from-v" + parent.version() + "-"
                + reportDigest(request.reportId()) + ".zip";
        // One training per report at a time: requests citing the report that arrive together wait for the holder's
        // outcome instead of training too (it would be thrown away below); a holder that died leaves a lease that
        // expires, and the next delivery trains.
        String what = "the retraining of " + parent.id().subject() + " for report " + request.reportId();
        Optional<BlobLease> lease = BlobLease.take(artifacts, ArtifactStore.MONITORING, leaseName(request), what,
                () -> audit.findOnce(key).isPresent(), clock, LEASE, LEASE_WAIT);
        if (lease.isEmpty()) {
            AuditRecord recorded = audit.findOnce(key).orElseThrow();
            announce(key, recorded, request);
            return recorded;
        }
        try {
            // One training per model at a time: a request citing another report of the model does not wait for a
            // training that may run far longer than a delivery should; it fails at once and is delivered again, and by
            // then the check below finds the candidate that training registered.
            String training = "a retraining of model " + parent.modelName().value() + " (one candidate at a time)";
            BlobLease modelLease = BlobLease.take(artifacts, ArtifactStore.MONITORING,
                    modelLeaseName(parent.modelName()), training, () -> false, clock, LEASE, Duration.ZERO)
                    .orElseThrow();
            ScheduledFuture<?> renewal = RENEWALS.scheduleAtFixedRate(() -> {
                renew(lease.get(), what);
                renew(modelLease, training);
            }, LEASE.toMillis() / 4, LEASE.toMillis() / 4, TimeUnit.MILLISECONDS);
            try {
                // The retraining policy asks only for the version in production and never while a newer version is on
                // its way; a request delivered late, or sent again from the runbook, is held to the same rule when it
                // trains. Checked under the model's lease, so that a candidate another report's training registered
                // just before is found.
                Optional<String> moot = supersededBy(parent, blob);
                if (moot.isPresent()) {
                    details.put("reason", moot.get() + ", so this request trains nothing; the monitoring of the version"
                            + " in production asks again while retraining is still needed"
                            + " (docs/runbooks/drift-alert.md)");
                    return audit.recordOnce(key, ACTOR, ACTION, subject, "failed", details);
                }
                // One instant for the training, taken once both leases are held (the report's may have been waited
                // for): the production rows it reads and the cut-off its lineage records, which they all keep to.
                return trainAndRegister(request, parent, key, blob, details, data, trainingBlob, subject,
                        clock.instant());
            } finally {
                renewal.cancel(false);
                modelLease.release(training);
            }
        } finally {
            lease.get().release(what);
        }
    }

    /**
     * Trains (unless an earlier delivery stored the package), uploads and registers, and records the outcome; reads
     * the production rows logged up to {@code now}, the instant at which the retraining held its leases.
     */
    private AuditRecord trainAndRegister(Request request, VersionRecord parent, String key, String blob,
            Map<String, String> details, TrainingData data, String trainingBlob, String subject, Instant now) {
        String trainingSha256 = parent.manifest().provenance().datasetSha256();
        byte[] zip;
        String productionSha256;
        String productionRows;
        if (artifacts.describe(ArtifactStore.MODELS, blob).isPresent()) {
            // An earlier request citing the report trained and uploaded the package, then stopped before its record
            // (its registration's event or the record itself failed): it is finished from the stored package.
            // Training again would give other bytes (the manifest names when it was trained), which the same blob
            // name would refuse on every retry.
            zip = storedPackage(blob);
            productionSha256 = null;
            productionRows = null;
        } else {
            FeaturePipeline pipeline = pipelines.apply(parent.manifest());
            // Predictions older than the retention period are due for removal, and a purge runs only once a day: the
            // log may still hold them, and earlier retrainings' files in datasets outlive it; neither is read.
            Instant cutoff = now.minus(retention);
            Retrainer.ProductionRows production;
            try {
                // The earlier files first: the predictions they hold are left out of the scan, which reaches back to
                // where the line's first retraining began.
                List<Retrainer.ProductionRows> earlier = new ArrayList<>();
                Set<String> held = new HashSet<>();
                for (StoredRows rows : data.earlierProduction()) {
                    if (rows.readFrom(cutoff)) {
                        earlier.add(storedProductionRows(rows, pipeline, cutoff, held));
                    }
                }
                Instant from = scanStart(data, cutoff);
                ScannedRows scanned = productionRows(parent, pipeline, from, now, held);
                production = scanned.rows();
                Map<String, String> lineage = new LinkedHashMap<>();
                lineage.put(Provenance.PARENT_VERSION, Integer.toString(parent.version()));
                lineage.put(Provenance.PARENT_PACKAGE_SHA256, parent.packageSha256());
                lineage.put("lineage.report", request.reportId());
                lineage.put("lineage.request", request.requestId());
                lineage.put("lineage.trainingDataset", trainingSha256);
                lineage.put(LINEAGE_PRODUCTION_DATASET, production.sha256());
                lineage.put(LINEAGE_PRODUCTION_ROWS, Integer.toString(production.rows()));
                lineage.put(LINEAGE_PRODUCTION_CUTOFF, cutoff.toString());
                lineage.put(LINEAGE_PRODUCTION_FROM, from.toString());
                lineage.put(LINEAGE_PRODUCTION_TO, now.toString());
                scanned.latest().ifPresent(latest -> lineage.put(LINEAGE_PRODUCTION_LATEST, latest.toString()));
                try (InputStream training = artifacts.open(ArtifactStore.DATASETS, trainingBlob)) {
                    zip = retrainer.get().retrain(new Retrainer.Request(parent, training,
                            data.root().manifest().provenance().datasetSha256(), earlier, production, pseudonyms,
                            lineage));
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read the training dataset " + trainingSha256, e);
                }
            } catch (ValidationException notRetrainable) {
                // The stored file is not the parent's training data in the dataset file format (a model trained
                // from a source file names that file): no retry can change that, so it is recorded once as failed.
                details.put("reason", notRetrainable.getMessage() + "; retrain this model with the model pipeline"
                        + " (docs/runbooks/drift-alert.md)");
                return audit.recordOnce(key, ACTOR, ACTION, subject, "failed", details);
            }
            productionSha256 = production.sha256();
            productionRows = Integer.toString(production.rows());
            // Stored once under the report's name before it is registered: of two requests that trained together,
            // the second finds the first's package there and registers those bytes, not its own under a taken name.
            try {
                artifacts.put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false, ACTOR);
            } catch (ConflictException storedFirst) {
                zip = storedPackage(blob);
                productionSha256 = null;
                productionRows = null;
            }
        }
        // Uploaded as any authenticated upload is, with the retraining identity recorded as its uploader, and
        // registered at once (no storage event needed); the gates then judge it on Vigil.Model.Registered. A
        // concurrent delivery that uploaded the same package first is answered with that version, and a retry of
        // an upload that stopped before announcing its version announces it.
        RegistrationOutcome registered = registration.upload(parent.modelName(), blob, zip, RETRAINING);
        String packageSha256 = registered.version() == null ? null : registered.version().packageSha256();
        if (productionSha256 == null && registered.version() != null) {
            Map<String, String> stored = registered.version().manifest().provenance().parameters();
            productionSha256 = stored.get(LINEAGE_PRODUCTION_DATASET);
            productionRows = stored.get(LINEAGE_PRODUCTION_ROWS);
        }
        details.put("packageBlob", blob);
        if (packageSha256 != null) {
            details.put("packageSha256", packageSha256);
            details.put("version", Integer.toString(registered.version().version()));
        }
        details.put("trainingDataset", trainingSha256);
        if (productionSha256 != null) {
            details.put("productionDataset", productionSha256);
            details.put("productionRows", productionRows);
        }
        AuditRecord record = audit.recordOnce(key, ACTOR, ACTION, subject, "uploaded", details);
        announce(key, record, request);
        return record;
    }

    /**
     * Why retraining {@code parent} is moot now, if it is: another version serves in its place, or a newer version is
     * registered and still on its way to production ({@link Stage#ON_ITS_WAY}, which the retraining policy
     * also waits for). The package this report's own
     * retraining stored under {@code blob} does not count: a delivery that registered it and stopped before its record
     * is finished by the next one.
     */
    private Optional<String> supersededBy(VersionRecord parent, String blob) {
        ModelName model = parent.modelName();
        Optional<Integer> stable = registry.deployment(model).flatMap(d -> d.slot(Slot.STABLE))
                .map(s -> s.version());
        if (stable.isEmpty() || stable.get() != parent.version()) {
            return Optional.of("v" + parent.version() + " is no longer the version in production ("
                    + stable.map(v -> "v" + v + " is").orElse("none is") + ")");
        }
        return registry.listVersions(model).stream()
                .filter(v -> v.version() > parent.version() && Stage.ON_ITS_WAY.contains(v.stage())
                        && !blob.equals(v.packageBlob()))
                .findFirst()
                .map(v -> "v" + v.version() + ", newer than v" + parent.version() + ", is on its way to production ("
                        + v.stage().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    /**
     * The lease of the retraining a report asked for, in {@code monitoring} beside the version's reports (a name that
     * is not a report's: {@link health.vigil.monitoring.MonitoringReports} lists only window ids).
     */
    public static String leaseName(Request request) {
        return request.model().value() + "/v" + request.parentVersion() + "/retraining/"
                + reportDigest(request.reportId()) + ".lease.json";
    }

    /**
     * The lease every retraining of {@code model} holds while it checks and trains, whatever report it was asked for,
     * so that one model trains one candidate at a time; beside the model's reports in {@code monitoring}.
     */
    public static String modelLeaseName(ModelName model) {
        return model.value() + "/retraining.lease.json";
    }

    private static String reportDigest(String reportId) {
        return Sha256.hex(reportId).substring(0, 32);
    }

    private static void renew(BlobLease lease, String what) {
        try {
            lease.keep(what);
        } catch (RuntimeException e) {
            // The training goes on: its writes are once-only (one package name, one record), so a run that took the
            // lease over can only duplicate the work, never the outcome.
            LOG.log(System.Logger.Level.WARNING, what + ": the lease could not be renewed ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /**
     * A request cites a report on the stable slot of the very version it retrains. Checked before the report's outcome
     * is looked up, so that a request naming another model or version than its report is refused rather than answered
     * (and announced) with that report's outcome.
     */
    private static void requireReportOnParent(Request request) {
        String prefix = request.model().value() + "/v" + request.parentVersion() + "/" + Slot.STABLE.wireName() + "/";
        if (!request.reportId().startsWith(prefix)) {
            throw new ValidationException("reportId is not a report on the stable slot of " + request.model().value()
                    + " v" + request.parentVersion() + ", the version the request retrains: cite the monitoring report"
                    + " that asked for it (its id begins " + prefix + "; the retrain.request audit record names it)");
        }
    }

    /**
     * A request cites the report that asked for it: the monitoring check's report, recorded in the audit log, for
     * which the check recorded a retraining request (answered). Anything else would write into the audit trail and
     * the successor's manifest a lineage that no check made, or train a successor no check asked for (a request made
     * up, or sent by a subscription it was not meant for, with a report that found nothing to retrain for). A report
     * not found is a 404, not a final refusal: an audit store read with session consistency on another instance than
     * the check that recorded the report may not see its record yet, so the event is delivered again (and one citing a
     * report no check made is dead-lettered after its last attempt).
     */
    private AuditRecord checkReport(Request request) {
        if (audit.findOnce(OnceKeys.monitoringCheck(request.reportId())).isEmpty()
                && audit.findOnce(OnceKeys.provisionalMonitoringCheck(request.reportId())).isEmpty()) {
            throw new NotFoundException(ErrorCode.NOT_FOUND, "no monitoring report with this reportId is recorded:"
                    + " retraining is asked for by the monitoring check, for a report it recorded (the retrain.request"
                    + " audit record names it)");
        }
        // The id is a recorded report's (checked above), so it is the platform's own text, not the sender's.
        return retrainRequests.apply(request.reportId()).orElseThrow(() -> new ConflictException(ErrorCode.CONFLICT,
                "the monitoring report " + request.reportId() + " did not ask for retraining (no retrain.request audit"
                + " record names it), so nothing is trained: retrain only on a request the monitoring check made, the"
                + " Vigil.Retrain.Requested event whose id is the retrain.request record's id, with that record's"
                + " reportId (docs/runbooks/drift-alert.md)"));
    }

    private byte[] storedPackage(String blob) {
        try (InputStream stored = artifacts.open(ArtifactStore.MODELS, blob)) {
            return stored.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read back the uploaded package " + blob, e);
        }
    }

    /**
     * Retrain.Completed for a request whose package was uploaded, with the audit record's id as the event id, unless
     * an earlier delivery got it out (marked announced under the record's key).
     */
    private void announce(String key, AuditRecord record, Request request) {
        if (!record.outcome().equals("uploaded") || announcements.done(key)) {
            return;
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", request.model().value());
        data.put("parentVersion", request.parentVersion());
        data.put("reportId", request.reportId());
        data.put("packageBlob", record.details().get("packageBlob"));
        if (record.details().containsKey("version")) {
            data.put("version", Integer.parseInt(record.details().get("version")));
        }
        data.put("trainingDataset", record.details().get("trainingDataset"));
        data.put("productionDataset", record.details().get("productionDataset"));
        announcements.publish(key, new VigilEvent(record.id(), EventTypes.RETRAIN_COMPLETED, VigilEvent.SOURCE,
                record.subject(), clock.instant(), data));
    }

    /**
     * The name of the source file a model was trained from, read from its provenance's {@code dataset.source}, which
     * training writes as {@code <description> (<file name>)} for a file it loaded (such as {@code UCI Diabetes 130-US
     * hospitals (diabetic_data.csv)}), so that the dataset's sha256 is the source file's; empty for data in the dataset
     * file format ({@code datasets/<sha256>.tsv}, or generated readmission data, {@code ... (seed <n>)}), for a
     * retrained model ({@code ... + <n> labelled production rows}) and for a manifest that does not say.
     */
    private static Optional<String> sourceFile(String datasetSource) {
        if (datasetSource == null) {
            return Optional.empty();
        }
        java.util.regex.Matcher named = SOURCE_FILE.matcher(datasetSource);
        return named.matches() && !named.group(1).matches("seed -?[0-9]+") ? Optional.of(named.group(1))
                : Optional.empty();
    }

    public static String datasetBlob(String sha256) {
        return sha256 + ".tsv";
    }

    /**
     * What a version was trained on: the dataset file of the first version in its line that was not retrained (its
     * root), plus the labelled production rows each retraining since added, oldest first.
     */
    record TrainingData(VersionRecord root, List<StoredRows> earlierProduction) {}

    /**
     * The labelled production rows a retraining stored in {@code datasets}: {@code rows} predictions (empty when its
     * lineage does not say) logged at or after {@code loggedFrom} (where its scan began; for an earlier release's
     * file, the registration of the version it retrained) and before {@code storedAt} (the registration of the version
     * it trained, which came after it read the log), the newest at {@code latest} where its lineage records it;
     * {@code timed} when the file gives each row's time (its lineage records a cut-off), and {@code identified} when
     * it gives each row's prediction id (its lineage records where its scan began), which an earlier release's file
     * does not.
     */
    record StoredRows(String sha256, Instant loggedFrom, Instant storedAt, boolean timed, boolean identified,
            Optional<Integer> rows, Optional<Instant> latest) {

        /**
         * Whether a retraining keeping to {@code cutoff} reads any of these rows, and so needs the file: not when it
         * holds none, when all were logged before the cut-off, or when it does not say when each was logged and some
         * may have been (its retraining's parent was registered before the cut-off).
         */
        boolean readFrom(Instant cutoff) {
            if (rows.isPresent() && rows.get() == 0) {
                return false;
            }
            if (!timed) {
                return !loggedFrom.isBefore(cutoff) && storedAt.isAfter(cutoff);
            }
            return latest.map(t -> !t.isBefore(cutoff)).orElse(storedAt.isAfter(cutoff));
        }
    }

    /**
     * Follows a retrained version's {@link Lineage} back to the version it all began with. Each step must add up: its
     * dataset named by the parent's dataset and the production rows it added (as the retrainer names it), so that the
     * successor is trained on exactly what its parent was, plus the new rows.
     */
    TrainingData trainingData(VersionRecord version) {
        Lineage line = registry.lineage(version);
        if (line.broken() != null) {
            throw new ValidationException(line.broken());
        }
        List<StoredRows> production = new ArrayList<>();
        for (int i = 0; i < line.retrained().size(); i++) {
            VersionRecord v = line.retrained().get(i);
            VersionRecord parent = line.parentOf(i);
            String rows = v.manifest().provenance().parameters().get(LINEAGE_PRODUCTION_DATASET);
            if (rows == null || !v.manifest().provenance().datasetSha256().equals(Retrainer.combinedDataset(
                    parent.manifest().provenance().datasetSha256(), rows))) {
                throw new ValidationException("v" + v.version() + "'s training dataset is not v" + parent.version()
                        + "'s dataset plus the production rows its lineage names");
            }
            Map<String, String> recorded = v.manifest().provenance().parameters();
            Optional<Instant> scannedFrom = instant(recorded.get(LINEAGE_PRODUCTION_FROM));
            production.add(0, new StoredRows(rows, scannedFrom.orElse(parent.registeredAt()), v.registeredAt(),
                    recorded.containsKey(LINEAGE_PRODUCTION_CUTOFF), scannedFrom.isPresent(),
                    count(recorded.get(LINEAGE_PRODUCTION_ROWS)), instant(recorded.get(LINEAGE_PRODUCTION_LATEST))));
        }
        return new TrainingData(line.origin(), List.copyOf(production));
    }

    /** A count a lineage records; empty when absent or not a count, so that a file is then read as before. */
    private static Optional<Integer> count(String recorded) {
        try {
            return recorded == null ? Optional.empty() : Optional.of(Integer.parseInt(recorded));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** An instant a lineage records; empty when absent or not an ISO instant. */
    private static Optional<Instant> instant(String recorded) {
        try {
            return recorded == null ? Optional.empty() : Optional.of(Instant.parse(recorded));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Labelled production rows an earlier retraining stored, read back and checked against their name, without those
     * logged before the retention cut-off; the prediction ids of the rows read go into {@code held}. A file of an
     * earlier release does not say when each row was logged: it is read whole while none of its rows can be older than
     * the cut-off (its retraining's parent was registered since), and not at all once some may be.
     */
    private Retrainer.ProductionRows storedProductionRows(StoredRows stored, FeaturePipeline pipeline,
            Instant cutoff, Set<String> held) {
        String sha256 = stored.sha256();
        byte[] bytes;
        try (InputStream in = artifacts.open(ArtifactStore.DATASETS, datasetBlob(sha256))) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the production rows " + sha256, e);
        }
        if (!Sha256.hex(bytes).equals(sha256)) {
            throw new ValidationException("the stored production rows " + datasetBlob(sha256) + " are not the bytes"
                    + " their name says");
        }
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        String columns = String.join("\t", pipeline.columns());
        boolean identified = lines[0].equals(ROWS_HEADER + columns);
        boolean timed = identified || lines[0].equals(UNIDENTIFIED_ROWS_HEADER + columns);
        if (!timed && !lines[0].equals(UNTIMED_ROWS_HEADER + columns)) {
            throw new ValidationException("the stored production rows " + datasetBlob(sha256) + " have other"
                    + " columns than the model's feature pipeline");
        }
        if (stored.identified() && !identified) {
            // The scan that follows would take their predictions in again.
            throw new ValidationException("the stored production rows " + datasetBlob(sha256) + " give no prediction"
                    + " id per row, though the lineage that names them records where their scan began ("
                    + LINEAGE_PRODUCTION_FROM + "), as only a file with prediction ids has");
        }
        int width = pipeline.width();
        int time = identified ? 2 : 1;
        int first = identified ? 4 : timed ? 3 : 2;
        boolean whole = !timed && !stored.loggedFrom().isBefore(cutoff);
        List<float[]> inputs = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 1; i < lines.length && (timed || whole); i++) {
            String[] cells = lines[i].split("\t", -1);
            if (cells.length != width + first || !(cells[first - 1].equals("0") || cells[first - 1].equals("1"))) {
                throw new ValidationException("line " + (i + 1) + " of the stored production rows "
                        + datasetBlob(sha256) + " is not a key," + (identified ? " a prediction id," : "")
                        + (timed ? " a time," : "") + " a 0/1 label and " + width + " inputs");
            }
            if (timed && loggedAt(cells[time], sha256, i + 1).isBefore(cutoff)) {
                continue;
            }
            if (identified) {
                held.add(cells[1]);
            }
            keys.add(cells[0]);
            labels.add(cells[first - 1].equals("1"));
            float[] row = new float[width];
            for (int j = 0; j < width; j++) {
                row[j] = cells[j + first].isEmpty() ? Float.NaN : Float.parseFloat(cells[j + first]);
            }
            inputs.add(row);
        }
        float[] values = new float[inputs.size() * width];
        boolean[] y = new boolean[inputs.size()];
        for (int i = 0; i < y.length; i++) {
            System.arraycopy(inputs.get(i), 0, values, i * width, width);
            y[i] = labels.get(i);
        }
        return new Retrainer.ProductionRows(values, y.length, width, y, keys, sha256);
    }

    private static Instant loggedAt(String cell, String sha256, int line) {
        try {
            return Instant.parse(cell);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ValidationException("line " + line + " of the stored production rows " + datasetBlob(sha256)
                    + " does not give the time its prediction was logged as an ISO instant");
        }
    }

    /**
     * Where a retraining reads the log from: where its line's first retraining began, the registration of the first
     * version of the line, so that a prediction whose outcome came in after an earlier retraining of the line read the
     * log, or that was logged while it trained, is trained on now (the rows the earlier files hold are left out by
     * their prediction ids). Never before the retention {@code cutoff}, nor before the registration of the version
     * trained on the newest file of an earlier release, which does not give each row's prediction id: the rows before
     * that are left as that release read them, none of them in two files.
     */
    private static Instant scanStart(TrainingData data, Instant cutoff) {
        Instant from = data.root().registeredAt();
        for (StoredRows rows : data.earlierProduction()) {
            if (!rows.identified() && rows.storedAt().isAfter(from)) {
                from = rows.storedAt();
            }
        }
        return from.isAfter(cutoff) ? from : cutoff;
    }

    /**
     * The labelled predictions of every version on the parent's feature pipeline logged from {@code from} (see
     * {@link #scanStart}) to {@code now}, without those an earlier retraining of the line stored ({@code held}, by
     * prediction id), stored in {@code datasets} as a file of model inputs (header {@code key, predictionId, time,
     * label, pipeline columns}; the prediction id, so that a later retraining of the line leaves the row out of its
     * scan, and the time each was logged, so that it leaves out the rows past its own cut-off) named by its sha256.
     * Pseudonyms only; the file stays inside the platform's governed stores, like the prediction log.
     */
    private ScannedRows productionRows(VersionRecord parent, FeaturePipeline pipeline, Instant from, Instant now,
            Set<String> held) {
        int width = pipeline.width();
        Map<Integer, Boolean> samePipeline = new HashMap<>();
        List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
        List<PredictionRecord> kept = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        ModelName model = parent.modelName();
        predictions.scan(model, from, now, r -> {
            if (r.slot() == Slot.SHADOW) {
                return; // a shadow prediction repeats a live request's row, which is kept already
            }
            if (held.contains(r.predictionId())) {
                return; // an earlier retraining of the line trained on it
            }
            boolean same = samePipeline.computeIfAbsent(r.version(), v -> registry.getVersion(model, v).manifest()
                    .featurePipeline().equals(parent.manifest().featurePipeline()));
            if (!same || r.features().length != width) {
                return;
            }
            pending.add(r);
            if (pending.size() == JOIN_BATCH) {
                keepLabelled(model, pending, kept, labels);
                pending.clear();
            }
        });
        keepLabelled(model, pending, kept, labels);
        float[] inputs = new float[kept.size() * width];
        boolean[] y = new boolean[kept.size()];
        List<String> keys = new ArrayList<>(kept.size());
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes((ROWS_HEADER + String.join("\t", pipeline.columns()) + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < kept.size(); i++) {
            PredictionRecord r = kept.get(i);
            float[] row = r.features();
            System.arraycopy(row, 0, inputs, i * width, width);
            y[i] = labels.get(i);
            String key = r.patientPseudonym() == null ? r.predictionId() : r.patientPseudonym();
            keys.add(key);
            line.setLength(0);
            line.append(key).append('\t').append(r.predictionId()).append('\t').append(r.time()).append('\t')
                    .append(y[i] ? 1 : 0);
            for (float v : row) {
                line.append('\t').append(Float.isNaN(v) ? "" : Float.toString(v));
            }
            file.writeBytes(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = file.toByteArray();
        String sha256 = Sha256.hex(bytes);
        try {
            artifacts.put(ArtifactStore.DATASETS, datasetBlob(sha256), new ByteArrayInputStream(bytes), false);
        } catch (ConflictException sameRowsStoredBefore) {
            // Named by content: the same rows are already there.
        }
        Optional<Instant> latest = kept.stream().map(PredictionRecord::time).max(Instant::compareTo);
        return new ScannedRows(new Retrainer.ProductionRows(inputs, kept.size(), width, y, keys, sha256), latest);
    }

    /** The production rows a retraining read from the log, and when the newest of them was logged (if any). */
    private record ScannedRows(Retrainer.ProductionRows rows, Optional<Instant> latest) {}

    private void keepLabelled(ModelName model, List<PredictionRecord> batch, List<PredictionRecord> kept,
            List<Boolean> labels) {
        if (batch.isEmpty()) {
            return;
        }
        Map<String, Boolean> joined = outcomes.apply(model, batch);
        for (PredictionRecord r : batch) {
            Boolean y = joined.get(r.predictionId());
            if (y != null) {
                kept.add(r);
                labels.add(y);
            }
        }
    }
}

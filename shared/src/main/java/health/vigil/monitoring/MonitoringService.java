package health.vigil.monitoring;


import health.vigil.audit.AuditLog;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.features.FeaturePipeline;
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
import health.vigil.port.Telemetry;
import health.vigil.registry.ModelRegistry;
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
 * The scheduled monitoring check: for every deployed model and traffic slot, reads the last complete window of the
 * prediction log as a stream (memory bounded by features times bins for drift, and by segments times bins for the
 * labelled part, see {@link LabelledSummary}), compares it with the version's training reference, joins the outcomes
 * that have arrived, measures realised performance overall and per segment, judges the window by the model's {@link MonitoringPolicy}, stores the report once, audits the check
 * once ({@link AuditLog#recordOnce}, keyed on the report id) and announces drift, degraded performance and retraining
 * requests with the audit record's id as the event id. A second run over the same window (a timer fired twice, a
 * replay) finds the stored report and the audit record and writes nothing new; it re-publishes the same event ids,
 * which consumers see as one event.
 */
public final class MonitoringService {
    public static final String ACTOR = "system:drift-check";
    public static final String CHECK_ACTION = "monitoring.check";
    public static final String RETRAIN_ACTION = "retrain.request";
    private static final int JOIN_BATCH = 1_000;

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

    public MonitoringService(ModelRegistry registry, ArtifactStore artifacts, Function<Manifest, FeaturePipeline> pipelines,
            PredictionLog predictions, OutcomeJoin outcomes, AuditLog audit, EventPublisher events, Telemetry telemetry,
            Clock clock, Function<ModelName, MonitoringPolicy> policies, RetrainPolicy retrain, long maxEntryBytes,
            Function<ModelName, SegmentColumns> segmentColumns) {
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
    }

    public MonitoringReports reports() {
        return reports;
    }

    /**
     * Checks the last complete window of every deployed model (the timer's work): windows have the length of the
     * model's policy and are aligned to it from the epoch, so every run in the same window checks the same one.
     */
    public List<MonitoringReport> checkAll() {
        List<MonitoringReport> out = new ArrayList<>();
        Instant now = clock.instant();
        for (ModelName model : registry.listModels()) {
            if (registry.deployment(model).isPresent()) {
                Duration window = policies.apply(model).window();
                Instant to = windowEnd(now, window);
                out.addAll(check(model, to.minus(window), to));
            }
        }
        return out;
    }

    /**
     * Checks every slot of {@code model}'s deployment over {@code [from, to)} (whole seconds, {@code to} not in the
     * future, at most 31 days); a window checked before is answered from its stored report.
     */
    public List<MonitoringReport> check(ModelName model, Instant from, Instant to) {
        if (from.getNano() != 0 || to.getNano() != 0 || !from.isBefore(to) || to.isAfter(clock.instant())
                || Duration.between(from, to).compareTo(Duration.ofDays(31)) > 0) {
            throw new health.vigil.error.ValidationException("a monitoring window is whole seconds, 'from' before"
                    + " 'to', 'to' not in the future, at most 31 days long");
        }
        MonitoringPolicy policy = policies.apply(model);
        Optional<Deployment> deployment = registry.deployment(model);
        if (deployment.isEmpty()) {
            throw new VigilException(ErrorCode.NOT_FOUND, model.value() + " is not deployed; there is nothing to"
                    + " monitor (deploy a version first)");
        }
        List<MonitoringReport> out = new ArrayList<>();
        for (TrafficSlot slot : deployment.get().slots()) {
            VersionRecord version = registry.getVersion(model, slot.version());
            MonitoringReport report = checkWindow(version, slot.slot(), from, to, policy);
            announce(report);
            if (slot.slot() == Slot.STABLE) {
                considerRetraining(report, version);
            }
            out.add(report);
        }
        return out;
    }

    /** The end of the window {@code at} falls after: windows are aligned to their length from the epoch. */
    static Instant windowEnd(Instant at, Duration window) {
        long w = window.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), w) * w);
    }

    private MonitoringReport checkWindow(VersionRecord version, Slot slot, Instant from, Instant to,
            MonitoringPolicy policy) {
        String id = MonitoringReport.idOf(version.modelName().value(), version.version(), slot.wireName(), from, to);
        MonitoringReport report = reports.find(id)
                .orElseGet(() -> reports.create(compute(id, version, slot, from, to, policy)));
        // The report is stored before its audit record: whoever finds it without one (the check that stored it, or
        // a later run after a crash between the two) completes the record, once.
        if (audit.findOnce(checkKey(report)).isEmpty()) {
            record(report);
        }
        return report;
    }

    private MonitoringReport compute(String id, VersionRecord version, Slot slot, Instant from, Instant to,
            MonitoringPolicy policy) {
        Manifest manifest = version.manifest();
        ModelName model = version.modelName();
        Optional<ReferenceProfile> reference = reference(version);
        List<String> reasons = new ArrayList<>();
        FeaturePipeline pipeline = pipelines.apply(manifest);
        DriftAccumulator accumulator = null;
        DriftCheck check = null;
        if (reference.isPresent()) {
            check = DriftCheck.of(manifest.features(), pipeline.columns(), reference.get(),
                    manifest.output().threshold(), policy.drift());
            accumulator = check.newAccumulator();
        } else {
            reasons.add("the package has no reference profile (reference.json): drift is not checked");
        }
        double threshold = manifest.output().threshold();
        LabelledSummary labelled = new LabelledSummary(threshold);
        MonitoringSegments segments = new MonitoringSegments(segmentColumns.apply(model), pipeline.columns(),
                manifest.features(), threshold);
        segments.unlogged().forEach(c -> reasons.add("segment column '" + c + "' is not a logged model input:"
                + " performance is not broken down by it"));
        long[] count = new long[1];
        List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
        DriftAccumulator acc = accumulator;
        predictions.scan(model, from, to, r -> {
            if (r.version() != version.version() || r.slot() != slot) {
                return;
            }
            count[0]++;
            if (acc != null) {
                acc.add(r);
            }
            pending.add(r);
            if (pending.size() == JOIN_BATCH) {
                join(model, pending, labelled, segments);
                pending.clear();
            }
        });
        join(model, pending, labelled, segments);
        DriftReport drift = check == null ? null : check.report(acc.summary());
        LabelledPerformance performance = labelled.performance();
        long predictions = count[0];

        int driftedWindows = 0;
        if (drift != null && drift.drifted()) {
            driftedWindows = 1;
            String slotName = slot.wireName();
            Duration length = Duration.between(from, to);
            for (int k = 1; k < policy.consecutiveWindows(); k++) {
                Optional<MonitoringReport> previous = reports.find(MonitoringReport.idOf(model.value(),
                        version.version(), slotName, from.minus(length.multipliedBy(k)), to.minus(length.multipliedBy(k))));
                if (previous.isEmpty() || !previous.get().drifted()) {
                    break;
                }
                driftedWindows++;
            }
            reasons.add("drift in " + drifted(drift) + " (" + driftedWindows + " window(s) in a row)");
        }
        boolean degraded = false;
        if (performance.labelled() >= policy.minLabelled()) {
            if (performance.auroc() != null && performance.auroc() < policy.minAuroc()) {
                degraded = true;
                reasons.add(String.format(java.util.Locale.ROOT, "AUROC %.3f on %d outcomes is below %.3f",
                        performance.auroc(), performance.labelled(), policy.minAuroc()));
            }
            if (performance.brier() != null && performance.brier() > policy.maxBrier()) {
                degraded = true;
                reasons.add(String.format(java.util.Locale.ROOT, "Brier score %.3f on %d outcomes is above %.3f",
                        performance.brier(), performance.labelled(), policy.maxBrier()));
            }
        } else if (drift != null && drift.estimate() != null && drift.estimate().cases() >= policy.drift().minRows()
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
            reasons.add(predictions + " predictions in the window; at least " + policy.drift().minRows()
                    + " are needed to judge drift");
        } else {
            severity = MonitoringReport.Severity.OK;
        }
        Double fraction = predictions == 0 ? null : (double) performance.labelled() / predictions;
        Double estimateError = null;
        if (performance.labelled() >= policy.minLabelled() && performance.auroc() != null && drift != null
                && drift.estimate() != null && !Double.isNaN(drift.estimate().expectedAuroc())) {
            estimateError = drift.estimate().expectedAuroc() - performance.auroc();
        }
        return new MonitoringReport(id, model.value(), version.version(), slot.wireName(), from, to,
                clock.instant(), severity, reasons, predictions, fraction, driftedWindows, degraded, estimateError,
                drift, performance, policy, segments.performance(policy.minLabelled()));
    }

    private static String drifted(DriftReport drift) {
        List<String> names = new ArrayList<>();
        drift.features().stream().filter(f -> f.status() == DriftReport.Status.DRIFTED).forEach(f -> names.add(f.name()));
        if (drift.score() != null && drift.score().status() == DriftReport.Status.DRIFTED) {
            names.add("the score");
        }
        return String.join(", ", names);
    }

    /** The audit record and telemetry of a stored check that has no audit record yet. */
    private void record(MonitoringReport report) {
        audit.recordOnce(checkKey(report), ACTOR, CHECK_ACTION, subject(report), report.severity().name()
                .toLowerCase(java.util.Locale.ROOT), details(report));
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
            if (report.drift().estimate() != null && !Double.isNaN(report.drift().estimate().expectedAuroc())) {
                telemetry.performance(v, "auroc", "label_free", report.drift().estimate().expectedAuroc());
            }
        }
        LabelledPerformance p = report.performance();
        if (p != null && p.labelled() >= report.policy().minLabelled()) {
            if (p.auroc() != null) {
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
    private void announce(MonitoringReport report) {
        if (!report.drifted() && !report.performanceDegraded()) {
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
        if (report.drifted()) {
            events.publish(new VigilEvent(record.id(), EventTypes.DRIFT_DETECTED, VigilEvent.SOURCE, subject(report),
                    clock.instant(), data));
        }
        if (report.performanceDegraded()) {
            events.publish(new VigilEvent(derivedId(record.id(), EventTypes.PERFORMANCE_DEGRADED),
                    EventTypes.PERFORMANCE_DEGRADED, VigilEvent.SOURCE, subject(report), clock.instant(), data));
        }
    }

    private void considerRetraining(MonitoringReport report, VersionRecord stable) {
        boolean pending = registry.listVersions(stable.modelName()).stream()
                .anyMatch(v -> v.version() > stable.version() && RetrainPolicy.PENDING.contains(v.stage()));
        Instant trainedAt = stable.manifest().provenance() == null ? null : stable.manifest().provenance().trainedAt();
        Optional<String> reason = retrain.decide(report, trainedAt, pending, clock.instant());
        if (reason.isEmpty()) {
            return;
        }
        // The interval is the one the report was computed in, so a later run over the same window finds the same
        // decision instead of making a new one.
        String key = RETRAIN_ACTION + ":" + report.model() + ":" + retrain.intervalOf(report.checkedAt());
        Map<String, String> details = new LinkedHashMap<>();
        details.put("reportId", report.id());
        details.put("parentVersion", Integer.toString(stable.version()));
        details.put("reason", reason.get());
        AuditRecord record = audit.recordOnce(key, ACTOR, RETRAIN_ACTION, stable.id().subject(), "requested", details);
        if (!report.id().equals(record.details().get("reportId"))) {
            return; // another window asked already in this interval: debounced
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", report.model());
        data.put("parentVersion", stable.version());
        data.put("reportId", report.id());
        data.put("reason", reason.get());
        events.publish(new VigilEvent(record.id(), EventTypes.RETRAIN_REQUESTED, VigilEvent.SOURCE,
                stable.id().subject(), clock.instant(), data));
    }

    static String checkKey(MonitoringReport report) {
        return CHECK_ACTION + ":" + report.id();
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
        details.put("labelled", Long.toString(report.performance() == null ? 0 : report.performance().labelled()));
        details.put("drifted", Boolean.toString(report.drifted()));
        details.put("performanceDegraded", Boolean.toString(report.performanceDegraded()));
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

package health.vigil.compliance;

import health.vigil.audit.AuditLog;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.model.AuditRecord;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Provenance;
import health.vigil.model.VersionRecord;
import health.vigil.port.PredictionLog;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Where one prediction came from: the logged decision (pseudonym, model inputs by column, score, decision, the
 * explanation, the slot), the version that made it (package and model sha256, provenance with its training datasets
 * and, for a retrained version, its parent and the report that asked for it; the approvers' signatures), its stored
 * gate report, the registration, approval and gate records of that version in the audit log, and the deployment in
 * force at that moment (the last deployment or canary record of the model at or before the prediction, a refused
 * attempt aside). The prediction is found by a point read: its id carries its time. Every lookup is an audit record,
 * including one that finds nothing or names no prediction id.
 */
public final class PredictionLineage {
    public static final String ACTION = "lineage.read";
    /** The audit action of a deployment (the deployment service's; services do not call each other). */
    static final String DEPLOYMENT_ACTION = "deployment.deploy";
    /** The audit action of a canary ramp's revision of the deployment (the canary service's). */
    static final String CANARY_ACTION = "deployment.canary";
    /** How far back the audit log is read for the version's and the deployment's records. */
    private static final int MAX_DAYS = 366;

    private final PredictionLog predictions;
    private final ModelRegistry registry;
    private final AuditLog audit;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final Function<ModelVersion, Optional<GateReport>> gateReports;
    private final Clock clock;
    private final Function<Instant, Optional<String>> removedByRetention;

    /**
     * @param gateReports the stored gate report of a version, as the gates keep it (handed in; no service call)
     * @param removedByRetention why a prediction of that time is not in the log, if retention removed it
     */
    public PredictionLineage(PredictionLog predictions, ModelRegistry registry, AuditLog audit,
            Function<Manifest, FeaturePipeline> pipelines, Function<ModelVersion, Optional<GateReport>> gateReports,
            Clock clock, Function<Instant, Optional<String>> removedByRetention) {
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.gateReports = Objects.requireNonNull(gateReports, "gateReports");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.removedByRetention = Objects.requireNonNull(removedByRetention, "removedByRetention");
    }

    /** The lineage of {@code predictionId}, read by {@code reader} (an audit record says who read it). */
    public Map<String, Object> of(String asked, String reader) {
        // Ids are UUIDs, which are read in any case; scoring writes them in lower case.
        String predictionId = asked.toLowerCase(java.util.Locale.ROOT);
        Optional<Instant> issued = PredictionIds.timeOf(predictionId);
        if (issued.isEmpty() && PredictionIds.formOf(predictionId) == PredictionIds.Form.EARLIER_VERSION) {
            // An id Vigil issued before ids carried their time (ADR 0014): a prediction id, which the log may hold
            // for the retention period, but one that says nothing of where; not found by id, rather than "not an id".
            audit.record(reader, ACTION, "predictions/" + predictionId, "not_found", Map.of());
            throw new VigilException(ErrorCode.NOT_FOUND, "prediction " + predictionId + " has an id made before"
                    + " prediction ids carried their time (a version-4 or version-3 UUID), so its lineage cannot be"
                    + " looked up by id; the audit export holds the decisions of its version");
        }
        if (issued.isEmpty()) {
            // What was asked stays out of the record and the answer: it is not an id and may be anything.
            audit.record(reader, ACTION, "predictions", "invalid", Map.of());
            throw new ValidationException("the id asked for (not repeated here) is not a prediction id; use the"
                    + " predictionId a scoring answer returned");
        }
        PredictionRecord record = predictions.find(predictionId, registry.listModels()).orElse(null);
        if (record == null) {
            audit.record(reader, ACTION, "predictions/" + predictionId, "not_found", Map.of());
            throw new VigilException(ErrorCode.NOT_FOUND, "no prediction " + predictionId + " is in the prediction"
                    + " log: " + removedByRetention.apply(issued.get())
                            .orElse("check the id a scoring answer returned"));
        }
        VersionRecord version = registry.getVersion(record.modelName(), record.version());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prediction", prediction(record, version));
        out.put("version", version(version));
        out.put("gateReport", gateReports.apply(version.id()).orElse(null));
        LocalDate predicted = LocalDate.ofInstant(record.time(), ZoneOffset.UTC);
        LocalDate registered = LocalDate.ofInstant(version.registeredAt(), ZoneOffset.UTC);
        // Up to the platform's today (its clock, not the machine's), and never before the prediction's own day.
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        String subject = version.id().subject();
        List<Map<String, Object>> decisions = new ArrayList<>();
        AtomicReference<Map<String, Object>> deployment = new AtomicReference<>();
        // Read a day at a time, keeping only what the answer shows: the period can be as long as the retention.
        audit.forEach(registered.isBefore(predicted.minusDays(MAX_DAYS)) ? predicted.minusDays(MAX_DAYS) : registered,
                today.isBefore(predicted) ? predicted : today, a -> {
                    if (a.subject().equals(subject) && !a.action().startsWith("monitoring.")) {
                        decisions.add(summary(a));
                    }
                    // A refused attempt changed no deployment: it is not the deployment in force.
                    boolean deploymentRecord = (a.action().equals(DEPLOYMENT_ACTION)
                            || a.action().equals(CANARY_ACTION)) && !RefusedAttempts.OUTCOME.equals(a.outcome());
                    if (deploymentRecord && !a.time().isAfter(record.time())
                            && a.subject().startsWith("/models/" + record.modelName().value() + "/")) {
                        deployment.set(summary(a));
                    }
                });
        out.put("versionDecisions", decisions);
        out.put("deploymentAtPrediction", deployment.get());
        audit.record(reader, ACTION, "predictions/" + predictionId, "read", Map.of("model",
                record.modelName().value(), "version", Integer.toString(record.version())));
        return out;
    }

    private Map<String, Object> prediction(PredictionRecord r, VersionRecord version) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("predictionId", r.predictionId());
        p.put("model", r.modelName().value());
        p.put("version", r.version());
        p.put("slot", r.slot().wireName());
        p.put("time", r.time().toString());
        p.put("patientPseudonym", r.patientPseudonym());
        List<String> columns = pipelines.apply(version.manifest()).columns();
        float[] values = r.features();
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            inputs.put(i < columns.size() ? columns.get(i) : "input_" + i, Float.isNaN(values[i]) ? null : values[i]);
        }
        p.put("inputs", inputs);
        p.put("score", r.score());
        p.put("decision", r.decision());
        p.put("explanation", r.explanation() == null ? null : health.vigil.json.Json.readTree("explanation",
                r.explanation().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return p;
    }

    private static Map<String, Object> version(VersionRecord v) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", v.version());
        out.put("stage", v.stage().wireName());
        out.put("packageSha256", v.packageSha256());
        out.put("modelSha256", v.modelSha256());
        out.put("packageBlob", v.packageBlob());
        out.put("registeredAt", v.registeredAt().toString());
        out.put("registeredBy", v.registeredBy());
        out.put("signatures", v.signatures());
        Provenance provenance = v.manifest().provenance();
        out.put("provenance", provenance);
        List<String> datasets = new ArrayList<>();
        datasets.add(provenance.datasetSha256());
        Map<String, String> lineage = new TreeMap<>();
        provenance.parameters().forEach((k, value) -> {
            if (k.startsWith("lineage.")) {
                lineage.put(k.substring("lineage.".length()), value);
            }
        });
        for (String key : List.of("trainingDataset", "productionDataset")) {
            if (lineage.containsKey(key) && !datasets.contains(lineage.get(key))) {
                datasets.add(lineage.get(key));
            }
        }
        out.put("trainingDatasets", datasets);
        out.put("retrainedFrom", lineage.isEmpty() ? null : lineage);
        return out;
    }

    private static Map<String, Object> summary(AuditRecord a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", a.id());
        out.put("time", a.time().toString());
        out.put("action", a.action());
        out.put("actor", a.actor());
        out.put("outcome", a.outcome());
        out.put("subject", a.subject());
        out.put("details", a.details());
        return out;
    }
}

package health.vigil.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.AuditLog;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.Explainers;
import health.vigil.features.Column;
import health.vigil.features.FeaturePipeline;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Factor;
import health.vigil.model.Feature;
import health.vigil.model.Manifest;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.VersionRecord;
import health.vigil.port.PredictionLog;
import health.vigil.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads back how a past prediction was explained: the prediction log's record (the explanation computed when
 * the patient was scored, never a new one) and the version's manifest for the features' clinical words, units
 * and limitations. Every lookup is an audit record naming the reader, including one that finds nothing.
 */
public final class PredictionExplanations {
    public static final String ACTION = "explanation.read";
    /** What could be a prediction id: hexadecimal digits and hyphens, 64 at most (a UUID's text is 36). */
    private static final Pattern ID_TEXT = Pattern.compile("[0-9a-fA-F-]{1,64}");

    private final PredictionLog log;
    private final ModelRegistry registry;

    private final PredictionRetention retention;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final AuditLog audit;

    /** @param pipelines the feature pipeline a version's manifest names, for what it gives a model for a missing value */
    public PredictionExplanations(PredictionLog log, ModelRegistry registry, PredictionRetention retention,
            Function<Manifest, FeaturePipeline> pipelines, AuditLog audit) {
        this.log = Objects.requireNonNull(log, "log");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /**
     * The explanation of prediction {@code predictionId}, read by {@code reader}: an audit record says who read which
     * prediction ({@code read}, with model and version), or asked for one the log does not hold ({@code not_found}) or
     * that was scored without an explanation ({@code not_recorded}). Text that is no prediction id is recorded as
     * {@code invalid} without the text, which may be anything typed into the box; text that is not even hexadecimal
     * digits and hyphens is refused before any lookup.
     *
     * @throws ValidationException when the text is not hexadecimal digits and hyphens
     * @throws NotFoundException PREDICTION_NOT_FOUND when the log has no such prediction, EXPLANATION_NOT_RECORDED
     *     when it was scored without an explanation
     */
    public PredictionExplanation explanation(String predictionId, String reader) {
        Objects.requireNonNull(predictionId, "predictionId");
        Objects.requireNonNull(reader, "reader");
        if (!ID_TEXT.matcher(predictionId).matches()) {
            // A name or record number pasted where the id goes: recorded, as every lookup is, but never repeated.
            audit.record(reader, ACTION, "predictions", "invalid", Map.of());
            throw new ValidationException("a prediction id is the UUID the scoring answer gave (hexadecimal digits"
                    + " and hyphens)");
        }
        // Ids are UUIDs, which are read in any case; scoring writes them in lower case.
        String id = predictionId.toLowerCase(java.util.Locale.ROOT);
        PredictionIds.Form form = PredictionIds.formOf(id);
        boolean issued = form == PredictionIds.Form.VERSION_7 || form == PredictionIds.Form.EARLIER_VERSION;
        String subject = issued ? "predictions/" + id : "predictions";
        PredictionRecord record = log.find(id, registry.listModels()).orElse(null);
        if (record == null) {
            audit.record(reader, ACTION, subject, issued ? "not_found" : "invalid", Map.of());
            throw new NotFoundException(ErrorCode.PREDICTION_NOT_FOUND, "no prediction with this id is in the"
                    + " prediction log: " + PredictionIds.timeOf(id).flatMap(retention::removedByRetention)
                            .orElse("check the id the scoring answer gave"));
        }
        Map<String, String> which = Map.of("model", record.modelName().value(),
                "version", Integer.toString(record.version()));
        if (record.explanation() == null) {
            audit.record(reader, ACTION, subject, "not_recorded", which);
            throw new NotFoundException(ErrorCode.EXPLANATION_NOT_RECORDED, "this prediction was scored without an"
                    + " explanation (explain=false, or a model Vigil cannot explain); score again with explanations on");
        }
        VersionRecord version = registry.getVersion(record.modelName(), record.version());
        Manifest manifest = version.manifest();
        Map<String, Feature> features = new HashMap<>();
        manifest.features().features().forEach(f -> features.put(f.name(), f));

        FeaturePipeline pipeline = pipelines.apply(manifest);
        Words words = new Words(features, pipeline);
        Explanation explanation = restore(record.explanation(), words);
        List<PredictionExplanation.ClinicalFactor> top = new ArrayList<>();
        double shown = 0;
        for (Factor f : explanation.topFactors()) {
            top.add(new PredictionExplanation.ClinicalFactor(f.feature(), words.label(f.feature()), f.unit(),
                    f.probabilityContribution(), f.marginContribution(), f.direction(),
                    f.missing() ? "missing (not recorded): " + pipeline.missingInWords(f.feature()) : null));
            shown += f.probabilityContribution();
        }
        double total = explanation.score() - explanation.baseScore();
        audit.record(reader, ACTION, subject, "read", which);
        return new PredictionExplanation(record.predictionId(), record.modelName(), record.version(), record.slot(),
                record.time(), record.score(), explanation.baseScore(), manifest.output().threshold(),
                manifest.output().positiveLabel(), record.decision(), top, total - shown, explanation.score(),
                explanation.summary(), manifest.intendedUse(), manifest.limitations(),
                "/models/" + record.modelName().value() + "/versions/" + record.version() + "/card", version.stage());
    }

    /**
     * The explanation the prediction log kept: margins and every feature's two contributions, no values, and which
     * features' values were missing (explanations logged before missing values were marked name none).
     */
    private static Explanation restore(String logged, Words words) {
        try {
            JsonNode node = Json.readTree("a logged explanation", logged.getBytes(StandardCharsets.UTF_8));
            Set<String> missing = new HashSet<>();
            node.path("missing").forEach(name -> missing.add(name.asText()));
            List<Factor> contributions = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> fields = node.path("contributions").fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                String unit = words.unit(e.getKey());
                double margin = number(e.getValue().get(0));
                double probability = number(e.getValue().get(1));
                contributions.add(missing.contains(e.getKey()) ? Factor.missing(e.getKey(), unit, margin, probability)
                        : Factor.of(e.getKey(), null, unit, margin, probability));
            }
            // The summary names the features as the page does, by their clinical labels.
            return ClinicalExplainer.restore(number(node.get("margin")), number(node.get("expectedMargin")),
                    contributions, Explainers.TOP_FACTORS, words::label);
        } catch (ValidationException e) {
            // What the log holds was written by scoring: if it does not read back, the store is damaged.
            throw new StoreException("a logged explanation could not be read back (" + e.code() + ")", null);
        }
    }

    private static double number(JsonNode node) {
        if (node == null || !node.isNumber()) {
            throw new ValidationException("a logged explanation lacks a number");
        }
        return node.doubleValue();
    }

    /**
     * The words a factor is shown in: its label as the pipeline words it (as the scoring answer's summary does), a raw
     * feature's unit from the manifest, a computed column's from the pipeline's wording of it.
     */
    private record Words(Map<String, Feature> features, FeaturePipeline pipeline) {

        String label(String name) {
            return pipeline.label(name);
        }

        String unit(String name) {
            Feature feature = features.get(name);
            if (feature != null) {
                return feature.unit();
            }
            Column.Wording wording = pipeline.wordings().get(name);
            return wording == null ? null : wording.unitIn(pipeline.rawSchema());
        }
    }
}

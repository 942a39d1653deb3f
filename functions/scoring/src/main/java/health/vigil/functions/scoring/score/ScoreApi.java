package health.vigil.functions.scoring.score;

import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoredRow;
import health.vigil.scoring.ScoringService;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.ModelName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The plain JSON scoring route's contract. One patient: {@code {"patientId": "...", "features": {...}}};
 * a batch: {@code {"records": [{"patientId": "...", "features": {...}}, ...]}}; optionally {@code "version"}
 * to pin a registered version instead of following the deployment. The answer carries, per patient, the
 * prediction id, model version, traffic slot, risk (probability of the positive class) and decision.
 */
public final class ScoreApi {
    private static final Set<String> SINGLE_FIELDS = Set.of("patientId", "features", "version");
    private static final Set<String> BATCH_FIELDS = Set.of("records", "version");
    private static final Set<String> RECORD_FIELDS = Set.of("patientId", "features");

    private final ScoringService scoring;

    public ScoreApi(ScoringService scoring) {
        this.scoring = scoring;
    }

    /**
     * One prediction as the route answers it, its fields in this order; the explanation is left out when there is
     * none. A record rather than a map of its fields, which took 0.36 KB more of each request's allocation.
     */
    @JsonPropertyOrder({"predictionId", "model", "version", "slot", "risk", "decision", "positiveLabel", "threshold",
            "explanation"})
    public record Prediction(String predictionId, String model, int version, String slot, double risk,
            boolean decision, String positiveLabel, double threshold,
            @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> explanation) {}

    /** Scores the body for {@code model} with explanations and returns the response document. */
    public Object score(ModelName model, JsonNode body) {
        return score(model, body, true);
    }

    /**
     * Scores the body for {@code model} and returns the response document; with {@code explain} each
     * prediction of a model that can be explained carries its top contributing factors.
     */
    public Object score(ModelName model, JsonNode body, boolean explain) {
        if (body == null || !body.isObject()) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, "the request body must be a JSON object with"
                    + " 'patientId' and 'features' (one patient) or 'records' (a batch)");
        }
        boolean batch = body.has("records");
        checkFields(body, batch ? BATCH_FIELDS : SINGLE_FIELDS, "the request body");
        Integer version = version(body.get("version"));
        List<PatientRow> rows = new ArrayList<>();
        if (batch) {
            JsonNode records = body.get("records");
            if (!records.isArray()) {
                throw new ValidationException(ErrorCode.MALFORMED_JSON,
                        "'records' must be an array of {\"patientId\", \"features\"} objects");
            }
            int max = scoring.limits().maxBatchRows();
            if (records.size() > max) {
                throw new ValidationException(ErrorCode.BATCH_TOO_LARGE, "the batch has " + records.size()
                        + " records; at most " + max + " are accepted per request");
            }
            for (int i = 0; i < records.size(); i++) {
                JsonNode record = records.get(i);
                String where = "records[" + i + "]";
                if (!record.isObject()) {
                    throw new ValidationException(ErrorCode.MALFORMED_JSON,
                            where + " must be an object with 'patientId' and 'features'");
                }
                checkFields(record, RECORD_FIELDS, where);
                rows.add(row(record, where + "."));
            }
        } else {
            rows.add(row(body, ""));
        }
        ScoreResult result = scoring.score(new ScoreRequest(model, version, rows, explain));
        if (!batch) {
            return document(result.row(0));
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("model", model.value());
        response.put("predictions", result.rows().stream().map(ScoreApi::document).toList());
        return response;
    }

    private static PatientRow row(JsonNode node, String where) {
        JsonNode patientId = node.get("patientId");
        if (patientId == null || !patientId.isTextual() || patientId.asText().isBlank()) {
            String message = where + "patientId is missing or not a string: send the patient identifier as a string;"
                    + " Vigil pseudonymises it before use";
            // Blank text is the right type breaking the rule.
            throw patientId != null && patientId.isTextual() ? new ValidationException(message)
                    : Json.missingOrWrongType(patientId, message);
        }
        JsonNode features = node.get("features");
        if (features == null || !features.isObject()) {
            throw Json.missingOrWrongType(features, where + "features is missing or not an object: send the model's"
                    + " features as {\"name\": value, ...}");
        }
        return PatientRow.ofFields(patientId.asText(), features);
    }

    private static Integer version(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 1) {
            ErrorCode code = node.isIntegralNumber() ? ErrorCode.INVALID_REQUEST : ErrorCode.MALFORMED_JSON;
            throw new ValidationException(code, "'version' must be a whole number from 1; leave it out to follow the"
                    + " deployment");
        }
        return node.asInt();
    }

    private static void checkFields(JsonNode node, Set<String> allowed, String where) {
        node.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                // As the typed routes' binding refuses a field it does not know (ADR 0029).
                throw new ValidationException(ErrorCode.MALFORMED_JSON, where + " has an unknown field "
                        + Json.quotedName(name) + "; allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        });
    }

    private static Prediction document(ScoredRow row) {
        return new Prediction(row.predictionId(), row.model().value(), row.version(), row.slot().wireName(),
                row.score(), row.decision(), row.positiveLabel(), row.threshold(),
                row.explanation() == null ? null : explanation(row.explanation()));
    }

    /**
     * What a clinician reads: the one-line summary, the baseline risk, and the top factors with the value
     * given (or {@code "missing": true} where the record had none), its unit and the signed change in risk
     * (probability) and in log-odds; and what every other feature
     * together changed, so that the baseline, the top factors and the others add up to the risk, as a waterfall
     * drawn from them needs.
     */
    public static Map<String, Object> explanation(Explanation explanation) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("summary", explanation.summary());
        document.put("baselineRisk", explanation.baseScore());
        double otherRisk = explanation.score() - explanation.baseScore();
        double otherLogOdds = explanation.margin() - explanation.expectedMargin();
        for (Explanation.Factor f : explanation.topFactors()) {
            otherRisk -= f.probabilityContribution();
            otherLogOdds -= f.marginContribution();
        }
        document.put("topFactors", explanation.topFactors().stream().map(f -> {
            Map<String, Object> factor = new LinkedHashMap<>();
            factor.put("feature", f.feature());
            factor.put("value", f.value());
            if (f.missing()) {
                // Said outright: a null value alone could be read as a value the record gave as null on purpose.
                factor.put("missing", true);
            }
            if (f.unit() != null) {
                factor.put("unit", f.unit());
            }
            factor.put("direction", f.direction().name().toLowerCase(java.util.Locale.ROOT));
            factor.put("riskContribution", f.probabilityContribution());
            factor.put("logOddsContribution", f.marginContribution());
            return factor;
        }).toList());
        Map<String, Object> others = new LinkedHashMap<>();
        others.put("riskContribution", otherRisk);
        others.put("logOddsContribution", otherLogOdds);
        document.put("otherFactors", others);
        return document;
    }
}

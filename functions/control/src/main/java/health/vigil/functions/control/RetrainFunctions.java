package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import health.vigil.error.ValidationException;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.EventTypes;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.retraining.RetrainService;

/** {@code Vigil.Retrain.Requested} → a retrained package uploaded for registration, gates and approval. */
public final class RetrainFunctions {
    private final RetrainService retraining;

    public RetrainFunctions(VigilPlatform platform) {
        this.retraining = platform.retraining();
    }

    @FunctionName("Retrain")
    public void retrain(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        EventEnvelope envelope = EventEnvelopes.parseSingle(event);
        if (!EventTypes.RETRAIN_REQUESTED.equals(envelope.type())) {
            throw new ValidationException("Retrain handles " + EventTypes.RETRAIN_REQUESTED + " only, not "
                    + envelope.type() + "; check the event subscription's filter");
        }
        JsonNode data = envelope.data();
        if (!data.path("model").isTextual() || !data.path("parentVersion").canConvertToInt()
                || !data.path("reportId").isTextual()) {
            throw new ValidationException("a retraining request needs 'model', 'parentVersion' and 'reportId'");
        }
        AuditRecord outcome = retraining.handle(new RetrainService.Request(envelope.id(),
                new ModelName(data.get("model").asText()), data.get("parentVersion").asInt(),
                data.get("reportId").asText()));
        context.getLogger().info("Retrain " + envelope.id() + ": " + outcome.outcome() + " "
                + outcome.details().getOrDefault("packageBlob", outcome.details().getOrDefault("reason", "")));
    }
}

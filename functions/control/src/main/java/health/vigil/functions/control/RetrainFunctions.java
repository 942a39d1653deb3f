package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.EventTypes;
import health.vigil.functions.common.Triggers;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.retraining.RetrainService;
import java.util.List;
import java.util.Set;

/** {@code Vigil.Retrain.Requested} → a retrained package uploaded for registration, gates and approval. */
public final class RetrainFunctions {
    private final RetrainService retraining;
    private final Triggers triggers;

    public RetrainFunctions(VigilPlatform platform) {
        this.triggers = Triggers.of(platform);
        this.retraining = platform.retraining();
    }

    @FunctionName("Retrain")
    public void retrain(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            EventEnvelope envelope = EventEnvelopes.parseSingle(event);
            JsonNode data = EventEnvelopes.requireData(envelope, "Retrain", Set.of(EventTypes.RETRAIN_REQUESTED),
                    List.of("model", "reportId"), List.of("parentVersion"));
            ModelVersion parent = EventEnvelopes.requireSubjectNames(envelope, "Retrain",
                    new ModelVersion(new ModelName(data.get("model").asText()), data.get("parentVersion").asInt()));
            AuditRecord outcome = retraining.handle(new RetrainService.Request(envelope.id(), parent.name(),
                    parent.number(), data.get("reportId").asText()));
            context.getLogger().info("Retrain " + envelope.id() + ": " + outcome.outcome() + " "
                    + outcome.details().getOrDefault("packageBlob", outcome.details().getOrDefault("reason", "")));
        });
    }
}

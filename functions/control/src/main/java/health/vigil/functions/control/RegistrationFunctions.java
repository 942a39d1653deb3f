package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.common.Triggers;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.registry.RegistrationService;

/**
 * Registers a model package when a blob lands in the {@code models} container (Event Grid
 * {@code Microsoft.Storage.BlobCreated}). A rejected package is an outcome, not a failure; a store that is
 * unavailable throws, so Event Grid delivers the event again.
 */
public final class RegistrationFunctions {
    private final RegistrationService registration;
    private final Triggers triggers;

    public RegistrationFunctions(VigilPlatform platform) {
        this.triggers = Triggers.of(platform);
        this.registration = platform.registration();
    }

    @FunctionName("RegisterModel")
    public void run(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            var blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(event));
            RegistrationOutcome outcome = registration.register(blob);
            context.getLogger().info("RegisterModel event " + blob.eventId() + ": " + outcome.kind()
                    + outcome.versionRecord().map(v -> " " + v.id()).orElse("")
                    + (outcome.reason() == null ? "" : " (" + outcome.reason() + ")"));
        });
    }
}

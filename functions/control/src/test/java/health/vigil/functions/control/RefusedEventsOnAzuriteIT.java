package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.azure.AzureAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.RefusedEvents;
import health.vigil.functions.common.Triggers;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An event a function refuses for good is kept once in Blob Storage's {@code event-deadletter} container, which the
 * Azure adapters create on the emulators as the templates do in Azure: a duplicate delivery finds the record, and
 * Event Grid's own dead letters (named under the subscription in capitals) are left as they are.
 */
@ExtendWith(AzureEmulators.class)
class RefusedEventsOnAzuriteIT {
    private static final Instant NOW = Instant.parse("2026-12-08T04:30:00Z");

    @Test
    void aRefusedEventIsWrittenOnceInTheLocalDeadLetterFilesShape() throws Exception {
        Map<String, String> settings = Map.of("VIGIL_MODE", "azure", "VIGIL_AZURE_CREATE_RESOURCES", "true",
                "VIGIL_AZURE_STORAGE_CONNECTION_STRING", AzureEmulators.azurite().connectionString());
        try (AzureAdapters adapters = AzureAdapters.create(VigilConfig.fromEnvironment(settings))) {
            ArtifactStore store = adapters.artifactStore();
            List<String> failures = new ArrayList<>();
            Triggers triggers = new Triggers(FailuresRecorded.into(failures),
                    new RefusedEvents(store, Clock.fixed(NOW, ZoneOffset.UTC)));
            String id = "e-" + UUID.randomUUID();
            String event = Json.write(Map.of("specversion", "1.0", "id", id, "source", "/vigil",
                    "type", "Vigil.Model.Registered", "subject", "/models/readmission/versions/2",
                    "time", "2026-12-08T04:29:59Z", "data", Map.of("model", "readmission", "version", 1)));
            String eventGrids = "VIGIL-TOPIC/EVALUATE-GATES-ON-REGISTRATION/2026/12/8/4/" + id + ".json";
            store.put(ArtifactStore.EVENT_DEADLETTER, eventGrids,
                    new ByteArrayInputStream("[]".getBytes(StandardCharsets.UTF_8)), false);

            for (int delivery = 1; delivery <= 2; delivery++) {
                RecordingContext context = new RecordingContext("EvaluateGates");
                assertThatCode(() -> triggers.onEvent(context, event, () -> {
                    throw new ValidationException("the event's subject names version 2; its data names version 1");
                })).doesNotThrowAnyException();
                assertThat(context.logged()).as("delivery " + delivery).hasSize(delivery == 1 ? 1 : 0);
            }
            assertThat(failures).containsExactly("EvaluateGates INVALID_REQUEST");

            String name = "refused/EvaluateGates/" + id + ".json";
            assertThat(store.list(ArtifactStore.EVENT_DEADLETTER, "refused/EvaluateGates/" + id))
                    .extracting(ArtifactStore.StoredArtifact::name).containsExactly(name);
            JsonNode record;
            try (InputStream in = store.open(ArtifactStore.EVENT_DEADLETTER, name)) {
                record = Json.readTree("dead letter", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertThat(record.get("deadLetterReason").asText()).isEqualTo("RefusedByFunction");
            assertThat(record.get("function").asText()).isEqualTo("EvaluateGates");
            assertThat(record.get("lastErrorCode").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(record.get("lastErrorType").asText()).isEqualTo("ValidationException");
            assertThat(record.get("publishTime").asText()).isEqualTo("2026-12-08T04:29:59Z");
            assertThat(record.get("lastDeliveryAttemptTime").asText()).isEqualTo(NOW.toString());
            assertThat(record.get("subscription").isNull()).isTrue();
            assertThat(record.get("deliveryAttempts").isNull()).isTrue();
            assertThat(record.get("event")).isEqualTo(Json.readTree("event", event));
            assertThat(record.toString()).doesNotContain("its data names");
            try (InputStream in = store.open(ArtifactStore.EVENT_DEADLETTER, eventGrids)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("[]");
            }
        }
    }
}

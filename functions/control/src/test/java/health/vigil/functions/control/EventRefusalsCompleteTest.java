package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.FinalRefusalHost;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.json.Json;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.ServiceFixtures;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-triggered functions under the Functions host, which tells Event Grid only that a function failed: an
 * event no delivery can make valid is kept as a dead-letter record in {@code event-deadletter} and completes its
 * delivery, counted and logged once however often it is delivered, instead of being delivered again for a day; a
 * store that is unavailable still fails it, so Event Grid delivers it again.
 */
class EventRefusalsCompleteTest {
    private static final String MODEL = "readmission";
    /** A name Blob Storage takes and Vigil's stores refuse (an empty folder name), so the refusal is final. */
    private static final String REFUSED_NAME = MODEL + "//nightly.csv";
    private static final String DEAD_LETTERS = "event-deadletter";

    @TempDir
    Path home;

    private final List<String> failures = new ArrayList<>();
    private VigilPlatform platform;
    private VigilInstanceInjector injector;

    @BeforeEach
    void aLocalPlatform() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .telemetry(FailuresRecorded.into(failures)).build();
        injector = new VigilInstanceInjector(() -> platform);
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void aBlobCreatedForABlobNameTheStoresRefuseCompletesEachStorageFunctionsDelivery() throws Exception {
        Map<String, String> containers = Map.of("RegisterModel", ArtifactStore.MODELS,
                "IngestOutcomes", ArtifactStore.OUTCOMES, "StartBatchOnUpload", ArtifactStore.BATCH_INPUT);
        for (var function : containers.entrySet()) {
            String event = blobCreated("b-" + function.getKey(), function.getValue(), REFUSED_NAME);
            refusedTwiceAndComplete(function.getKey(), event, "the blob name has an empty folder name");
        }
        assertThat(audited()).isEmpty();
        assertThat(platform.registry().listModels()).isEmpty();
    }

    @Test
    void anEventAboutAVersionWhoseSubjectNamesAnotherCompletesEachVersionFunctionsDelivery() throws Exception {
        refusedTwiceAndComplete("EvaluateGates", vigilEvent("e-gates", "Vigil.Model.Registered",
                "/models/" + MODEL + "/versions/2", Map.of("model", MODEL, "version", 1)), "its data names");
        refusedTwiceAndComplete("Retrain", vigilEvent("e-retrain", "Vigil.Retrain.Requested",
                "/models/" + MODEL + "/versions/2", Map.of("model", MODEL, "parentVersion", 1, "reportId",
                        MODEL + "/v1/stable/2026-12-01T000000Z--2026-12-02T000000Z")), "its data names");
        refusedTwiceAndComplete("AdvanceCanary", vigilEvent("e-canary", "Vigil.Canary.Started",
                "/models/" + MODEL + "/versions/2", Map.of("model", MODEL, "version", 1, "revision", 3)),
                "its data names");
        assertThat(audited()).isEmpty();
    }

    /**
     * A retraining request citing a report whose record the audit store does not show (yet: read on another instance
     * than the check that wrote it, with session consistency) fails its delivery, so Event Grid delivers it again;
     * one citing a report on another slot can never be retrained for, and completes.
     */
    @Test
    void aRetrainRequestCitingAReportNotRecordedFailsSoEventGridDeliversItAgain() throws Exception {
        try (LocalAdapters stores = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            stores.registryStore().createNextVersion(ServiceFixtures.READMISSION,
                    n -> ServiceFixtures.version(ServiceFixtures.READMISSION, n, Stage.PRODUCTION));
        }
        String window = "2026-12-01T000000Z--2026-12-02T000000Z";
        String event = vigilEvent("e-unseen", "Vigil.Retrain.Requested", "/models/" + MODEL + "/versions/1",
                Map.of("model", MODEL, "parentVersion", 1, "reportId", MODEL + "/v1/stable/" + window));
        for (int delivery = 1; delivery <= 2; delivery++) {
            failures.clear();
            RecordingContext context = new RecordingContext("Retrain");
            EventFunction retrain = function("Retrain");
            assertThatThrownBy(() -> retrain.deliver(event, context))
                    .isInstanceOfSatisfying(NotFoundException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("no monitoring report with this reportId is recorded");
            assertThat(failures).containsExactly("Retrain NOT_FOUND");
            assertThat(context.logged()).isEmpty();
        }
        assertThat(audited()).isEmpty();

        refusedTwiceAndComplete("Retrain", vigilEvent("e-canary", "Vigil.Retrain.Requested",
                "/models/" + MODEL + "/versions/1", Map.of("model", MODEL, "parentVersion", 1, "reportId",
                        MODEL + "/v1/canary/" + window)), "is not a report on the stable slot");
        assertThat(audited()).isEmpty();
    }

    /** A store that is unavailable may be back for the next delivery: each function still fails its delivery. */
    @Test
    void aDeliveryAStoreOutageStopsStillFailsSoEventGridDeliversItAgain() throws Exception {
        Map<String, String> events = Map.of(
                "RegisterModel", blobCreated("b-1", ArtifactStore.MODELS, MODEL + "/model.zip"),
                "IngestOutcomes", blobCreated("b-2", ArtifactStore.OUTCOMES, MODEL + "/outcomes.csv"),
                "StartBatchOnUpload", blobCreated("b-3", ArtifactStore.BATCH_INPUT, MODEL + "/nightly.csv"),
                "EvaluateGates", vigilEvent("e-1", "Vigil.Model.Registered", "/models/" + MODEL + "/versions/1",
                        Map.of("model", MODEL, "version", 1)),
                "Retrain", vigilEvent("e-2", "Vigil.Retrain.Requested", "/models/" + MODEL + "/versions/1",
                        Map.of("model", MODEL, "parentVersion", 1, "reportId",
                                MODEL + "/v1/stable/2026-12-01T000000Z--2026-12-02T000000Z")),
                "AdvanceCanary", vigilEvent("e-3", "Vigil.Canary.Stepped", "/models/" + MODEL + "/versions/2",
                        Map.of("model", MODEL, "version", 2, "revision", 3)));
        // The files are there; the stores that say what to do with them are not.
        put(ArtifactStore.OUTCOMES, MODEL + "/outcomes.csv", "model,predictionId,outcome\n" + MODEL
                + ",0192f0c4-6a1e-7b3c-9d2e-4f5a6b7c8d9e,1\n");
        put(ArtifactStore.BATCH_INPUT, MODEL + "/nightly.csv", "age\n70\n");
        Map<String, EventFunction> functions = new java.util.HashMap<>();
        for (String name : events.keySet()) {
            functions.put(name, function(name));
        }
        platform.close();
        for (var event : events.entrySet()) {
            RecordingContext context = new RecordingContext(event.getKey());
            assertThatThrownBy(() -> functions.get(event.getKey()).deliver(event.getValue(), context))
                    .as(event.getKey()).isInstanceOf(StoreException.class);
            assertThat(context.logged()).as(event.getKey()).isEmpty();
        }
        assertThat(failures).hasSize(events.size()).allMatch(f -> f.endsWith(" STORE_UNAVAILABLE"));
    }

    /**
     * A refusal that cannot be kept (the dead-letter container does not take the record) is never lost: the delivery
     * fails, counted as the store's failure and logged by nobody but the host, so Event Grid delivers the event again
     * and, after its last attempt, dead-letters it itself. The next delivery that can keep it completes.
     */
    @Test
    void aRefusalTheDeadLetterStoreDoesNotTakeFailsTheDeliverySoEventGridDeliversItAgain() throws Exception {
        String event = blobCreated("b-unkept", ArtifactStore.MODELS, REFUSED_NAME);
        // A blob named like the records' folder: the local store cannot put a record under it.
        put(DEAD_LETTERS, "refused", "in the way");
        RecordingContext context = new RecordingContext("RegisterModel");
        EventFunction register = function("RegisterModel");
        assertThatThrownBy(() -> register.deliver(event, context)).isInstanceOfSatisfying(StoreException.class,
                e -> assertThat(e.getSuppressed()).singleElement().isInstanceOf(ValidationException.class))
                .hasMessageContaining("b-unkept").hasMessageContaining("delivered again")
                .hasMessageNotContaining("nightly.csv");
        assertThat(failures).containsExactly("RegisterModel STORE_UNAVAILABLE");
        assertThat(context.logged()).isEmpty();

        platform.artifacts().delete(DEAD_LETTERS, "refused");
        refusedTwiceAndComplete("RegisterModel", event, "the blob name has an empty folder name");
    }

    /** The local host answers a refusal with a 4xx and dead-letters the event at once: it is given the refusal. */
    @Test
    void aHostThatTakesARefusalAsFinalIsGivenIt() throws Exception {
        String event = blobCreated("b-local", ArtifactStore.MODELS, REFUSED_NAME);
        EventFunction register = function("RegisterModel");
        assertThatThrownBy(() -> register.deliver(event, new LocalHostContext("RegisterModel")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("empty folder name");
        assertThat(failures).containsExactly("RegisterModel INVALID_REQUEST");
        // Its bus writes the dead-letter file; the function keeps no record of its own.
        assertThat(platform.artifacts().list(DEAD_LETTERS, "")).isEmpty();
    }

    private void put(String container, String name, String content) {
        platform.artifacts().put(container, name,
                new java.io.ByteArrayInputStream(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
    }

    private List<health.vigil.model.AuditRecord> audited() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return platform.audit().read(today.minusDays(1), today.plusDays(1));
    }

    /**
     * Delivers {@code event} twice, as Event Grid may: the first delivery keeps the event as a dead-letter record in
     * the local dead-letter file's shape, counts the refusal and logs one warning; the second finds the record and
     * completes without writing, counting or logging anything.
     */
    private void refusedTwiceAndComplete(String name, String event, String reason) throws Exception {
        String id = Json.readTree("event", event).get("id").asText();
        for (int delivery = 1; delivery <= 2; delivery++) {
            failures.clear();
            RecordingContext context = new RecordingContext(name);
            EventFunction function = function(name);
            assertThatCode(() -> function.deliver(event, context)).as(name).doesNotThrowAnyException();
            if (delivery == 2) {
                assertThat(failures).as(name + " delivered again").isEmpty();
                assertThat(context.logged()).as(name + " delivered again").isEmpty();
                continue;
            }
            assertThat(failures).as(name).containsExactly(name + " INVALID_REQUEST");
            assertThat(context.logged()).as(name).singleElement().satisfies(line -> {
                assertThat(line.getLevel()).isEqualTo(Level.WARNING);
                assertThat(line.getMessage()).contains(name + " refused event " + id + " with INVALID_REQUEST")
                        .contains(reason).contains("the delivery is complete")
                        .contains(DEAD_LETTERS + "/refused/" + name + "/" + id + ".json").doesNotContain("nightly.csv");
            });
        }
        assertThat(platform.artifacts().list(DEAD_LETTERS, "refused/" + name + "/")).as(name)
                .singleElement().satisfies(kept -> assertThat(kept.name()).isEqualTo("refused/" + name + "/" + id
                        + ".json"));
        JsonNode record = deadLetter("refused/" + name + "/" + id + ".json");
        assertThat(record.get("deadLetterReason").asText()).isEqualTo("RefusedByFunction");
        assertThat(record.get("function").asText()).isEqualTo(name);
        assertThat(record.get("lastErrorCode").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(record.get("lastErrorType").asText()).isEqualTo("ValidationException");
        assertThat(record.get("event")).isEqualTo(Json.readTree("event", event));
        assertThat(Instant.parse(record.get("lastDeliveryAttemptTime").asText())).isBeforeOrEqualTo(Instant.now());
        // The local dead-letter file's fields, and nothing from the refusal's message.
        assertThat(record.fieldNames()).toIterable().containsExactlyInAnyOrder("deadLetterReason", "subscription",
                "function", "deliveryAttempts", "lastErrorCode", "lastErrorType", "publishTime",
                "lastDeliveryAttemptTime", "event");
        assertThat(record.toString()).doesNotContain(reason);
    }

    private JsonNode deadLetter(String name) throws Exception {
        try (var in = platform.artifacts().open(DEAD_LETTERS, name)) {
            return Json.readTree("dead letter", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** An event-triggered function, as the host calls it. */
    private interface EventFunction {
        void deliver(String event, ExecutionContext context);
    }

    private EventFunction function(String name) throws Exception {
        return switch (name) {
            case "RegisterModel" -> injector.getInstance(RegistrationFunctions.class)::run;
            case "IngestOutcomes" -> injector.getInstance(OutcomeFunctions.class)::ingest;
            case "StartBatchOnUpload" -> injector.getInstance(BatchFunctions.class)::onUpload;
            case "EvaluateGates" -> injector.getInstance(GateFunctions.class)::evaluate;
            case "Retrain" -> injector.getInstance(RetrainFunctions.class)::retrain;
            case "AdvanceCanary" -> injector.getInstance(CanaryFunctions.class)::advance;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A storage account's BlobCreated, in Event Grid's schema. */
    private static String blobCreated(String id, String container, String blob) {
        return Json.write(Map.of("id", id,
                "topic", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/vigillocal",
                "subject", "/blobServices/default/containers/" + container + "/blobs/" + blob,
                "eventType", "Microsoft.Storage.BlobCreated", "eventTime", Instant.now().toString(),
                "data", Map.of("api", "PutBlob", "contentLength", 10),
                "dataVersion", "", "metadataVersion", "1"));
    }

    private static String vigilEvent(String id, String type, String subject, Map<String, Object> data) {
        return Json.write(Map.of("specversion", "1.0", "id", id, "source", "/vigil", "type", type,
                "subject", subject, "time", Instant.now().toString(), "data", data));
    }

    /** The context of a host that takes a thrown refusal as final, as the local host's is. */
    private static final class LocalHostContext extends RecordingContext implements FinalRefusalHost {
        LocalHostContext(String functionName) {
            super(functionName);
        }
    }
}

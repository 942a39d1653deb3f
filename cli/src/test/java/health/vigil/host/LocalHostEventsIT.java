package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.EventBusSettings;
import health.vigil.adapter.local.EventBusSubscription;
import health.vigil.adapter.local.EventBusSubscription.DeliverySchema;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventEnvelopes;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.functions.testing.TestRecorder;
import health.vigil.json.Json;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event Grid triggers end to end: the webhook over real HTTP, the in-process bus, the drop folder. */
class LocalHostEventsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    @TempDir
    Path home;

    private final TestRecorder recorder = new TestRecorder();
    private LocalHost host;
    private List<EventBusSubscription> subscriptions;

    @BeforeEach
    void start() {
        subscriptions = List.of(
                new EventBusSubscription("record-registered", "RecordEvent", "control",
                        List.of(EventTypes.MODEL_REGISTERED), "/models/", DeliverySchema.CLOUD_EVENTS),
                new EventBusSubscription("flaky", "FlakyHandler", "control",
                        List.of(EventTypes.GATES_PASSED), null, DeliverySchema.CLOUD_EVENTS),
                new EventBusSubscription("always-fails", "AlwaysFails", "control",
                        List.of(EventTypes.GATES_FAILED), null, DeliverySchema.CLOUD_EVENTS),
                new EventBusSubscription("register-on-upload", "OnBlobCreated", "control",
                        List.of(EventTypes.BLOB_CREATED), "/blobServices/default/containers/models/", DeliverySchema.EVENT_GRID));
        host = LocalHost.builder()
                .home(home)
                .port(0)
                .packages("health.vigil.functions.testing.events")
                .instanceInjector(new TestInjector(recorder))
                .subscriptions(subscriptions)
                .eventBus(EventBusSettings.DEFAULTS.withRetries(4, Duration.ofMillis(10), Duration.ofMillis(40)))
                .dropFolderInterval(Duration.ofMillis(50))
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        host.close();
    }

    private HttpResponse<String> webhook(String functionName, String body, String eventType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(host.baseUri().resolve("/runtime/webhooks/eventgrid?functionName=" + functionName))
                .header("Content-Type", "application/json")
                .header("x-functions-key", SystemKeys.eventGrid(home))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (eventType != null) {
            request.header("aeg-event-type", eventType);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String eventGridEvent(String id) {
        return """
                {"id":"%s","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
                 "subject":"/blobServices/default/containers/models/blobs/readmission.zip",
                 "eventType":"Microsoft.Storage.BlobCreated","eventTime":"2026-03-01T10:00:00.1234567Z",
                 "data":{"api":"PutBlob","contentLength":12,"url":"https://z.blob.core.windows.net/models/readmission.zip"},
                 "dataVersion":"","metadataVersion":"1"}""".formatted(id);
    }

    private static String cloudEvent(String id) {
        return """
                {"specversion":"1.0","id":"%s","source":"/vigil","type":"Vigil.Model.Registered",
                 "subject":"/models/readmission/versions/3","time":"2026-03-01T10:00:00Z",
                 "datacontenttype":"application/json","data":{"model":"readmission","version":3}}""".formatted(id);
    }

    @Test
    void webhookDeliversASingleEventGridEvent() throws Exception {
        HttpResponse<String> response = webhook("RecordEvent", eventGridEvent("eg-1"), "Notification");

        assertThat(response.statusCode()).isEqualTo(202);
        List<String> calls = recorder.calls("RecordEvent");
        assertThat(calls).hasSize(1);
        assertThat(Json.mapper().readTree(calls.get(0))).isEqualTo(Json.mapper().readTree(eventGridEvent("eg-1")));
    }

    @Test
    void webhookInvokesTheFunctionOncePerEventOfABatch() throws Exception {
        String batch = "[" + eventGridEvent("eg-1") + "," + eventGridEvent("eg-2") + "," + eventGridEvent("eg-3") + "]";

        assertThat(webhook("RecordEvent", batch, "Notification").statusCode()).isEqualTo(202);

        assertThat(recorder.calls("RecordEvent")).extracting(e -> EventEnvelopes.parseSingle(e).id())
                .containsExactly("eg-1", "eg-2", "eg-3");
    }

    @Test
    void webhookAcceptsCloudEventsSingleAndBatched() throws Exception {
        assertThat(webhook("RecordEvent", cloudEvent("ce-1"), null).statusCode()).isEqualTo(202);
        assertThat(webhook("RecordEvent", "[" + cloudEvent("ce-2") + "," + cloudEvent("ce-3") + "]", null).statusCode())
                .isEqualTo(202);

        List<String> calls = recorder.calls("RecordEvent");
        assertThat(calls).extracting(e -> EventEnvelopes.parseSingle(e).id()).containsExactly("ce-1", "ce-2", "ce-3");
        assertThat(EventEnvelopes.parseSingle(calls.get(0)).data().get("version").asInt()).isEqualTo(3);
    }

    // Point 15: the handshake with the validation event exactly as Event Grid's documentation shows it ("subject": "").
    @Test
    void subscriptionValidationHandshakeEchoesTheCode() throws Exception {
        String validation = """
                [
                  {
                    "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
                    "topic": "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                    "subject": "",
                    "data": {
                      "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
                      "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/estest/validate?id=512d38b6-c7b8-40c8-89fe-f46f9e9622b6&t=2018-04-26T20:30:54.4538837Z&apiVersion=2018-05-01-preview&token=1A1A1A1A"
                    },
                    "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                    "eventTime": "2018-01-25T22:12:19.4556811Z",
                    "metadataVersion": "1",
                    "dataVersion": "1"
                  }
                ]""";

        HttpResponse<String> response = webhook("RecordEvent", validation, "SubscriptionValidation");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(response.body()))
                .isEqualTo(Json.mapper().readTree("{\"validationResponse\":\"512d38b6-c7b8-40c8-89fe-f46f9e9622b6\"}"));
        assertThat(recorder.calls("RecordEvent")).isEmpty();
    }

    @Test
    void cloudEventsAbuseProtectionAllowsTheOrigin() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(
                        host.baseUri().resolve("/runtime/webhooks/eventgrid?functionName=RecordEvent"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("WebHook-Request-Origin", "eventgrid.azure.net")
                .header("x-functions-key", SystemKeys.eventGrid(home))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("WebHook-Allowed-Origin")).contains("eventgrid.azure.net");

        // Not for a function that takes no events, nor for an origin that is not a host name (never echoed).
        Map<String, Integer> refused = Map.of("?functionName=NoSuchFunction|eventgrid.azure.net", 404,
                "?functionName=RecordEvent|evil.example<script>", 400, "|eventgrid.azure.net", 400);
        for (Map.Entry<String, Integer> c : refused.entrySet()) {
            String[] parts = c.getKey().split("\\|");
            HttpResponse<String> answer = CLIENT.send(HttpRequest.newBuilder(
                            host.baseUri().resolve("/runtime/webhooks/eventgrid" + parts[0]))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("WebHook-Request-Origin", parts[1])
                    .header("x-functions-key", SystemKeys.eventGrid(home))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(c.getKey()).isEqualTo(c.getValue());
            assertThat(answer.headers().firstValue("WebHook-Allowed-Origin")).as(c.getKey()).isEmpty();
            assertThat(answer.body()).as(c.getKey()).doesNotContain("<script>");
        }
        // A delivery in another charset or compressed is 415, as on the API routes.
        for (Map.Entry<String, String> h : Map.of("Content-Type", "application/json; charset=iso-8859-1",
                "Content-Encoding", "gzip").entrySet()) {
            HttpResponse<String> answer = CLIENT.send(HttpRequest.newBuilder(
                            host.baseUri().resolve("/runtime/webhooks/eventgrid?functionName=RecordEvent"))
                    .header(h.getKey(), h.getValue()).header("x-functions-key", SystemKeys.eventGrid(home))
                    .header("aeg-event-type", "Notification")
                    .POST(HttpRequest.BodyPublishers.ofString(eventGridEvent("charset"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(h.toString()).isEqualTo(415);
        }
        assertThat(recorder.calls("RecordEvent")).isEmpty();
    }

    // Point 11: like the Functions host, the webhook needs the eventgrid_extension system key.
    @Test
    void webhookRefusesDeliveriesWithoutTheSystemKey() throws Exception {
        String key = SystemKeys.eventGrid(home);
        for (String suffix : List.of("", "&code=", "&code=wrong", "&code=" + key.substring(1))) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(host.baseUri().resolve(
                            "/runtime/webhooks/eventgrid?functionName=RecordEvent" + suffix))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(eventGridEvent("nokey"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(suffix).isEqualTo(401);
            assertThat(Json.mapper().readTree(response.body()).at("/error/code").asText()).isEqualTo("UNAUTHENTICATED");
            // Refused before its body was read: the connection is not offered for reuse, or the client's next
            // request could go down a socket the server is closing.
            assertThat(response.headers().firstValue("Connection")).as(suffix).contains("close");
        }
        HttpResponse<String> withCode = CLIENT.send(HttpRequest.newBuilder(host.baseUri().resolve(
                        "/runtime/webhooks/eventgrid?functionName=RecordEvent&code=" + key))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(eventGridEvent("withkey"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(withCode.statusCode()).isEqualTo(202);
        assertThat(recorder.calls("RecordEvent")).hasSize(1);
        if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(
                    home.resolve("host-keys/eventgrid_extension.key")))).isEqualTo("rw-------");
        }
    }

    @Test
    void webhookRefusesUnknownFunctionsAndMalformedPayloads() throws Exception {
        HttpResponse<String> unknown = webhook("NoSuchFunction", eventGridEvent("x"), "Notification");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Json.mapper().readTree(unknown.body()).at("/error/code").asText()).isEqualTo("NOT_FOUND");

        HttpResponse<String> notJson = webhook("RecordEvent", "{\"id\": ", "Notification");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(Json.mapper().readTree(notJson.body()).at("/error/code").asText()).isEqualTo("MALFORMED_JSON");

        HttpResponse<String> notAnEvent = webhook("RecordEvent", "{\"hello\":\"world\"}", "Notification");
        assertThat(notAnEvent.statusCode()).isEqualTo(400);
        assertThat(notAnEvent.body()).contains("neither a CloudEvents 1.0 event");

        // One bad event in a batch: nothing is delivered, so a retry of the fixed batch is not a duplicate.
        String halfBad = "[" + eventGridEvent("ok-1") + ",{\"eventType\":\"X\",\"id\":\"2\"}]";
        assertThat(webhook("RecordEvent", halfBad, "Notification").statusCode()).isEqualTo(400);
        assertThat(recorder.calls("RecordEvent")).isEmpty();
    }

    @Test
    void anEventTheFunctionRefusesCostsTheOthersOfItsDeliveryNothing() throws Exception {
        String outside = eventGridEvent("eg-outside").replace("/blobServices/default/containers/models/blobs/",
                "/somewhere/else/");
        String batch = "[" + outside + "," + eventGridEvent("eg-good") + "]";

        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(HttpFunctionHandler.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Level level = log.getLevel();
        log.setLevel(java.util.logging.Level.INFO);
        log.addHandler(capture);
        HttpResponse<String> response;
        try {
            response = webhook("OnBlobCreated", batch, "Notification");
        } finally {
            log.removeHandler(capture);
            log.setLevel(level);
        }

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("event 1 of 2 was refused (the others were handled)");
        assertThat(recorder.calls("OnBlobCreated")).extracting(e -> EventEnvelopes.parseSingle(e).id())
                .containsExactly("eg-good");
        // The sender's mistake, not a failure of Vigil's: logged at INFO with its code, nothing at WARNING or above.
        assertThat(logged).extracting(java.util.logging.LogRecord::getLevel)
                .containsExactly(java.util.logging.Level.INFO);
        assertThat(logged.get(0).getMessage()).contains("OnBlobCreated refused its event").endsWith("INVALID_REQUEST")
                .doesNotContain("failed");
    }

    @Test
    void aDeliveryThatIsNotJsonIs415AndNothingIsDelivered() throws Exception {
        for (String type : new String[] {"text/plain", "application/xml", "application/x-www-form-urlencoded"}) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(host.baseUri()
                    .resolve("/runtime/webhooks/eventgrid?functionName=RecordEvent"))
                    .header("Content-Type", type).header("x-functions-key", SystemKeys.eventGrid(home))
                    .header("aeg-event-type", "Notification")
                    .POST(HttpRequest.BodyPublishers.ofString(eventGridEvent("typed"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(type).isEqualTo(415);
        }
        assertThat(recorder.calls("RecordEvent")).isEmpty();
        // What Event Grid sends, with parameters and in any case, is taken.
        for (String type : new String[] {"application/json; charset=utf-8", "Application/CloudEvents+JSON",
                "application/cloudevents-batch+json"}) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(host.baseUri()
                    .resolve("/runtime/webhooks/eventgrid?functionName=RecordEvent"))
                    .header("Content-Type", type).header("x-functions-key", SystemKeys.eventGrid(home))
                    .POST(HttpRequest.BodyPublishers.ofString(cloudEvent("typed-" + type.length()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(type).isEqualTo(202);
        }
    }

    @Test
    void anUnknownFunctionNameIsNotRepeatedUnlessItIsAPlainName() throws Exception {
        HttpResponse<String> forged = webhook("%0D%0AFAKE%20LOG%20LINE%1B%5B31m", eventGridEvent("x"), "Notification");
        assertThat(forged.statusCode()).isEqualTo(404);
        assertThat(forged.body()).doesNotContain("FAKE").contains("not repeated here");
        assertThat(webhook("NoSuchFunction", eventGridEvent("x"), "Notification").body()).contains("'NoSuchFunction'");
    }

    @Test
    void webhookAnswers500WhenTheFunctionFailsSoTheSenderRetries() throws Exception {
        HttpResponse<String> response = webhook("AlwaysFails", cloudEvent("ce-f"), null);

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).doesNotContain("secret patient detail");
    }

    @Test
    void publishedVigilEventsReachSubscribersAsCloudEvents() throws Exception {
        VigilEvent event = VigilEvent.of(EventTypes.MODEL_REGISTERED, "/models/readmission/versions/4",
                Instant.parse("2026-03-01T10:00:00Z"), Map.of("model", "readmission", "version", 4));
        VigilEvent otherSubject = VigilEvent.of(EventTypes.MODEL_REGISTERED, "/datasets/abc",
                Instant.parse("2026-03-01T10:00:00Z"), Map.of());

        host.eventPublisher().publish(event);
        host.eventPublisher().publish(otherSubject);

        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        List<String> calls = recorder.calls("RecordEvent");
        assertThat(calls).hasSize(1);
        JsonNode delivered = Json.mapper().readTree(calls.get(0));
        assertThat(delivered.get("specversion").asText()).isEqualTo("1.0");
        assertThat(delivered.get("id").asText()).isEqualTo(event.id());
        assertThat(delivered.get("type").asText()).isEqualTo(EventTypes.MODEL_REGISTERED);
        assertThat(delivered.get("source").asText()).isEqualTo("/vigil");
        assertThat(delivered.get("time").asText()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(delivered.at("/data/version").asInt()).isEqualTo(4);
    }

    @Test
    void aHandlerThatFailsTwiceIsRetriedUntilItSucceeds() throws Exception {
        VigilEvent event = VigilEvent.of(EventTypes.GATES_PASSED, "/models/m/versions/1", Instant.now(), Map.of());

        host.eventPublisher().publish(event);

        assertThat(recorder.await("FlakyHandler", 1, WAIT)).hasSize(1);
        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        assertThat(recorder.attempt("FlakyHandler/" + event.id())).isEqualTo(4); // three deliveries + this probe
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void anEventThatNeverSucceedsEndsInTheDeadLetterFolder() throws Exception {
        VigilEvent event = VigilEvent.of(EventTypes.GATES_FAILED, "/models/m/versions/2", Instant.now(), Map.of("model", "m"));

        host.eventPublisher().publish(event);

        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        List<Path> files = deadLetters();
        assertThat(files).hasSize(1);
        assertThat(files.get(0).getFileName().toString()).isEqualTo("always-fails-" + event.id() + ".json");
        String text = Files.readString(files.get(0));
        JsonNode record = Json.mapper().readTree(text);
        assertThat(record.get("deadLetterReason").asText()).isEqualTo("MaxDeliveryAttemptsExceeded");
        assertThat(record.get("deliveryAttempts").asInt()).isEqualTo(4);
        assertThat(record.get("lastErrorCode").asText()).isEqualTo("INTERNAL");
        assertThat(record.get("lastErrorType").asText()).isEqualTo("IllegalArgumentException");
        assertThat(record.get("function").asText()).isEqualTo("AlwaysFails");
        assertThat(record.at("/event/id").asText()).isEqualTo(event.id());
        assertThat(text).doesNotContain("secret patient detail").doesNotContain("at health.vigil");
        assertThat(recorder.attempt("AlwaysFails/" + event.id())).isEqualTo(5);
    }

    // Point 6: a restart raises only what is new or changed, not every file already decided.
    @Test
    void aRestartDoesNotRaiseFilesAlreadyRaised() throws Exception {
        Path drop = host.dropFolder();
        Files.write(drop.resolve("decided.zip"), "first".getBytes(StandardCharsets.UTF_8));
        recorder.await("OnBlobCreated", 1, WAIT);
        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        host.close();

        Files.write(drop.resolve("arrived-while-down.zip"), "second".getBytes(StandardCharsets.UTF_8));
        host = LocalHost.builder().home(home).port(0).packages("health.vigil.functions.testing.events")
                .instanceInjector(new TestInjector(recorder)).subscriptions(subscriptions)
                .dropFolderInterval(Duration.ofMillis(50)).build().start();
        recorder.await("OnBlobCreated", 2, WAIT);
        Thread.sleep(500); // ten scans: time enough to raise the decided file again, were it to be
        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        assertThat(recorder.calls("OnBlobCreated")).extracting(e -> EventEnvelopes.parseSingle(e).subject())
                .containsExactly("/blobServices/default/containers/models/blobs/decided.zip",
                        "/blobServices/default/containers/models/blobs/arrived-while-down.zip");
    }

    @Test
    void aCompleteFileInTheDropFolderRaisesBlobCreatedInTheExactEventGridSchema() throws Exception {
        Path drop = host.dropFolder();
        byte[] content = "a model package".getBytes(StandardCharsets.UTF_8);
        Files.write(drop.resolve(".readmission-7.zip.uploading"), content);
        Files.createDirectories(drop.resolve("team-a"));
        Files.write(drop.resolve("team-a/.hidden.zip"), content);
        Files.move(drop.resolve(".readmission-7.zip.uploading"), drop.resolve("readmission 7.zip"));

        List<String> calls = recorder.await("OnBlobCreated", 1, WAIT);
        assertThat(host.eventBus().awaitIdle(WAIT)).isTrue();
        assertThat(recorder.calls("OnBlobCreated")).hasSize(1);

        JsonNode event = Json.mapper().readTree(calls.get(0));
        assertThat(fieldNames(event)).containsExactlyInAnyOrder(
                "topic", "subject", "eventType", "eventTime", "id", "data", "dataVersion", "metadataVersion");
        assertThat(event.get("topic").asText()).isEqualTo("/subscriptions/00000000-0000-0000-0000-000000000000"
                + "/resourceGroups/vigil-local/providers/Microsoft.Storage/storageAccounts/vigillocal");
        assertThat(event.get("subject").asText()).isEqualTo("/blobServices/default/containers/models/blobs/readmission 7.zip");
        assertThat(event.get("eventType").asText()).isEqualTo("Microsoft.Storage.BlobCreated");
        assertThat(Instant.parse(event.get("eventTime").asText())).isNotNull();
        assertThat(event.get("id").asText()).matches(UUID_PATTERN);
        assertThat(event.get("dataVersion").asText()).isEmpty();
        assertThat(event.get("metadataVersion").asText()).isEqualTo("1");

        JsonNode data = event.get("data");
        assertThat(fieldNames(data)).containsExactlyInAnyOrder("api", "clientRequestId", "requestId", "eTag", "contentType",
                "contentLength", "blobType", "url", "sequencer", "storageDiagnostics");
        assertThat(data.get("api").asText()).isEqualTo("PutBlob");
        assertThat(data.get("clientRequestId").asText()).matches(UUID_PATTERN);
        assertThat(data.get("requestId").asText()).matches(UUID_PATTERN);
        assertThat(data.get("eTag").asText()).matches("0x[0-9A-F]{15,16}");
        assertThat(data.get("contentType").asText()).isEqualTo("application/zip");
        assertThat(data.get("contentLength").isIntegralNumber()).isTrue();
        assertThat(data.get("contentLength").asLong()).isEqualTo(content.length);
        assertThat(data.get("blobType").asText()).isEqualTo("BlockBlob");
        assertThat(data.get("url").asText()).isEqualTo("https://vigillocal.blob.core.windows.net/models/readmission%207.zip");
        assertThat(data.get("sequencer").asText()).matches("[0-9A-F]{32}");
        assertThat(data.at("/storageDiagnostics/batchId").asText()).matches(UUID_PATTERN);

        BlobCreated blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(calls.get(0)));
        assertThat(blob.container()).isEqualTo("models");
        assertThat(blob.blobName()).isEqualTo("readmission 7.zip");
        assertThat(blob.contentLength()).isEqualTo(content.length);
    }

    @Test
    void filesInSubfoldersBecomeBlobsWithSlashedNames() throws Exception {
        Path folder = Files.createDirectories(host.dropFolder().resolve("adherence"));
        Files.write(folder.resolve("v2.zip"), new byte[] {1, 2, 3});

        List<String> calls = recorder.await("OnBlobCreated", 1, WAIT);

        assertThat(calls).hasSize(1);
        assertThat(EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(calls.get(0))).blobName()).isEqualTo("adherence/v2.zip");
    }

    private List<Path> deadLetters() throws Exception {
        Path folder = home.resolve("deadletter");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.toString().endsWith(".json")).toList();
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

}

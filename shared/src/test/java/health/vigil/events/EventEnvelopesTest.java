package health.vigil.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelVersion;
import health.vigil.json.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EventEnvelopesTest {
    // The sample BlobCreated event from the Azure Blob Storage Event Grid documentation, in Event Grid schema.
    private static final String BLOB_CREATED = """
            {
              "topic": "/subscriptions/0000/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/acct",
              "subject": "/blobServices/default/containers/models/blobs/team/readmission-3.zip",
              "eventType": "Microsoft.Storage.BlobCreated",
              "eventTime": "2017-06-26T18:41:00.9584103Z",
              "id": "831e1650-001e-001b-66ab-eeb76e069631",
              "data": {
                "api": "PutBlockList",
                "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
                "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
                "eTag": "0x8D4BCC2E4835CD0",
                "contentType": "application/zip",
                "contentLength": 524288,
                "blobType": "BlockBlob",
                "url": "https://acct.blob.core.windows.net/models/team/readmission-3.zip",
                "sequencer": "00000000000004420000000000028963",
                "storageDiagnostics": { "batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0" }
              },
              "dataVersion": "",
              "metadataVersion": "1"
            }""";

    private static final String CLOUD_EVENT = """
            {"specversion":"1.0","id":"e-1","source":"/vigil","type":"Vigil.Model.Registered",
             "subject":"/models/readmission/versions/3","time":"2026-03-01T10:00:00+01:00",
             "datacontenttype":"application/json","data":{"model":"readmission","version":3}}""";

    @Test
    void readsAnEventGridSchemaEvent() {
        EventEnvelope e = EventEnvelopes.parseSingle(BLOB_CREATED);

        assertThat(e.schema()).isEqualTo(EventEnvelope.Schema.EVENT_GRID);
        assertThat(e.id()).isEqualTo("831e1650-001e-001b-66ab-eeb76e069631");
        assertThat(e.type()).isEqualTo(EventTypes.BLOB_CREATED);
        assertThat(e.source()).endsWith("/storageAccounts/acct");
        assertThat(e.time()).isEqualTo(Instant.parse("2017-06-26T18:41:00.958410300Z"));
        assertThat(e.data().get("contentLength").asLong()).isEqualTo(524288);
    }

    @Test
    void readsACloudEventAndNormalisesItsTimeToUtc() {
        EventEnvelope e = EventEnvelopes.parseSingle(CLOUD_EVENT);

        assertThat(e.schema()).isEqualTo(EventEnvelope.Schema.CLOUD_EVENTS);
        assertThat(e.source()).isEqualTo("/vigil");
        assertThat(e.subject()).isEqualTo("/models/readmission/versions/3");
        assertThat(e.time()).isEqualTo(Instant.parse("2026-03-01T09:00:00Z"));
        assertThat(e.data().get("version").asInt()).isEqualTo(3);
    }

    @Test
    void readsArraysOfEitherSchema() {
        assertThat(EventEnvelopes.parse("[" + BLOB_CREATED + "," + BLOB_CREATED.replace("831e1650-001e", "xxx") + "]"))
                .hasSize(2).allMatch(e -> e.schema() == EventEnvelope.Schema.EVENT_GRID);
        assertThat(EventEnvelopes.parse("[" + CLOUD_EVENT + "]")).singleElement()
                .extracting(EventEnvelope::type).isEqualTo("Vigil.Model.Registered");
    }

    @Test
    void binaryCloudEventDataIsDecoded() throws Exception {
        EventEnvelope e = EventEnvelopes.parseSingle("""
                {"specversion":"1.0","id":"b","source":"/s","type":"t","data_base64":"AQID"}""");

        assertThat(e.data().isBinary()).isTrue();
        assertThat(e.data().binaryValue()).containsExactly(1, 2, 3);
        assertThat(e.time()).isNull();
    }

    @Test
    void anythingElseIsAClearValidationError() {
        assertThatThrownBy(() -> EventEnvelopes.parse("\"text\"")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("is a string");
        assertThatThrownBy(() -> EventEnvelopes.parse("[]")).hasMessageContaining("empty");
        assertThatThrownBy(() -> EventEnvelopes.parse("[1]")).hasMessageContaining("element 1 of the event array is a number");
        assertThatThrownBy(() -> EventEnvelopes.parse("{\"id\":\"1\"}")).hasMessageContaining("neither a CloudEvents 1.0 event");
        assertThatThrownBy(() -> EventEnvelopes.parse("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}"))
                .hasMessageContaining("only CloudEvents 1.0");
        assertThatThrownBy(() -> EventEnvelopes.parse(BLOB_CREATED.replace("\"eventTime\"", "\"eventTimeX\"")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("has no `eventTime`");
        assertThatThrownBy(() -> EventEnvelopes.parse(BLOB_CREATED.replace("2017-06-26T18:41:00.9584103Z", "yesterday")))
                .hasMessageContaining("not an RFC 3339 timestamp")
                .hasMessageNotContaining("yesterday");
        assertThatThrownBy(() -> EventEnvelopes.parse("[" + BLOB_CREATED + "," + CLOUD_EVENT + "]"))
                .hasMessageContaining("mixes");
        assertThatThrownBy(() -> EventEnvelopes.parseSingle("[" + CLOUD_EVENT + "," + CLOUD_EVENT + "]"))
                .hasMessageContaining("exactly one event");
        assertThatThrownBy(() -> EventEnvelopes.parse("{\"id\": "))
                .isInstanceOf(ValidationException.class)
                .satisfies(e -> assertThat(((ValidationException) e).code()).isEqualTo(ErrorCode.MALFORMED_JSON));
    }

    @Test
    void anEventIdThatCouldForgeLogLinesIsRefused() {
        String id = Json.readTree("e", BLOB_CREATED.getBytes(java.nio.charset.StandardCharsets.UTF_8)).path("id").asText();
        for (String forged : new String[] {"x\\u0000\\n\\u001b[31m", "a\\r\\nINFO: forged", "x".repeat(257),
                "z\\ud800", "z\\udc00", "evil\\u202etxt.exe"}) {
            assertThatThrownBy(() -> EventEnvelopes.parse(BLOB_CREATED.replace("\"" + id + "\"", "\"" + forged + "\"")))
                    .as(forged).isInstanceOf(ValidationException.class).hasMessageContaining("control characters");
        }
    }

    @Test
    void blobCreatedTakesContainerAndNameFromTheSubject() {
        BlobCreated blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(BLOB_CREATED));

        assertThat(blob).isEqualTo(new BlobCreated("831e1650-001e-001b-66ab-eeb76e069631", "models", "team/readmission-3.zip",
                "https://acct.blob.core.windows.net/models/team/readmission-3.zip", 524288, "0x8D4BCC2E4835CD0"));
    }

    @Test
    void blobCreatedRefusesOtherEventsAndSubjects() {
        assertThatThrownBy(() -> EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(CLOUD_EVENT)))
                .hasMessageContaining("not a Microsoft.Storage.BlobCreated event");
        assertThatThrownBy(() -> EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(
                BLOB_CREATED.replace("/blobServices/default/containers/models/blobs/", "/somewhere/else/"))))
                .hasMessageContaining("/blobServices/default/containers/{container}/blobs/{name}");
        assertThatThrownBy(() -> EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(
                BLOB_CREATED.replace("\"contentLength\": 524288", "\"contentLength\": -1"))))
                .hasMessageContaining("contentLength");
    }

    @Test
    void vigilEventsRoundTripThroughTheirCloudEventForm() {
        VigilEvent event = new VigilEvent("id-9", EventTypes.GATES_PASSED, VigilEvent.SOURCE, "/models/m/versions/2",
                Instant.parse("2026-03-01T10:00:00Z"), Map.of("model", "m", "version", 2, "checks", List.of("auc")));

        ObjectNode json = EventEnvelopes.cloudEvent(event);
        VigilEvent back = EventEnvelopes.vigilEvent(EventEnvelopes.parseSingle(json.toString()));

        assertThat(json.get("specversion").asText()).isEqualTo("1.0");
        assertThat(json.get("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(back).isEqualTo(event);
    }

    @Test
    void eventGridEventsConvertToCloudEventsAsEventGridDoes() {
        ObjectNode converted = EventEnvelopes.toCloudEvent(EventEnvelopes.parseSingle(BLOB_CREATED));
        JsonNode original = Json.readTree("sample", BLOB_CREATED.getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertThat(converted.get("source")).isEqualTo(original.get("topic"));
        assertThat(converted.get("type")).isEqualTo(original.get("eventType"));
        assertThat(converted.get("subject")).isEqualTo(original.get("subject"));
        assertThat(converted.get("id")).isEqualTo(original.get("id"));
        assertThat(converted.get("data")).isEqualTo(original.get("data"));
        assertThat(EventEnvelopes.parseSingle(converted.toString()).schema()).isEqualTo(EventEnvelope.Schema.CLOUD_EVENTS);
    }

    // Point 15: Event Grid's validation event carries "subject": "", which a webhook must accept.
    @Test
    void readsEventGridsDocumentedSubscriptionValidationEvent() throws Exception {
        List<EventEnvelope> events = EventEnvelopes.parse(documented("subscription-validation.eventgrid.json"));
        assertThat(events).hasSize(1);
        EventEnvelope validation = events.get(0);
        assertThat(validation.type()).isEqualTo("Microsoft.EventGrid.SubscriptionValidationEvent");
        assertThat(validation.subject()).isEmpty();
        assertThat(validation.schema()).isEqualTo(EventEnvelope.Schema.EVENT_GRID);
        assertThat(validation.data().get("validationCode").asText()).isEqualTo("512d38b6-c7b8-40c8-89fe-f46f9e9622b6");
    }

    @Test
    void readsTheDocumentedBlobCreatedEventInBothSchemas() throws Exception {
        for (String file : List.of("blob-created.eventgrid.json", "blob-created.cloudevents.json")) {
            BlobCreated blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(documented(file)));
            assertThat(blob.container()).as(file).isEqualTo("test-container");
            assertThat(blob.blobName()).as(file).isEqualTo("new-file.txt");
            assertThat(blob.contentLength()).as(file).isEqualTo(524288);
            assertThat(blob.eventId()).as(file).isEqualTo("831e1650-001e-001b-66ab-eeb76e069631");
        }
        EventEnvelope cloud = EventEnvelopes.parseSingle(documented("blob-created.cloudevents.json"));
        assertThat(cloud.schema()).isEqualTo(EventEnvelope.Schema.CLOUD_EVENTS);
        assertThat(cloud.time()).isEqualTo(Instant.parse("2017-06-26T18:41:00.9584103Z"));
    }

    @Test
    void anEventGridSubjectMustStillBeAString() {
        String event = "{\"id\":\"1\",\"eventType\":\"x\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"subject\":3}";
        assertThatThrownBy(() -> EventEnvelopes.parse(event)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("`subject`");
    }

    @Test
    void aHandlerTakesOnlyItsSubscribedTypesWithTheDataItReads() {
        EventEnvelope registered = EventEnvelopes.parseSingle(CLOUD_EVENT);
        JsonNode data = EventEnvelopes.requireData(registered, "EvaluateGates", Set.of(EventTypes.MODEL_REGISTERED),
                List.of("model"), List.of("version"));
        assertThat(data.get("version").asInt()).isEqualTo(3);

        // Another type: the subscription is wired wrong, which is refused rather than passed over.
        assertThatThrownBy(() -> EventEnvelopes.requireData(registered, "AdvanceCanary",
                Set.of(EventTypes.CANARY_STEPPED, EventTypes.CANARY_STARTED), List.of("model"), List.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessage("AdvanceCanary handles Vigil.Canary.Started and Vigil.Canary.Stepped events only and this"
                        + " one has another type; check the event subscription's filter");

        // Each missing or mistyped field is named, never its value.
        for (String badData : List.of("{}", "{\"model\":\"\",\"version\":3}", "{\"model\":7,\"version\":3}",
                "{\"model\":\"readmission\",\"version\":\"3\"}", "{\"model\":\"readmission\",\"version\":3.5}",
                "{\"model\":\"readmission\",\"version\":99999999999}", "[1]")) {
            EventEnvelope bad = EventEnvelopes.parseSingle(CLOUD_EVENT.replace("{\"model\":\"readmission\",\"version\":3}",
                    badData));
            assertThatThrownBy(() -> EventEnvelopes.requireData(bad, "EvaluateGates",
                    Set.of(EventTypes.MODEL_REGISTERED), List.of("model"), List.of("version")))
                    .as(badData).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("a Vigil.Model.Registered event for EvaluateGates needs '")
                    .hasMessageEndingWith(" in its data")
                    .hasMessageNotContaining("99999999999");
        }
    }

    @Test
    void anEventWhoseSubjectNamesAnotherVersionThanItsDataIsRefusedNamingBoth() {
        ModelVersion three = ModelVersion.of("readmission", 3);
        assertThat(EventEnvelopes.requireSubjectNames(EventEnvelopes.parseSingle(CLOUD_EVENT), "EvaluateGates", three))
                .isEqualTo(three);
        // Without a subject there is nothing to disagree with: the data says which version.
        assertThat(EventEnvelopes.requireSubjectNames(EventEnvelopes.parseSingle(CLOUD_EVENT.replace(
                "\"subject\":\"/models/readmission/versions/3\",", "")), "EvaluateGates", three)).isEqualTo(three);

        for (String subject : List.of("/models/readmission/versions/2", "/models/sepsis-risk/versions/3")) {
            EventEnvelope other = EventEnvelopes.parseSingle(CLOUD_EVENT.replace("/models/readmission/versions/3", subject));
            String named = subject.replace("/models/", "").replace("/versions/", " version ");
            assertThatThrownBy(() -> EventEnvelopes.requireSubjectNames(other, "EvaluateGates", three))
                    .as(subject).isInstanceOfSatisfying(ValidationException.class,
                            e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                    .hasMessage("the Vigil.Model.Registered event's subject names " + named + " but its data names"
                            + " readmission version 3; EvaluateGates did nothing: send the event with the same model"
                            + " and version in its subject (/models/{model}/versions/{version}) and its data");
        }
        // A subject that does not read as a model version is described, never repeated: it is the sender's text.
        for (String subject : List.of("/models/readmission", "/models/MRN-0012345 Jane/versions/3",
                "/models/readmission/versions/3/extra", "/models/readmission/versions/03")) {
            EventEnvelope odd = EventEnvelopes.parseSingle(CLOUD_EVENT.replace("/models/readmission/versions/3", subject));
            assertThatThrownBy(() -> EventEnvelopes.requireSubjectNames(odd, "EvaluateGates", three))
                    .as(subject).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("the Vigil.Model.Registered event's subject is not of the form"
                            + " /models/{model}/versions/{version} (it is not repeated here) but its data names"
                            + " readmission version 3;")
                    .hasMessageNotContaining("MRN").hasMessageNotContaining("extra");
        }
    }

    /** A sample payload exactly as Event Grid's documentation prints it. */
    static String documented(String file) throws java.io.IOException {
        try (var in = EventEnvelopesTest.class.getResourceAsStream("/eventgrid/" + file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}

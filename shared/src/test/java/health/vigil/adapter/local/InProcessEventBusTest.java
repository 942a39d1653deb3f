package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.EventBusSubscription.DeliverySchema;
import health.vigil.error.ValidationException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InProcessEventBusTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final EventBusSettings FAST = EventBusSettings.DEFAULTS.withRetries(3, Duration.ofMillis(5), Duration.ofMillis(20));

    @TempDir
    Path home;

    private final List<String> delivered = Collections.synchronizedList(new ArrayList<>());

    private static EventBusSubscription sub(String name, String function, DeliverySchema schema, String prefix, String... types) {
        return new EventBusSubscription(name, function, "control", List.of(types), prefix, schema);
    }

    private static VigilEvent event(String type, String subject) {
        return VigilEvent.of(type, subject, Instant.parse("2026-03-01T10:00:00Z"), Map.of("model", "m"));
    }

    private static JsonNode storageEvent(String subject) {
        return Json.readTree("event", ("""
                {"id":"s-1","topic":"/subscriptions/0/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
                 "subject":"%s","eventType":"Microsoft.Storage.BlobCreated","eventTime":"2026-03-01T10:00:00Z",
                 "data":{"contentLength":3},"dataVersion":"","metadataVersion":"1"}""").formatted(subject)
                .getBytes(StandardCharsets.UTF_8));
    }

    private List<Path> deadLetters() throws Exception {
        Path folder = home.resolve("deadletter");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (var files = Files.list(folder)) {
            return files.filter(p -> p.toString().endsWith(".json")).toList();
        }
    }

    @Test
    void deliversToEverySubscriptionWhoseTypeAndSubjectMatch() throws Exception {
        List<EventBusSubscription> subs = List.of(
                sub("all-registered", "A", DeliverySchema.CLOUD_EVENTS, null, EventTypes.MODEL_REGISTERED),
                sub("readmission-only", "B", DeliverySchema.CLOUD_EVENTS, "/MODELS/readmission/", EventTypes.MODEL_REGISTERED),
                sub("gates", "C", DeliverySchema.CLOUD_EVENTS, null, EventTypes.GATES_PASSED));
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> delivered.add(f), home.resolve("deadletter"),
                Clock.systemUTC())) {
            bus.start();

            bus.publish(event(EventTypes.MODEL_REGISTERED, "/models/readmission/versions/1"));
            bus.publish(event(EventTypes.MODEL_REGISTERED, "/models/adherence/versions/1"));

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            assertThat(delivered).containsExactlyInAnyOrder("A", "B", "A");
        }
    }

    @Test
    void storageEventsKeepTheirSchemaOrAreConvertedPerSubscription() throws Exception {
        List<String> bodies = Collections.synchronizedList(new ArrayList<>());
        List<EventBusSubscription> subs = List.of(
                sub("as-event-grid", "EG", DeliverySchema.EVENT_GRID, "/blobServices/default/containers/models/", EventTypes.BLOB_CREATED),
                sub("as-cloud-events", "CE", DeliverySchema.CLOUD_EVENTS, null, EventTypes.BLOB_CREATED));
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> bodies.add(f + " " + json),
                home.resolve("deadletter"), Clock.systemUTC())) {
            bus.start();

            bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/models/blobs/x.zip"));
            bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/datasets/blobs/y.csv"));

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            assertThat(bodies).hasSize(3);
            assertThat(bodies.stream().filter(b -> b.startsWith("EG ")).toList()).singleElement()
                    .satisfies(b -> assertThat(Json.mapper().readTree(b.substring(3)))
                            .isEqualTo(storageEvent("/blobServices/default/containers/models/blobs/x.zip")));
            assertThat(bodies.stream().filter(b -> b.startsWith("CE ")).toList()).hasSize(2)
                    .allSatisfy(b -> assertThat(Json.mapper().readTree(b.substring(3)).get("specversion").asText()).isEqualTo("1.0"));
        }
    }

    @Test
    void eventsPublishedBeforeStartWaitForIt() throws Exception {
        List<EventBusSubscription> subs = List.of(sub("first", "A", DeliverySchema.CLOUD_EVENTS, null, EventTypes.MODEL_APPROVED));
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> delivered.add(f), home.resolve("deadletter"),
                Clock.systemUTC())) {
            bus.publish(event(EventTypes.MODEL_APPROVED, "/models/m/versions/1"));

            assertThat(bus.awaitIdle(Duration.ofMillis(50))).isFalse();
            assertThat(bus.pendingDeliveries()).isEqualTo(1);
            assertThat(delivered).isEmpty();

            bus.start();

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            assertThat(delivered).containsExactly("A");
        }
    }

    @Test
    void retriesBackOffExponentiallyUpToTheCap() {
        EventBusSettings settings = EventBusSettings.DEFAULTS.withRetries(10, Duration.ofMillis(10), Duration.ofMillis(45));

        assertThat(List.of(settings.retryDelay(1), settings.retryDelay(2), settings.retryDelay(3), settings.retryDelay(4),
                settings.retryDelay(9))).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40),
                Duration.ofMillis(45), Duration.ofMillis(45));
    }

    @Test
    void aDeliveryThatWouldOutliveItsTimeToLiveIsDeadLettered() throws Exception {
        // A frozen clock: the next attempt (1 s away) always lies past the 50 ms time to live.
        Clock frozen = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
        EventBusSettings settings = EventBusSettings.DEFAULTS.withRetries(10, Duration.ofSeconds(1), Duration.ofSeconds(1))
                .withEventTimeToLive(Duration.ofMillis(50));
        List<EventBusSubscription> subs = List.of(sub("ttl", "F", DeliverySchema.CLOUD_EVENTS, null, EventTypes.DRIFT_DETECTED));
        try (InProcessEventBus bus = new InProcessEventBus(subs, settings, (f, json) -> {
            // A failure that is tried again (a store that is down), as the time to live is what this is about.
            throw new health.vigil.error.StoreException("not today", null);
        }, home.resolve("deadletter"), frozen)) {
            bus.start();
            VigilEvent e = event(EventTypes.DRIFT_DETECTED, "/models/m/versions/1");
            bus.publish(e);

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            JsonNode record = Json.mapper().readTree(Files.readString(deadLetters().get(0)));
            assertThat(record.get("deadLetterReason").asText()).isEqualTo("TimeToLiveExceeded");
            assertThat(record.get("deliveryAttempts").asInt()).isEqualTo(1);
            assertThat(record.get("lastErrorCode").asText()).isEqualTo("STORE_UNAVAILABLE");
            assertThat(record.get("publishTime").asText()).isEqualTo("2026-03-01T10:00:00Z");
            assertThat(record.toString()).doesNotContain("not today");
        }
    }

    @Test
    void anEventItsFunctionRefusesIsDeadLetteredAtOnceAsEventGridDoesAndOthersAreTriedAgain() throws Exception {
        java.util.concurrent.atomic.AtomicInteger refusedAttempts = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger notFoundAttempts = new java.util.concurrent.atomic.AtomicInteger();
        List<EventBusSubscription> subs = List.of(sub("refuses", "R", DeliverySchema.CLOUD_EVENTS, null,
                EventTypes.DRIFT_DETECTED), sub("not-yet", "N", DeliverySchema.CLOUD_EVENTS, null, EventTypes.DRIFT_DETECTED));
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> {
            if (f.equals("R")) {
                refusedAttempts.incrementAndGet();
                throw new ValidationException("the event's subject does not have the form ...");
            }
            // 404 is delivered again by Event Grid (the resource may appear), and so here.
            notFoundAttempts.incrementAndGet();
            throw new health.vigil.error.NotFoundException(health.vigil.error.ErrorCode.MODEL_NOT_FOUND, "not yet");
        }, home.resolve("deadletter"), Clock.systemUTC())) {
            bus.start();
            bus.publish(event(EventTypes.DRIFT_DETECTED, "/models/m/versions/1"));

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            assertThat(refusedAttempts).hasValue(1);
            assertThat(notFoundAttempts).hasValue(3);
            List<String> reasons = new ArrayList<>();
            for (Path p : deadLetters()) {
                JsonNode record = Json.mapper().readTree(Files.readString(p));
                reasons.add(record.get("function").asText() + " " + record.get("deadLetterReason").asText() + " "
                        + record.get("deliveryAttempts").asInt() + " " + record.get("lastErrorCode").asText());
            }
            assertThat(reasons).containsExactlyInAnyOrder("R RefusedByFunction 1 INVALID_REQUEST",
                    "N MaxDeliveryAttemptsExceeded 3 MODEL_NOT_FOUND");
        }
    }

    /**
     * Two refused events whose ids differ only in a character a file name cannot hold, and one whose id is as long as
     * an id may be, are each kept in a file of their own. Before, {@code a:b} and {@code a/b} shared one file (the
     * second replaced the first, which was lost) and a 256-character id made a name the file system refused.
     */
    @Test
    void everyDeadLetteredEventHasAFileOfItsOwnWhateverItsId() throws Exception {
        List<EventBusSubscription> subs = List.of(sub("refuses", "R", DeliverySchema.EVENT_GRID, null,
                EventTypes.BLOB_CREATED));
        List<String> ids = List.of("a:b", "a/b", "x".repeat(256));
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> {
            throw new ValidationException("this function does not take the event");
        }, home.resolve("deadletter"), Clock.systemUTC())) {
            bus.start();
            for (String id : ids) {
                com.fasterxml.jackson.databind.node.ObjectNode event =
                        (com.fasterxml.jackson.databind.node.ObjectNode) storageEvent(
                                "/blobServices/default/containers/models/blobs/x.zip");
                event.put("id", id);
                bus.publishEventGridEvent(event);
            }

            assertThat(bus.awaitIdle(WAIT)).isTrue();
            List<String> kept = new ArrayList<>();
            for (Path p : deadLetters()) {
                kept.add(Json.mapper().readTree(Files.readString(p)).path("event").path("id").asText());
            }
            assertThat(kept).containsExactlyInAnyOrderElementsOf(ids);
        }
        assertThat(InProcessEventBus.fileName("refuses", "event-1")).isEqualTo("refuses-event-1.json");
        assertThat(InProcessEventBus.fileName("refuses", "a:b"))
                .isNotEqualTo(InProcessEventBus.fileName("refuses", "a/b"))
                .isEqualTo(InProcessEventBus.fileName("refuses", "a:b"));
        assertThat(InProcessEventBus.fileName("s".repeat(200), "\u00e9".repeat(256)).getBytes(StandardCharsets.UTF_8))
                .hasSizeLessThanOrEqualTo(255);
    }

    @Test
    void closingDeadLettersWhatWaitsForARetry() throws Exception {
        CountDownLatch firstAttempt = new CountDownLatch(1);
        EventBusSettings slow = EventBusSettings.DEFAULTS.withRetries(5, Duration.ofHours(1), Duration.ofHours(1))
                .withEventTimeToLive(Duration.ofDays(1));
        List<EventBusSubscription> subs = List.of(sub("slow", "S", DeliverySchema.CLOUD_EVENTS, null, EventTypes.CANARY_STARTED));
        InProcessEventBus bus = new InProcessEventBus(subs, slow, (f, json) -> {
            firstAttempt.countDown();
            throw new IllegalStateException("down");
        }, home.resolve("deadletter"), Clock.systemUTC());
        bus.start();
        VigilEvent e = event(EventTypes.CANARY_STARTED, "/models/m/versions/1");
        bus.publish(e);
        assertThat(firstAttempt.await(20, TimeUnit.SECONDS)).isTrue();

        bus.close();

        assertThat(bus.pendingDeliveries()).isZero();
        assertThat(deadLetters()).singleElement().satisfies(p -> {
            assertThat(p.getFileName().toString()).isEqualTo("slow-" + e.id() + ".json");
            JsonNode record = Json.mapper().readTree(Files.readString(p));
            assertThat(record.get("deadLetterReason").asText()).isEqualTo("HostStopped");
            assertThat(record.at("/event/type").asText()).isEqualTo(EventTypes.CANARY_STARTED);
        });

        // After closing, nothing is lost either: a late event goes straight to the dead-letter folder.
        bus.publish(event(EventTypes.CANARY_STARTED, "/models/m/versions/2"));
        assertThat(deadLetters()).hasSize(2);
    }

    @Test
    void aPublisherIsToldWhenEveryDeliveryOfItsEventEndedForGood() throws Exception {
        List<EventBusSubscription> subs = List.of(
                sub("handles", "H", DeliverySchema.EVENT_GRID, "/blobServices/default/containers/models/",
                        EventTypes.BLOB_CREATED),
                sub("gives-up", "G", DeliverySchema.EVENT_GRID, "/blobServices/default/containers/models/",
                        EventTypes.BLOB_CREATED));
        CountDownLatch giveUp = new CountDownLatch(1);
        List<String> settled = Collections.synchronizedList(new ArrayList<>());
        try (InProcessEventBus bus = new InProcessEventBus(subs, FAST, (f, json) -> {
            delivered.add(f);
            if (f.equals("G")) {
                giveUp.await();
                throw new IllegalStateException("down");
            }
        }, home.resolve("deadletter"), Clock.systemUTC())) {
            bus.start();

            bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/models/blobs/x.zip"),
                    () -> settled.add("x"));
            // No subscription: settled at once.
            bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/datasets/blobs/y.csv"),
                    () -> settled.add("y"));
            assertThat(settled).containsExactly("y");

            // One delivery handled, the other still being tried: not settled yet.
            Instant deadline = Instant.now().plus(WAIT);
            while (!delivered.contains("H") && Instant.now().isBefore(deadline)) {
                Thread.sleep(5);
            }
            assertThat(settled).containsExactly("y");

            // Dead-lettered after its last attempt: nothing will deliver it again, so it is settled too.
            giveUp.countDown();
            assertThat(bus.awaitIdle(WAIT)).isTrue();
            assertThat(settled).containsExactly("y", "x");
        }
    }

    @Test
    void anEventWhoseDeliveryTheClosingCutShortIsNotSettled() throws Exception {
        CountDownLatch firstAttempt = new CountDownLatch(1);
        EventBusSettings slow = EventBusSettings.DEFAULTS.withRetries(5, Duration.ofHours(1), Duration.ofHours(1))
                .withEventTimeToLive(Duration.ofDays(1));
        List<EventBusSubscription> subs = List.of(sub("slow", "S", DeliverySchema.EVENT_GRID, null,
                EventTypes.BLOB_CREATED));
        List<String> settled = Collections.synchronizedList(new ArrayList<>());
        InProcessEventBus bus = new InProcessEventBus(subs, slow, (f, json) -> {
            firstAttempt.countDown();
            throw new IllegalStateException("down");
        }, home.resolve("deadletter"), Clock.systemUTC());
        bus.start();
        bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/models/blobs/x.zip"),
                () -> settled.add("x"));
        assertThat(firstAttempt.await(20, TimeUnit.SECONDS)).isTrue();

        bus.close();

        assertThat(deadLetters()).hasSize(1);
        assertThat(settled).isEmpty();
        // Published after the close: dead-lettered, and not settled either.
        bus.publishEventGridEvent(storageEvent("/blobServices/default/containers/models/blobs/z.zip"),
                () -> settled.add("z"));
        assertThat(settled).isEmpty();
    }

    @Test
    void onlyVigilEventTypesArePublishedOnVigilsTopic() throws Exception {
        try (InProcessEventBus bus = new InProcessEventBus(List.of(), FAST, (f, json) -> { }, home, Clock.systemUTC())) {
            assertThatThrownBy(() -> bus.publish(event("Microsoft.Storage.BlobCreated", "/x")))
                    .isInstanceOf(ValidationException.class);
        }
    }

    @Test
    void subscriptionsAreCheckedWhenRead() {
        assertThatThrownBy(() -> sub("vigil-as-eg", "F", DeliverySchema.EVENT_GRID, null, EventTypes.MODEL_REGISTERED))
                .hasMessageContaining("set its schema to CloudEventSchemaV1_0");
        assertThatThrownBy(() -> new EventBusSubscription("x-one", "F", "billing", List.of("T"), null, DeliverySchema.EVENT_GRID))
                .hasMessageContaining("use scoring or control");
        String twice = """
                [{"name":"same","function":"F","app":"control","eventTypes":["T"],"schema":"EventGridSchema"},
                 {"name":"SAME","function":"G","app":"control","eventTypes":["T"],"schema":"EventGridSchema"}]""";
        assertThatThrownBy(() -> EventBusSubscription.readList("subs.json", twice.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("twice");
        String badSchema = """
                [{"name":"one","function":"F","app":"control","eventTypes":["T"],"schema":"Custom"}]""";
        assertThatThrownBy(() -> EventBusSubscription.readList("subs.json", badSchema.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("subs.json");
        String good = """
                [{"name":"one","function":"F","app":"scoring","eventTypes":["T"],"subjectBeginsWith":"/a","schema":"CloudEventSchemaV1_0"}]""";
        assertThat(EventBusSubscription.readList("subs.json", good.getBytes(StandardCharsets.UTF_8))).singleElement()
                .satisfies(s -> assertThat(s.schema()).isEqualTo(DeliverySchema.CLOUD_EVENTS));
    }
}

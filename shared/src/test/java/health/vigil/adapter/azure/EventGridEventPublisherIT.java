package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.AzureKeyCredential;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.messaging.eventgrid.EventGridPublisherClientBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.StoreException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.ModelVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The Event Grid publisher on the wire, against a local HTTPS endpoint that stands in for the custom topic. */
class EventGridEventPublisherIT {
    private static final VigilEvent EVENT = new VigilEvent("3f1c6a2e-1b7d-4d55-9a57-2f0c7a1b9e10",
            EventTypes.GATES_PASSED, VigilEvent.SOURCE, ModelVersion.of("readmission", 3).subject(),
            Instant.parse("2026-03-01T10:15:30.250Z"), Map.of("model", "readmission", "version", 3, "gates", 7));

    private LocalHttpsServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private EventGridEventPublisher publisherWithKey(int... statuses) {
        Deque<Integer> answers = new ArrayDeque<>();
        for (int s : statuses) {
            answers.add(s);
        }
        server = new LocalHttpsServer(request -> LocalHttpsServer.Response.of(
                answers.size() > 1 ? answers.poll() : answers.peek(), ""));
        return new EventGridEventPublisher(new EventGridPublisherClientBuilder()
                .endpoint(server.baseUrl() + "/api/events")
                .credential(new AzureKeyCredential("topic-key"))
                .httpClient(server.httpClient())
                .retryOptions(new RetryOptions(new FixedDelayOptions(3, Duration.ofMillis(20))))
                .buildCloudEventPublisherClient());
    }

    @Test
    void postsOneCloudEvent10ToTheTopicWithTheKeyHeader() {
        EventGridEventPublisher publisher = publisherWithKey(200);

        publisher.publish(EVENT);

        assertThat(server.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.pathAndQuery()).isEqualTo("/api/events?api-version=2018-01-01");
            assertThat(request.header("aeg-sas-key")).isEqualTo("topic-key");
            assertThat(request.header("Content-Type")).startsWith("application/cloudevents-batch+json");
            JsonNode batch = Json.readTree("request body", request.body().getBytes(StandardCharsets.UTF_8));
            assertThat(batch.isArray()).isTrue();
            assertThat(batch).hasSize(1);
            JsonNode event = batch.get(0);
            assertThat(event.path("specversion").asText()).isEqualTo("1.0");
            assertThat(event.path("id").asText()).isEqualTo(EVENT.id());
            assertThat(event.path("source").asText()).isEqualTo("/vigil");
            assertThat(event.path("type").asText()).isEqualTo("Vigil.Gates.Passed");
            assertThat(event.path("subject").asText()).isEqualTo("/models/readmission/versions/3");
            assertThat(OffsetDateTime.parse(event.path("time").asText()).toInstant()).isEqualTo(EVENT.time());
            assertThat(event.path("datacontenttype").asText()).isEqualTo("application/json");
            assertThat(event.path("data")).isEqualTo(Json.mapper().valueToTree(EVENT.data()));
        });
    }

    @Test
    void retriesServerErrorsWithTheSameEventIdUntilItIsAccepted() {
        EventGridEventPublisher publisher = publisherWithKey(503, 500, 200);

        publisher.publish(EVENT);

        List<LocalHttpsServer.Request> requests = server.requests();
        assertThat(requests).hasSize(3);
        assertThat(requests).extracting(LocalHttpsServer.Request::body).containsOnly(requests.get(0).body());
        assertThat(requests.get(0).body()).contains(EVENT.id());
    }

    @Test
    void anEndpointThatKeepsFailingSurfacesAsAStoreErrorAfterTheRetries() {
        EventGridEventPublisher publisher = publisherWithKey(503);

        assertThatThrownBy(() -> publisher.publish(EVENT))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("Vigil.Gates.Passed").hasMessageContaining(EVENT.id()).hasMessageContaining("503");
        assertThat(server.requests()).hasSize(4);
    }

    @Test
    void aRefusedEventIsNotRetriedAndSaysWhichRoleIsMissing() {
        EventGridEventPublisher publisher = publisherWithKey(403);

        assertThatThrownBy(() -> publisher.publish(EVENT))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("EventGrid Data Sender");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void withAManagedIdentityItSendsABearerTokenForEventGrid() {
        server = new LocalHttpsServer(request -> LocalHttpsServer.Response.of(200, ""));
        List<String> scopes = new CopyOnWriteArrayList<>();
        TokenCredential identity = context -> {
            scopes.addAll(context.getScopes());
            return Mono.just(new AccessToken("token-from-identity", OffsetDateTime.now().plusHours(1)));
        };
        EventGridEventPublisher publisher = new EventGridEventPublisher(new EventGridPublisherClientBuilder()
                .endpoint(server.baseUrl() + "/api/events").credential(identity).httpClient(server.httpClient())
                .buildCloudEventPublisherClient());

        publisher.publish(EVENT);

        assertThat(scopes).containsExactly("https://eventgrid.azure.net/.default");
        assertThat(server.requests()).singleElement()
                .satisfies(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer token-from-identity"));
    }
}

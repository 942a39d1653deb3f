package health.vigil.adapter.azure;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.models.CloudEvent;
import com.azure.core.models.CloudEventDataFormat;
import com.azure.core.util.BinaryData;
import com.azure.messaging.eventgrid.EventGridPublisherClient;
import health.vigil.error.StoreException;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.port.EventPublisher;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * Publishes Vigil's events to the Event Grid custom topic as CloudEvents 1.0. The event id is kept, so subscribers
 * that see a retried delivery twice recognise it. The client's retry policy retries throttling and 5xx answers;
 * what still fails surfaces as a {@link StoreException}, so the caller's own work is retried and re-publishes.
 */
final class EventGridEventPublisher implements EventPublisher {
    private final EventGridPublisherClient<CloudEvent> client;

    EventGridEventPublisher(EventGridPublisherClient<CloudEvent> client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    static CloudEvent toCloudEvent(VigilEvent event) {
        CloudEvent cloudEvent = new CloudEvent(event.source(), event.type(), BinaryData.fromBytes(Json.writeBytes(event.data())),
                CloudEventDataFormat.JSON, "application/json");
        cloudEvent.setId(event.id());
        cloudEvent.setTime(event.time().atOffset(ZoneOffset.UTC));
        if (event.subject() != null) {
            cloudEvent.setSubject(event.subject());
        }
        return cloudEvent;
    }

    @Override
    public void publish(VigilEvent event) {
        Objects.requireNonNull(event, "event");
        try {
            client.sendEvent(toCloudEvent(event));
        } catch (HttpResponseException e) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
            String hint = status == 401 || status == 403
                    ? ": give the app's managed identity the 'EventGrid Data Sender' role on the topic"
                    : status == 413 ? ": the event is larger than Event Grid accepts (1 MB); keep ids, not content, in data"
                    : " after retries";
            throw new StoreException("publishing " + event.type() + " event " + event.id() + " to Event Grid failed with"
                    + " HTTP " + status + hint, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("publishing " + event.type() + " event " + event.id(), "Event Grid", e);
        }
    }
}

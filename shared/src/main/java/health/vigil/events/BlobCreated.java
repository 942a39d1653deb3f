package health.vigil.events;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.Objects;

/**
 * The parts of a {@code Microsoft.Storage.BlobCreated} event that registration needs, taken from the
 * event's subject ({@code /blobServices/default/containers/{container}/blobs/{name}}) and data.
 */
public record BlobCreated(String eventId, String container, String blobName, String url, long contentLength, String eTag) {
    public BlobCreated {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(blobName, "blobName");
    }

    /**
     * Checks that the blob is in the one container its handler's subscription filters on ({@code subjectBeginsWith
     * /blobServices/default/containers/{container}/} in {@code infra/bicep/event-subscriptions.json}). An event for
     * another container can only reach the handler through a subscription whose filter is wrong, so it is refused
     * like an event of a type the handler does not take (400 at the local webhook; in Azure the delivery fails; either
     * way it is dead-lettered, where operations see it) rather than acknowledged and passed over, which would hide the
     * wrong filter. Nothing is read or written.
     *
     * @param handler the function's name, for the message
     * @param expected the container the handler takes blobs from
     * @return this event
     */
    public BlobCreated requireContainer(String handler, String expected) {
        if (!expected.equals(container)) {
            throw new ValidationException(handler + " handles BlobCreated events of the '" + expected + "' container"
                    + " only and this one's blob is in container " + Json.quotedName(container) + "; check the event"
                    + " subscription's filter: the subject must begin with /blobServices/default/containers/" + expected
                    + "/");
        }
        return this;
    }
}

package health.vigil.events;

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
}

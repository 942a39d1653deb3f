package health.vigil.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.events.EventTypes;
import health.vigil.json.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds the {@code Microsoft.Storage.BlobCreated} event a storage account's system topic sends, in Event
 * Grid's own schema and with the same fields, for the local storage account {@value #ACCOUNT}.
 */
final class LocalStorageEvents {
    static final String ACCOUNT = "vigillocal";
    static final String TOPIC = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/vigil-local"
            + "/providers/Microsoft.Storage/storageAccounts/" + ACCOUNT;
    /** .NET ticks (100 ns since 0001-01-01) at the Unix epoch: Azure's ETags are tick counts in hex. */
    private static final long TICKS_AT_EPOCH = 621_355_968_000_000_000L;

    private LocalStorageEvents() {}

    /** A blob that was written: its container, name ('/'-separated), size, last-modified time and content type. */
    record Blob(String container, String name, long contentLength, Instant lastModified, String contentType) {
        Blob {
            Objects.requireNonNull(container, "container");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(lastModified, "lastModified");
            Objects.requireNonNull(contentType, "contentType");
        }
    }

    static ObjectNode blobCreated(Blob blob, Instant eventTime, long sequence) {
        long ticks = TICKS_AT_EPOCH + blob.lastModified().getEpochSecond() * 10_000_000L + blob.lastModified().getNano() / 100;
        ObjectNode event = Json.mapper().createObjectNode();
        event.put("topic", TOPIC);
        event.put("subject", "/blobServices/default/containers/" + blob.container() + "/blobs/" + blob.name());
        event.put("eventType", EventTypes.BLOB_CREATED);
        event.put("eventTime", DateTimeFormatter.ISO_INSTANT.format(eventTime));
        event.put("id", UUID.randomUUID().toString());
        ObjectNode data = event.putObject("data");
        data.put("api", "PutBlob");
        data.put("clientRequestId", UUID.randomUUID().toString());
        data.put("requestId", UUID.randomUUID().toString());
        data.put("eTag", "0x" + Long.toHexString(ticks).toUpperCase(Locale.ROOT));
        data.put("contentType", blob.contentType());
        data.put("contentLength", blob.contentLength());
        data.put("blobType", "BlockBlob");
        data.put("url", "https://" + ACCOUNT + ".blob.core.windows.net/" + blob.container() + "/" + encodePath(blob.name()));
        // Ordered per blob like Azure's sequencer: last-modified ticks, then a per-process counter.
        data.put("sequencer", String.format(Locale.ROOT, "%016X%016X", ticks, sequence));
        data.putObject("storageDiagnostics").put("batchId", UUID.randomUUID().toString());
        event.put("dataVersion", "");
        event.put("metadataVersion", "1");
        return event;
    }

    static String contentType(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".zip")) {
            return "application/zip";
        }
        if (lower.endsWith(".json")) {
            return "application/json";
        }
        return "application/octet-stream";
    }

    private static String encodePath(String name) {
        List<String> parts = new ArrayList<>();
        for (String segment : name.split("/", -1)) {
            parts.add(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return String.join("/", parts);
    }
}

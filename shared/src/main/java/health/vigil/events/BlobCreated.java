package health.vigil.events;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a {@code Microsoft.Storage.BlobCreated} event that registration needs, taken from the
 * event's subject ({@code /blobServices/default/containers/{container}/blobs/{name}}) and data.
 */
public record BlobCreated(String eventId, String container, String blobName, String url, long contentLength, String eTag) {
    /** {@code scheme://authority/path}, the path without a query or fragment. */
    private static final Pattern URL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)(/[^?#]*)?(?:[?#].*)?$");
    /** A host that names no account, so the account is the path's first segment (Azurite and the storage emulator). */
    private static final Pattern PATH_STYLE_HOST = Pattern.compile("(?i)localhost|[0-9.]+|\\[[0-9a-f:.]+]");
    /** What a storage container's name may be: repeated in a message only when it is one. */
    private static final Pattern CONTAINER_NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]");

    public BlobCreated {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(blobName, "blobName");
    }

    /**
     * Checks that the blob is in the one container its handler's subscription filters on ({@code subjectBeginsWith
     * /blobServices/default/containers/{container}/} in {@code infra/bicep/event-subscriptions.json}), and that the
     * event's {@code data.url} names the blob its subject names. An event for another container can only reach the
     * handler through a subscription whose filter is wrong, so it is refused like an event of a type the handler does
     * not take (400 at the local webhook; in Azure the delivery fails; either way it is dead-lettered, where operations
     * see it) rather than acknowledged and passed over, which would hide the wrong filter. An event whose url and
     * subject disagree is refused the same way, whichever of the three handlers it reaches. Nothing is read or written.
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
        requireUrlNamesSubject(handler);
        return this;
    }

    /**
     * Checks that {@code data.url} names the blob the subject names. Storage sends both for the same blob; the
     * handlers read the subject and the subscription filters on it, so an event whose url names another blob was not
     * sent by storage as it is, and acting on the subject would act on a blob its url does not name. It is refused
     * before anything is read or written. An event without a url (a registration of an upload made through the API)
     * has nothing to disagree with. The url is host-style ({@code https://{account}.blob.core.windows.net/{container}/
     * {name}}) or, on a host that is an address or {@code localhost} (Azurite), path-style with the account first; the
     * name is compared percent-decoded, or as written.
     */
    private void requireUrlNamesSubject(String handler) {
        if (url == null) {
            return;
        }
        Matcher m = URL.matcher(url);
        String path = m.matches() && m.group(2) != null ? m.group(2).substring(1) : null;
        if (path != null && PATH_STYLE_HOST.matcher(hostOf(m.group(1))).matches()) {
            int account = path.indexOf('/');
            path = account < 0 ? null : path.substring(account + 1);
        }
        String subjectBlob = container + "/" + blobName;
        if (path != null && (path.equals(subjectBlob) || subjectBlob.equals(decoded(path)))) {
            return;
        }
        String urlContainer = path == null || path.indexOf('/') < 0 ? null : path.substring(0, path.indexOf('/'));
        String urlNames = urlContainer == null ? "does not read as a blob's URL"
                : CONTAINER_NAME.matcher(urlContainer).matches() ? "names a blob in container '" + urlContainer + "'"
                : "names a blob elsewhere";
        throw new ValidationException("the BlobCreated event's data.url names another blob than its subject (the"
                + " subject names a blob in container '" + container + "' and the url " + urlNames + "; blob names"
                + " are not repeated here); " + handler + " did nothing: send the event with the same blob in its subject"
                + " (/blobServices/default/containers/{container}/blobs/{name}) and its data.url"
                + " (https://{account}.blob.core.windows.net/{container}/{name})");
    }

    /** The host of a URL's authority, without user information or port. */
    private static String hostOf(String authority) {
        String host = authority.substring(authority.lastIndexOf('@') + 1);
        int port = host.lastIndexOf(':');
        return port > host.lastIndexOf(']') ? host.substring(0, port) : host;
    }

    /** The percent-decoded path (UTF-8; a '+' stays a '+'), or null when it holds a broken escape. */
    private static String decoded(String path) {
        try {
            return URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException brokenEscape) {
            return null;
        }
    }
}

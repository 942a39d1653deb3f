package health.vigil.host;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Reads a request body up to a limit; beyond it the request is refused with 413 and the body is never
 * buffered. The rest of an oversized body is read and thrown away (up to {@link #DISCARD_LIMIT}), because an
 * HTTP/1.1 client that is still sending when the connection closes never sees the 413.
 */
final class RequestBody {
    static final long DISCARD_LIMIT = 64L * 1024 * 1024;
    /** Set on a request once its body was read to the end (kept or discarded). */
    private static final String CONSUMED = RequestBody.class.getName() + ".consumed";

    private RequestBody() {}

    static byte[] read(Request request, int maxBytes) throws IOException {
        try {
            return readWithin(request, maxBytes);
        } catch (IOException e) {
            // The client stopped sending (idle timeout, too slow a data rate) or went away: its fault, not ours.
            throw new ValidationException(ErrorCode.REQUEST_TIMEOUT, "the request body stopped arriving before it was"
                    + " complete; send the whole body without pausing");
        }
    }

    /**
     * Whether a reply to this request may leave the connection open: true when the request has no body or its
     * body was read to the end. Otherwise the client may still be sending it, and a connection left open would
     * hand the next request on it to a server that is about to close it.
     */
    static boolean consumed(Request request) {
        return !hasBody(request) || request.getAttribute(CONSUMED) != null;
    }

    /** Whether the request says a body follows its headers: a Content-Length above 0, or a transfer encoding. */
    static boolean hasBody(Request request) {
        long length = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        return length > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    private static byte[] readWithin(Request request, int maxBytes) throws IOException {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        try (InputStream in = Request.asInputStream(request)) {
            if (declared > maxBytes) {
                discard(request, in, new byte[16 * 1024], 0);
                throw tooLarge(maxBytes);
            }
            if (declared >= 0) {
                return readDeclared(request, in, (int) declared);
            }
            byte[] buffer = new byte[16 * 1024];
            ByteArrayOutputStream out = new ByteArrayOutputStream(256); // no length declared: streamed
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (out.size() + n > maxBytes) {
                    discard(request, in, buffer, out.size() + n);
                    throw tooLarge(maxBytes);
                }
                out.write(buffer, 0, n);
            }
            request.setAttribute(CONSUMED, Boolean.TRUE);
            return out.toByteArray();
        }
    }

    /**
     * A body with a Content-Length: read straight into an array of that size, with no buffer in between. Jetty ends
     * the content where the length says, so a body is never longer; a shorter one (the client stopped) ends early.
     */
    private static byte[] readDeclared(Request request, InputStream in, int declared) throws IOException {
        byte[] body = new byte[declared];
        int read = 0;
        for (int n; read < declared && (n = in.read(body, read, declared - read)) > 0; ) {
            read += n;
        }
        if (read < declared || in.read() >= 0) {
            throw new IOException("the body did not match its Content-Length");
        }
        request.setAttribute(CONSUMED, Boolean.TRUE);
        return body;
    }

    private static void discard(Request request, InputStream in, byte[] buffer, long alreadyRead) throws IOException {
        long total = alreadyRead;
        int n = 0;
        while (total < DISCARD_LIMIT && (n = in.read(buffer)) > 0) {
            total += n;
        }
        if (n < 0) {
            request.setAttribute(CONSUMED, Boolean.TRUE);
        }
    }

    private static ValidationException tooLarge(int maxBytes) {
        return new ValidationException(ErrorCode.PAYLOAD_TOO_LARGE,
                "the request body is larger than the limit of " + maxBytes + " bytes; send a smaller body or raise the limit");
    }
}

package health.vigil.host;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Reads a request body up to a limit; beyond it the request is refused with 413 and the body is never
 * buffered. The rest of an oversized body is read and thrown away (up to {@link #DISCARD_LIMIT}), because an
 * HTTP/1.1 client that is still sending when the connection closes never sees the 413; one that waits for
 * {@code 100 Continue} before sending a body declared over the limit is answered before it sends any. The pages served
 * beside the functions (the dashboard's sign-in form) read their bodies here too, under the same minimum data rate and
 * time limit.
 */
public final class RequestBody {
    static final long DISCARD_LIMIT = 64L * 1024 * 1024;
    /**
     * The server attribute holding the most time, a {@link Duration}, that reading a body may take; none when
     * absent. The minimum data rate alone lets a body just above it hold a worker for as long as its size allows
     * (4 MiB at 1.1 KB/s is about an hour).
     */
    static final String TIMEOUT = RequestBody.class.getName() + ".timeout";
    /** Set on a request once its body was read to the end (kept or discarded). */
    private static final String CONSUMED = RequestBody.class.getName() + ".consumed";

    static final byte[] NONE = new byte[0];

    private RequestBody() {}

    /** What {@link Collector#collect} found. */
    enum Progress {
        /** The whole body is in ({@link Collector#bytes}). */
        COMPLETE,
        /** More is on its way and nothing more is there yet: ask again once Jetty says content may be there. */
        WAITING,
        /**
         * More is on its way, but what came so far came slower than the connection's minimum data rate, or the time
         * for the body is up: answer 408 ({@link Collector#refusal}) instead of waiting for a client that trickles.
         */
        TOO_SLOW,
        /**
         * Over the limit, cut short or failed: left to {@link #read(Request, int, byte[])} with the bytes taken so far,
         * which answers it as it answers any body.
         */
        ELSEWHERE
    }

    /**
     * Gathers a body from what has arrived, never waiting: each {@link #collect} takes what is there and says whether
     * the body is complete, more must be waited for, or the waiting read must take over.
     */
    static final class Collector {
        /**
         * The most a body is given before a byte of it arrived, whatever its Content-Length says: inline requests
         * take no worker, so nothing bounds how many wait for their bodies at once, and headers alone must not pin
         * the limit.
         */
        static final int FIRST_BUFFER = 64 * 1024;

        private final Request request;
        private final int maxBytes;
        private final long declared;
        private final Pace pace;
        private byte[] body;
        private int size;
        private ValidationException refusal;

        Collector(Request request, int maxBytes) {
            this.request = request;
            this.maxBytes = maxBytes;
            this.pace = Pace.of(request);
            this.declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
            this.body = new byte[declared >= 0 && declared <= maxBytes ? (int) Math.min(declared, FIRST_BUFFER) : 256];
        }

        Progress collect() {
            if (!hasBody(request)) {
                body = NONE;
                return Progress.COMPLETE;
            }
            if (declared > maxBytes || coded(request)) {
                return Progress.ELSEWHERE;
            }
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    // Asked each time a piece arrives: a trickle is cut off; a client that stops meets the idle timeout.
                    long now = System.nanoTime();
                    if (pace.tooSlow(size, now)) {
                        refusal = pace.refusal(now);
                        return Progress.TOO_SLOW;
                    }
                    return Progress.WAITING;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    return Progress.ELSEWHERE;
                }
                try {
                    ByteBuffer bytes = chunk.getByteBuffer();
                    int n = bytes.remaining();
                    if (size + n > body.length) {
                        // Doubled as bytes arrive, up to the declared length (Jetty ends the content there) or,
                        // without one, to just over the limit, where the body goes elsewhere.
                        long most = declared >= 0 && declared <= maxBytes ? declared : maxBytes + 1L;
                        body = Arrays.copyOf(body, (int) Math.max(size + n, Math.min(2L * body.length, most)));
                    }
                    bytes.get(body, size, n);
                    size += n;
                    if (size > maxBytes) {
                        return Progress.ELSEWHERE;
                    }
                    if (chunk.isLast()) {
                        if (declared >= 0 && size < declared) {
                            return Progress.ELSEWHERE;
                        }
                        request.setAttribute(CONSUMED, Boolean.TRUE);
                        return Progress.COMPLETE;
                    }
                } finally {
                    chunk.release();
                }
            }
        }

        /** The body once complete; before that, the bytes taken so far. */
        byte[] bytes() {
            return size == body.length ? body : Arrays.copyOf(body, size);
        }

        /** The bytes held for the body now, taken or not: what the request costs while it waits. */
        int capacity() {
            return body.length;
        }

        /** The 408 to answer once {@link #collect} found the body {@link Progress#TOO_SLOW}, saying which limit. */
        ValidationException refusal() {
            return refusal;
        }
    }

    /**
     * The whole body, waiting for it. Refusals are {@link ValidationException}s with the status to answer: 413 over
     * {@code maxBytes}, 408 arriving slower than the connection's minimum data rate or not whole within the server's
     * time for a body (as {@code Pace} counts them) or cut short, 400 or 415 under a chunking or coding the host cannot
     * read.
     */
    public static byte[] read(Request request, int maxBytes) throws IOException {
        return read(request, maxBytes, NONE);
    }

    /**
     * Reads the rest of a body of which {@code prefix} was already taken ({@link Collector}), waiting for it.
     */
    static byte[] read(Request request, int maxBytes, byte[] prefix) throws IOException {
        if (coded(request)) {
            throw new ValidationException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the request's Transfer-Encoding applies a"
                    + " coding other than chunked, which the host does not decode; send the body uncompressed, chunked"
                    + " alone ('Transfer-Encoding: chunked') or with a Content-Length");
        }
        try {
            return readWithin(request, maxBytes, prefix);
        } catch (TooSlow e) {
            throw e.refusal;
        } catch (IOException e) {
            if (malformed(e)) {
                throw new ValidationException(ErrorCode.INVALID_REQUEST, "the request body's chunked transfer coding is"
                        + " malformed; send each chunk as its size in hexadecimal, CRLF, that many bytes and CRLF, end with"
                        + " a chunk of size 0, or send the body with a Content-Length instead");
            }
            // The client stopped sending (the idle timeout) or went away: its fault, not ours.
            throw new ValidationException(ErrorCode.REQUEST_TIMEOUT, "the request body stopped arriving before it was"
                    + " complete; send the whole body without pausing");
        }
    }

    /**
     * Whether a body failed because Jetty's parser refused its framing (a 4xx of the parser's, raised while the body was
     * read): only a chunked body has framing inside it, so it is one whose chunks are broken, not one that stopped.
     */
    private static boolean malformed(IOException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HttpException refused && refused.getCode() >= 400 && refused.getCode() < 500) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a reply to this request may leave the connection open: true when the request has no body or its
     * body was read to the end. Otherwise the client may still be sending it, and a connection left open would
     * hand the next request on it to a server that is about to close it.
     */
    static boolean consumed(Request request) {
        return !hasBody(request) || request.getAttribute(CONSUMED) != null;
    }

    /**
     * Whether the body comes under a transfer coding besides chunked (gzip, deflate): Jetty takes the chunks off and
     * leaves the rest, so the bytes would reach a function still coded, read as if they were the body.
     */
    private static boolean coded(Request request) {
        for (String coding : request.getHeaders().getCSV(HttpHeader.TRANSFER_ENCODING, false)) {
            if (!coding.equalsIgnoreCase("chunked")) {
                return true;
            }
        }
        return false;
    }

    /** Whether the request says a body follows its headers: a Content-Length above 0, or a transfer encoding. */
    static boolean hasBody(Request request) {
        long length = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        return length > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    private static byte[] readWithin(Request request, int maxBytes, byte[] prefix) throws IOException {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        Pace pace = Pace.of(request);
        if (declared > maxBytes && prefix.length == 0 && request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
            // The client waits for a 100 Continue before it sends a byte, and Jetty sends one on the first read: answer
            // without reading, so the client is not invited to send a body that would only be thrown away.
            throw tooLarge(maxBytes);
        }
        try (InputStream in = Request.asInputStream(request)) {
            if (declared > maxBytes) {
                discard(request, in, new byte[16 * 1024], prefix.length, pace);
                throw tooLarge(maxBytes);
            }
            if (declared >= 0) {
                return readDeclared(request, in, (int) declared, prefix, pace);
            }
            byte[] buffer = new byte[16 * 1024];
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, prefix.length)); // streamed
            out.write(prefix, 0, prefix.length);
            if (out.size() > maxBytes) {
                discard(request, in, buffer, out.size(), pace);
                throw tooLarge(maxBytes);
            }
            for (int n; (n = in.read(buffer)) > 0; ) {
                pace.check(out.size() + n);
                if (out.size() + n > maxBytes) {
                    discard(request, in, buffer, out.size() + n, pace);
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
    private static byte[] readDeclared(Request request, InputStream in, int declared, byte[] prefix, Pace pace)
            throws IOException {
        if (prefix.length > declared) {
            throw new IOException("the body did not match its Content-Length");
        }
        byte[] body = new byte[declared];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        int read = prefix.length;
        for (int n; read < declared && (n = in.read(body, read, declared - read)) > 0; ) {
            read += n;
            pace.check(read);
        }
        if (read < declared || in.read() >= 0) {
            throw new IOException("the body did not match its Content-Length");
        }
        request.setAttribute(CONSUMED, Boolean.TRUE);
        return body;
    }

    private static void discard(Request request, InputStream in, byte[] buffer, long alreadyRead, Pace pace)
            throws IOException {
        long total = alreadyRead;
        int n = 0;
        while (total < DISCARD_LIMIT && (n = in.read(buffer)) > 0) {
            total += n;
            if (pace.tooSlow(total)) {
                return; // the 413 is answered; the connection closes without the rest
            }
        }
        if (n < 0) {
            request.setAttribute(CONSUMED, Boolean.TRUE);
        }
    }

    /**
     * The connection's minimum body data rate ({@code HttpConfiguration.setMinRequestDataRate}), which Jetty 12's core
     * keeps but does not enforce, and the server's time for a whole body ({@link #TIMEOUT}). Counted from when a worker
     * starts waiting for the body (time a request spent queued for a worker is not the client's): the first
     * {@link #GRACE_NANOS} are free; from then on, whenever a piece arrives, everything received must be at least what
     * the rate asks for the time past the grace, and the time for the body must not have passed. So a client that
     * trickles a byte now and then, never silent long enough for the idle timeout, holds a worker for about a second,
     * not for as long as it likes; one that keeps just above the rate holds it until the time for a body is up, not for
     * as long as its size allows; one that stops altogether meets the idle timeout.
     */
    record Pace(long startNanos, long minBytesPerSecond, long timeoutNanos) {
        static final long GRACE_NANOS = 1_000_000_000L;

        static Pace of(Request request) {
            HttpConfiguration config = request.getConnectionMetaData().getHttpConfiguration();
            Connector connector = request.getConnectionMetaData().getConnector();
            Object timeout = connector == null || connector.getServer() == null ? null
                    : connector.getServer().getAttribute(TIMEOUT);
            return new Pace(System.nanoTime(), config == null ? 0 : config.getMinRequestDataRate(),
                    timeout instanceof Duration d ? d.toNanos() : 0);
        }

        /** Whether {@code received} bytes by now are fewer than the rate asks for, or the time for the body is up. */
        boolean tooSlow(long received) {
            return tooSlow(received, System.nanoTime());
        }

        boolean tooSlow(long received, long nowNanos) {
            if (late(nowNanos)) {
                return true;
            }
            long past = nowNanos - startNanos - GRACE_NANOS;
            if (minBytesPerSecond <= 0 || past <= 0) {
                return false;
            }
            // the bytes asked for: the rate times the seconds past the grace
            double asked = minBytesPerSecond * (past / 1e9);
            return received < asked;
        }

        /** Whether the time for the whole body has passed by {@code nowNanos}; never without a time. */
        boolean late(long nowNanos) {
            return timeoutNanos > 0 && nowNanos - startNanos >= timeoutNanos;
        }

        /** The 408 of a body found {@link #tooSlow} at {@code nowNanos}: past its time, or below the rate. */
        ValidationException refusal(long nowNanos) {
            if (late(nowNanos)) {
                return new ValidationException(ErrorCode.REQUEST_TIMEOUT, "the request body was still arriving after "
                        + describe(timeoutNanos) + ", the most the host waits for a body; send the whole body at once,"
                        + " over a connection that delivers it within that time");
            }
            return new ValidationException(ErrorCode.REQUEST_TIMEOUT, "the request body arrived slower than "
                    + minBytesPerSecond + " bytes a second; send the whole body at once");
        }

        void check(long received) throws TooSlow {
            long now = System.nanoTime();
            if (tooSlow(received, now)) {
                throw new TooSlow(refusal(now));
            }
        }

        private static String describe(long nanos) {
            long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
            return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
        }
    }

    /** A body arriving slower than the connection's minimum data rate, or still arriving when its time is up. */
    static final class TooSlow extends IOException {
        final ValidationException refusal;

        TooSlow(ValidationException refusal) {
            super(refusal.getMessage());
            this.refusal = refusal;
        }
    }

    private static ValidationException tooLarge(int maxBytes) {
        return new ValidationException(ErrorCode.PAYLOAD_TOO_LARGE,
                "the request body is larger than the limit of " + maxBytes + " bytes; send a smaller body (a file of"
                        + " patients goes to POST /batches), or have the platform's operator raise VIGIL_MAX_BODY_BYTES");
    }
}

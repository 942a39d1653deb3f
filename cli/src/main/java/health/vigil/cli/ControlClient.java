package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * The CLI's side of the control and scoring APIs: JSON over HTTP, authenticated with one persona's API key.
 *
 * <p>Calls go over {@link HttpURLConnection}, not {@code java.net.http.HttpClient}: on Java 17 the latter can hand
 * the response to a request on a reused keep-alive connection to the idle-connection watcher that connection had while
 * pooled, which closes it (JDK-8338569, JDK-8357639: "HTTP/1.1 header parser received no bytes", caused by "connection
 * closed locally"). The request was answered by the platform, so the caller cannot tell whether to send it again;
 * the blocking client reads each answer on the calling thread and has no such hand-over.
 */
final class ControlClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final URI base;
    private final String apiKey;
    /** Where the key was read, named in a refusal of it; null when the caller gave the key itself. */
    private final String keyOrigin;

    ControlClient(URI base, String apiKey) {
        this(base, apiKey, null);
    }

    /** A client whose key came from {@code keyOrigin} (such as "persona 'operator' of HOME/keys.json"). */
    ControlClient(URI base, String apiKey, String keyOrigin) {
        this.base = Objects.requireNonNull(base, "base");
        this.apiKey = apiKey;
        this.keyOrigin = keyOrigin;
    }

    /** The same platform, called with another key. */
    ControlClient as(String otherKey) {
        return new ControlClient(base, otherKey);
    }

    /**
     * One call: {@code body} (null for none) is sent as JSON. The timeout outlasts the longest wait of a call (a
     * monitoring run waits up to two minutes for a fanned-out window's merge).
     */
    HttpResponse<String> exchange(String method, String path, Object body) throws IOException {
        return exchange(method, path, body, Map.of());
    }

    /** {@link #exchange(String, String, Object)} with further request headers. */
    HttpResponse<String> exchange(String method, String path, Object body, Map<String, String> extraHeaders)
            throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        // Said, not left to the connection: its default Accept would ask for HTML first where a page is offered.
        headers.put("Accept", "application/json");
        byte[] content = null;
        if (body != null) {
            headers.put("Content-Type", "application/json");
            content = Json.write(body).getBytes(StandardCharsets.UTF_8);
        }
        headers.putAll(extraHeaders);
        return call(method, path, headers, streamed(content), Duration.ofSeconds(180));
    }

    /**
     * The longest text the platform reads in a JSON body (its JSON setup's limit, 400 {@code MALFORMED_JSON} past it):
     * what bounds a file sent inside one, whatever {@code VIGIL_MAX_BODY_BYTES} the platform runs with.
     */
    static final int LONGEST_TEXT = Json.mapper().getFactory().streamReadConstraints().getMaxStringLength();

    /** A request body written to a stream, as often as it is asked for: once to count its bytes, once to send them. */
    @FunctionalInterface
    interface StreamedBody {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * {@link #exchange(String, String, Object)} with a JSON body that carries a file: written once to count its bytes,
     * then again into the connection in fixed-length streaming mode, so no more of the file than a buffer is held.
     * What the first writing throws (a file refused as it is read) is thrown before anything is sent.
     */
    HttpResponse<String> exchangeStreamed(String method, String path, StreamedBody body) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "application/json");
        headers.put("Content-Type", "application/json");
        return call(method, path, headers, body, Duration.ofSeconds(180));
    }

    /** The tries {@link #postOnce} makes before it gives up. */
    static final int ONCE_TRIES = 3;

    /**
     * A POST that must take effect once, under {@code idempotencyKey} (one per command run): sent again when no answer
     * came back (the connection was lost or refused) or the platform was busy (503), at most {@value #ONCE_TRIES}
     * times.
     * Every try carries the same key, so a request whose answer was lost is neither lost nor done twice. It ends in
     * {@link Unreachable} only when no try reached the platform (nothing took the request); when an earlier try was
     * answered 503 or may have been taken (its answer lost), it ends in that answer or that try's error even if later
     * tries were refused: a busy platform may have done part of the request.
     */
    HttpResponse<String> postOnce(String path, Object body, String idempotencyKey)
            throws IOException, InterruptedException {
        return postOnce(path, body, idempotencyKey, Map.of());
    }

    /**
     * {@link #postOnce(String, Object, String)} with further request headers (a precondition such as {@code If-Match}),
     * sent with every try: a try after a lost answer is answered as the first one by its key, whatever they say.
     */
    HttpResponse<String> postOnce(String path, Object body, String idempotencyKey, Map<String, String> extraHeaders)
            throws IOException, InterruptedException {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put("Idempotency-Key", idempotencyKey);
        IOException mayHaveBeenTaken = null;
        HttpResponse<String> busy = null;
        for (int attempt = 1; ; attempt++) {
            String why;
            try {
                HttpResponse<String> response = exchange("POST", path, body, headers);
                if (response.statusCode() != 503 || attempt == ONCE_TRIES) {
                    return response;
                }
                busy = response;
                mayHaveBeenTaken = null;
                why = "the platform is busy";
            } catch (IOException e) {
                if (!(e instanceof Unreachable)) {
                    mayHaveBeenTaken = e;
                    busy = null;
                }
                if (attempt == ONCE_TRIES) {
                    if (e instanceof Unreachable && busy != null) {
                        return busy;
                    }
                    throw e instanceof Unreachable && mayHaveBeenTaken != null ? mayHaveBeenTaken : e;
                }
                why = noAnswer(e);
            }
            System.err.println(why + "; sending the same request again");
            Thread.sleep(1_000L * attempt);
        }
    }

    /** {@code no answer from the platform (ConnectException)}: a call that got no answer, said without its text. */
    static String noAnswer(IOException e) {
        Throwable what = e instanceof Unreachable && e.getCause() != null ? e.getCause() : e;
        return "no answer from the platform (" + what.getClass().getSimpleName() + ")";
    }

    /**
     * A GET of JSON that waits at most {@code timeout} for its answer, else throws
     * {@link java.net.SocketTimeoutException}: for a poll, which asks again rather than wait out the longest call's
     * time on a platform that took the request and never answered.
     */
    HttpResponse<String> poll(String path, Duration timeout) throws IOException {
        return call("GET", path, Map.of("Accept", "application/json"), null, timeout);
    }

    /** A GET that asks for one representation through {@code Accept}. */
    HttpResponse<String> get(String path, String accept) throws IOException {
        return call("GET", path, Map.of("Accept", accept), null, Duration.ofSeconds(60));
    }

    /** A call that must answer {@code expectedStatus}; anything else is an error quoting the answer. */
    JsonNode send(String method, String path, Object body, int expectedStatus) throws IOException {
        HttpResponse<String> response = exchange(method, path, body);
        if (response.statusCode() != expectedStatus) {
            throw new CallFailed(method + " " + path + " answered " + response.statusCode() + " (expected "
                    + expectedStatus + "): " + refusal(response.body()));
        }
        return parse(response);
    }

    static JsonNode parse(String body) {
        return parse(body, null);
    }

    /**
     * A refusal as an operator's terminal shows it: its code and message, control characters named; never the raw
     * body, which may be anything (another server, a proxy's page) and holds text the caller sent.
     */
    static String refusal(String body) {
        JsonNode error;
        try {
            error = Json.readTree("the answer", body).path("error");
        } catch (RuntimeException notJson) {
            return "no error message";
        }
        String message = error.path("message").asText("");
        if (message.isEmpty()) {
            return "no error message";
        }
        String code = error.path("code").asText("");
        return TerminalText.shown((code.isEmpty() ? "" : code + ": ") + message);
    }

    /** The answer's JSON body; one without (a proxy's error page, another server at --url) says so with its status. */
    static JsonNode parse(HttpResponse<String> response) {
        return parse(response.body(), response);
    }

    /**
     * Not the command line's fault (which exits 2): the platform, or something in front of it, answered without JSON,
     * so the command fails (exit 1) saying so and with the status, never repeating the body, which may be anything.
     */
    private static JsonNode parse(String body, HttpResponse<String> response) {
        try {
            return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
        } catch (health.vigil.error.ValidationException notJson) {
            String what = (body.isBlank() ? "with an empty body" : "with a body that is not JSON")
                    + " where Vigil answers JSON";
            throw response != null ? unreadable(response, what) : new java.io.UncheckedIOException(
                    new IOException("the platform answered " + what + ": " + ANOTHER_SERVER));
        }
    }

    /** What an answer the CLI cannot read usually means, and what to check. */
    private static final String ANOTHER_SERVER = "is --url the platform's address, and is no other server or proxy"
            + " answering in its place?";

    /**
     * The error of an answer the command cannot read ({@code what} it lacks, such as "without the header ..."): its
     * status, the request and address it answered (never the query, nor anything of the body, which may be anything),
     * and that --url may name another server. Exit 1, as for any answer the platform should not have given.
     */
    static java.io.UncheckedIOException unreadable(HttpResponse<String> response, String what) {
        URI asked = response.uri();
        String request = (response.request() == null ? "" : response.request().method() + " ") + asked.getScheme()
                + "://" + asked.getRawAuthority() + (asked.getRawPath() == null ? "" : asked.getRawPath());
        return new java.io.UncheckedIOException(new IOException("the platform answered " + response.statusCode() + " "
                + what + " (" + request + "): " + ANOTHER_SERVER));
    }

    /**
     * A header {@code response} must carry as a whole number, {@code sentWith} saying what Vigil sends it with; an
     * answer without it, or with anything else in it, is {@linkplain #unreadable unreadable}.
     */
    static long wholeNumberHeader(HttpResponse<String> response, String name, String meaning, String sentWith) {
        String value = response.headers().firstValue(name).orElse("");
        if (!value.matches("[0-9]{1,18}")) {
            throw unreadable(response, "without the header " + name + " (" + meaning + "), which Vigil sends with "
                    + sentWith);
        }
        return Long.parseLong(value);
    }

    /**
     * A field a line of the answer needs that the answer does not carry: thrown where the line is written, and said by
     * {@link ModelsCommand.Target#print} as an {@linkplain #unreadable unreadable} answer.
     */
    static final class MissingField extends RuntimeException {
        /** {@code what}: the field, said as "a version's package sha256". */
        MissingField(String what) {
            super(what);
        }
    }

    /**
     * Sends one request and reads its whole answer, which returns the connection to the keep-alive cache for the next
     * call. An answer without a body (a 204, or an error the platform sent no body with) reads as the empty string.
     */
    private HttpResponse<String> call(String method, String path, Map<String, String> headers, StreamedBody body,
            Duration timeout) throws IOException {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        if (apiKey != null) {
            fields.put("x-api-key", List.of(apiKey));
        }
        headers.forEach((name, value) -> fields.put(name, List.of(value)));
        HttpResponse<String> response;
        try {
            response = call(base.resolve(path), method, fields, body, timeout);
        } catch (java.net.ConnectException | java.net.UnknownHostException | java.net.NoRouteToHostException e) {
            throw new Unreachable(base, e);
        }
        return response.statusCode() == 401 && keyOrigin != null ? withKeyHint(response) : response;
    }

    /**
     * A refused key, said with where it came from: on a machine with two platforms (another on the default port), the
     * usual cause is a --url that names the other one, which knows none of this home's keys.
     */
    private HttpResponse<String> withKeyHint(HttpResponse<String> refused) {
        JsonNode body;
        try {
            body = parse(refused);
        } catch (RuntimeException notJson) {
            return refused;
        }
        if (!(body.path("error") instanceof com.fasterxml.jackson.databind.node.ObjectNode error)) {
            return refused;
        }
        error.put("message", error.path("message").asText() + "; the key sent is " + keyOrigin + ", and the platform"
                + " at " + base + " does not know it: give --url the address of the platform that keeps its data in"
                + " that home (vigil up --port), or --home the folder that platform runs with");
        return new Answer(refused.request(), refused.statusCode(), refused.headers(), Json.write(body));
    }

    /**
     * One blocking exchange with any URI (the commands' calls, and the tests' helper that sends the JDK's request
     * type the same way): {@code headers} as given, {@code body} null for none, redirects not followed.
     */
    static HttpResponse<String> call(URI uri, String method, Map<String, List<String>> headers, byte[] body,
            Duration timeout) throws IOException {
        return call(uri, method, headers, streamed(body), timeout);
    }

    private static StreamedBody streamed(byte[] body) {
        return body == null ? null : out -> out.write(body);
    }

    private static HttpResponse<String> call(URI uri, String method, Map<String, List<String>> headers,
            StreamedBody body, Duration timeout) throws IOException {
        long length = body == null ? -1 : length(body);
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
        connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        connection.setReadTimeout((int) timeout.toMillis());
        connection.setInstanceFollowRedirects(false);
        connection.setUseCaches(false);
        connection.setRequestMethod(method);
        headers.forEach((name, values) -> values.forEach(value -> connection.addRequestProperty(name, value)));
        if (body != null) {
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(length);
        }
        try {
            connection.connect();
        } catch (java.net.SocketTimeoutException e) {
            if (!isConnectTimeout(e)) {
                throw e; // accepted, then no answer (a TLS handshake never completed): a platform that took the call
            }
            // Nothing took the connection (an address that drops it, a listener that never accepts): as a refused
            // one, no request reached a platform, unlike a read that times out once the request was sent.
            java.net.ConnectException unanswered = new java.net.ConnectException("the connection was not accepted"
                    + " within " + CONNECT_TIMEOUT.toSeconds() + " s");
            unanswered.initCause(e);
            throw unanswered;
        }
        if (body != null) {
            try (OutputStream out = connection.getOutputStream()) {
                body.writeTo(out);
            }
        }
        int status = connection.getResponseCode();
        String text;
        boolean unread;
        try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            unread = in == null;
            text = unread ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (status == 401 && unread) {
            // A connection that streamed a body drops the text of a 401 (it could not send the body again to
            // authenticate); the refusal is still said in the platform's shape rather than as an empty answer.
            text = Json.write(Map.of("error", Map.of("code", "UNAUTHENTICATED", "message",
                    "the platform refused the request's API key (401)")));
        }
        Map<String, List<String>> answered = new LinkedHashMap<>();
        connection.getHeaderFields().forEach((name, values) -> {
            if (name != null) { // the status line
                answered.put(name, values);
            }
        });
        HttpRequest sent = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return new Answer(sent, status, HttpHeaders.of(answered, (name, value) -> true), text);
    }

    /** The bytes {@code body} writes, counted as it writes them and kept nowhere. */
    private static long length(StreamedBody body) throws IOException {
        long[] count = {0};
        body.writeTo(new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                count[0] += length;
            }
        });
        return count[0];
    }

    /** A finished call's answer, in the shape of the JDK's response type that the commands read. */
    private record Answer(HttpRequest request, int statusCode, HttpHeaders headers, String body)
            implements HttpResponse<String> {
        @Override
        public Optional<HttpResponse<String>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            return request.uri();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }

    /**
     * Whether {@code e} is the TCP connection's own time-out ("Connect timed out", as the JDK's sockets say it), not a
     * read's after it was accepted (an HTTPS connection's handshake runs under the read timeout).
     */
    private static boolean isConnectTimeout(java.net.SocketTimeoutException e) {
        String message = e.getMessage();
        return message != null && message.toLowerCase(java.util.Locale.ROOT).startsWith("connect timed out");
    }

    /**
     * A request nothing took at the platform's address: no server listens there (the connection was refused, or not
     * accepted within the connect timeout) or its host is not known or not reachable. Said with the address and how to
     * fix it; the cause is what the connection threw.
     */
    static final class Unreachable extends IOException {
        Unreachable(URI base, IOException cause) {
            super("the platform did not answer at " + base + " (" + cause.getClass().getSimpleName() + "): is it"
                    + " running (vigil up), and is --url its address?", cause);
        }

        /** Whether the address's host is not known: a wrong --url, never a platform restarting. */
        boolean unknownHost() {
            return getCause() instanceof java.net.UnknownHostException;
        }
    }

    /** A call the platform refused or answered unexpectedly. */
    static final class CallFailed extends RuntimeException {
        CallFailed(String message) {
            super(message);
        }
    }
}

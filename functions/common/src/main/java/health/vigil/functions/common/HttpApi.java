package health.vigil.functions.common;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import health.vigil.audit.AccessAudit;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.functions.common.html.Html;
import health.vigil.json.Json;
import health.vigil.port.Telemetry;
import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP plumbing every Vigil function shares: authentication and the role check, body limits and media
 * type, JSON in and out, and the one mapping from {@link VigilException} to
 * {@code {"error": {"code", "message", "requestId"}}} with the code's status. Function classes call
 * {@link #handle} and stay thin. Nothing from a request body reaches the log.
 */
public final class HttpApi {
    private final Authenticator authenticator;
    private final VigilConfig.Limits limits;
    private final Telemetry telemetry;

    public HttpApi(Authenticator authenticator, VigilConfig.Limits limits) {
        this(authenticator, limits, Telemetry.NONE);
    }

    /** Counts every failed request on {@code telemetry} ({@code vigil.errors}), under the function's name. */
    public HttpApi(Authenticator authenticator, VigilConfig.Limits limits, Telemetry telemetry) {
        this.authenticator = authenticator;
        this.limits = limits;
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** What a function does once the call is authenticated; returns a body (200) or a {@link Reply}. */
    @FunctionalInterface
    public interface Handler {
        Object handle(Call call);
    }

    /**
     * Runs {@code handler} for a caller that {@code access} admits and maps its result or failure to a response.
     */
    public HttpResponseMessage handle(HttpRequestMessage<Optional<String>> request, ExecutionContext context,
            Access access, Handler handler) {
        return handle(request, context, access, handler, false);
    }

    /**
     * As {@link #handle(HttpRequestMessage, ExecutionContext, Access, Handler)}, for a route whose answer is a page
     * people read in a browser: a failure is answered as a short page with the same status, code and words when the
     * client prefers HTML ({@code Accept} ranks text/html above application/json, as a browser's does), and as the
     * JSON error of every route otherwise (no {@code Accept}, or one that ranks both alike, as a script's does).
     */
    public HttpResponseMessage handlePage(HttpRequestMessage<Optional<String>> request, ExecutionContext context,
            Access access, Handler handler) {
        return handle(request, context, access, handler, true);
    }

    /**
     * As {@link #handle(HttpRequestMessage, ExecutionContext, Access, Handler)}, for a route whose body the host hands
     * over as bytes ({@code dataType = "binary"} on its trigger): the handler's {@link Call#json()} parses the UTF-8
     * straight from them, without a string of the whole body first (the scoring routes: 0.4 KB of the 18.4 KB a
     * request allocated on the readmission model, ADR 0042). The same checks, limits and errors; bytes that are not
     * UTF-8 are a 400 MALFORMED_JSON instead of being read with replacement characters.
     */
    public HttpResponseMessage handleBytes(HttpRequestMessage<Optional<byte[]>> request, ExecutionContext context,
            Access access, Handler handler) {
        return handle(request, context, access, handler, false);
    }

    private HttpResponseMessage handle(HttpRequestMessage<? extends Optional<?>> request, ExecutionContext context,
            Access access, Handler handler, boolean page) {
        String requestId = context.getInvocationId();
        long started = System.nanoTime();
        HttpResponseMessage response;
        ErrorCode failure = null;
        try {
            Map<String, String> headers = lowerCase(request.getHeaders());
            // Who is calling before anything about the body: a stranger learns nothing from its checks.
            Principal principal = !access.authenticate() ? Principal.SYSTEM
                    : access.role() == null ? authenticator.authenticate(headers)
                    : authenticator.require(headers, access.role());
            Optional<?> body = request.getBody();
            Object given = body == null ? null : body.orElse(null);
            byte[] bytes = given instanceof byte[] b ? b : null;
            Optional<String> written = given instanceof String t ? Optional.of(t) : Optional.empty();
            checkBody(written, bytes, headers);
            checkQuery(request.getUri());
            Object result = handler.handle(new Call(principal, requestId, request.getQueryParameters(), written,
                    headers, bytes));
            Reply reply = result instanceof Reply r ? r : Reply.of(200, result);
            response = reply.body() instanceof Reply.Text text ? text(request, reply.status(), text, reply.headers())
                    : json(request, reply.status(), reply.body(), reply.headers());
        } catch (VigilException e) {
            failure = e.code();
            response = page && prefersHtml(request) ? errorPage(request, e.code(), e.getMessage(), requestId)
                    : error(request, e.code(), e.getMessage(), requestId);
            if (e.code().httpStatus() == 401 || e.code().httpStatus() == 403) {
                recordRefusal(request, context, e.code());
            }
            if (!e.code().isClientError()) {
                context.getLogger().log(Level.SEVERE, "request " + requestId + " failed with " + e.code(), scrubbed(e));
            }
        } catch (RuntimeException e) {
            failure = ErrorCode.INTERNAL;
            context.getLogger().log(Level.SEVERE, "request " + requestId + " failed unexpectedly", scrubbed(e));
            String message = "Vigil could not complete the request; quote request id " + requestId + " to the operators";
            response = page && prefersHtml(request) ? errorPage(request, ErrorCode.INTERNAL, message, requestId)
                    : error(request, ErrorCode.INTERNAL, message, requestId);
        }
        if (failure != null) {
            // Under the function's name (a fixed set, as the requests table names them), never the path as typed.
            telemetry.failed(context.getFunctionName(), failure);
        }
        // Request logs belong to the host's telemetry (sampled); one INFO line per request cost a tenth of a
        // score. Failures are logged above; this line is there only when FINE is switched on. It names the route as
        // the audit of a refusal does: the path as typed may hold a patient's identifier pasted where an id goes.
        Logger logger = context.getLogger();
        if (logger.isLoggable(Level.FINE)) {
            long micros = (System.nanoTime() - started) / 1000;
            String route = AccessAudit.recordedRoute(DeclaredRoute.ofCaller().orElse(null), request.getUri().getPath());
            logger.fine(request.getHttpMethod() + " " + route + " -> " + response.getStatusCode()
                    + (failure == null ? "" : " " + failure) + " in " + micros + " us");
        }
        return response;
    }

    /**
     * Hands a refused request to the authenticator's evidence, with the route its function declares; a failure there
     * is logged, never shown.
     */
    private void recordRefusal(HttpRequestMessage<?> request, ExecutionContext context, ErrorCode code) {
        try {
            String principalId = null;
            if (code.httpStatus() == 403) {
                try {
                    principalId = authenticator.authenticate(lowerCase(request.getHeaders())).id();
                } catch (VigilException unknown) {
                    // refused before the caller was known
                }
            }
            authenticator.refused(request.getHttpMethod().name(), DeclaredRoute.ofCaller().orElse(null),
                    request.getUri().getPath(), principalId, code);
        } catch (RuntimeException e) {
            context.getLogger().log(Level.SEVERE, "a refused request could not be recorded in the audit log", scrubbed(e));
        }
    }

    /**
     * A query parameter given twice ({@code ?explain=false&explain=true}) is refused: a host hands a function one value
     * per name, and which one it keeps is the host's choice, not the caller's (ADR 0029: taken as written or refused).
     * Names are compared as decoded ({@code expl%61in} is {@code explain}).
     */
    static void checkQuery(URI uri) {
        String raw = uri == null ? null : uri.getRawQuery();
        if (raw == null || raw.indexOf('&') < 0) {
            return;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int equals = part.indexOf('=');
            String name = equals < 0 ? part : part.substring(0, equals);
            try {
                name = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new ValidationException("the query string is not valid URL encoding");
            }
            if (!seen.add(name)) {
                throw new ValidationException("query parameter " + Json.quotedName(name) + " is given more than once;"
                        + " give each query parameter once");
            }
        }
    }

    private void checkBody(Optional<String> body, byte[] bytes, Map<String, String> headers) {
        if (bytes == null ? body.isEmpty() || body.get().isEmpty() : bytes.length == 0) {
            return;
        }
        String contentType = headers.get("content-type");
        if (contentType != null && !isJson(contentType)) {
            throw new VigilException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "the request body's Content-Type is not"
                    + " application/json; send JSON with Content-Type: application/json");
        }
        String unreadable = encodingProblem(contentType, headers.get("content-encoding"));
        if (unreadable != null) {
            throw new VigilException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, unreadable);
        }
        long max = limits.maxBodyBytes();
        boolean tooLarge;
        if (bytes != null) {
            tooLarge = bytes.length > max;
        } else {
            String text = body.get();
            // Bounds first: a character takes one to three bytes (a surrogate pair, two characters, takes four).
            tooLarge = text.length() > max || (text.length() * 3L > max && utf8Length(text) > max);
        }
        if (tooLarge) {
            throw new VigilException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than "
                    + limits.maxBodyBytes() + " bytes; send fewer rows per request");
        }
    }

    private static final String JSON = "application/json";

    /**
     * Whether the media type before any parameter (RFC 9110 8.3.1) is exactly {@code application/json}, in any
     * case and between any white space: "application/jsonx" is not JSON. Read in place, as every request asks.
     */
    static boolean isJson(String contentType) {
        int from = 0;
        int to = contentType.indexOf(';');
        if (to < 0) {
            to = contentType.length();
        }
        while (from < to && Character.isWhitespace(contentType.charAt(from))) {
            from++;
        }
        while (to > from && Character.isWhitespace(contentType.charAt(to - 1))) {
            to--;
        }
        if (to - from != JSON.length()) {
            return false;
        }
        for (int i = 0; i < JSON.length(); i++) {
            char c = contentType.charAt(from + i);
            // ASCII case folding only: no other character lower-cases to one of these letters alone.
            if ((c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c) != JSON.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why a body with these headers would be misread, or null: bodies are read as uncompressed UTF-8 whatever the
     * headers say, so another charset or a Content-Encoding (other than identity) is refused, not converted.
     */
    public static String encodingProblem(String contentType, String contentEncoding) {
        if (contentType != null && contentType.indexOf(';') >= 0 && !charsetIsUtf8(contentType)) {
            return "the request body's charset is not UTF-8; send the body as UTF-8 (Content-Type: application/json"
                    + " or application/json; charset=utf-8)";
        }
        if (contentEncoding != null && !contentEncoding.isBlank() && !contentEncoding.strip().equalsIgnoreCase("identity")) {
            return "a Content-Encoding (compressed body) is not taken; send the body uncompressed, without"
                    + " Content-Encoding";
        }
        return null;
    }

    /** Whether a Content-Type's charset parameter, if it has one, names UTF-8 (in any case, quoted or not). */
    static boolean charsetIsUtf8(String contentType) {
        for (String parameter : contentType.substring(contentType.indexOf(';') + 1).split(";")) {
            int equals = parameter.indexOf('=');
            if (equals < 0 || !parameter.substring(0, equals).strip().equalsIgnoreCase("charset")) {
                continue;
            }
            String value = parameter.substring(equals + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (!value.equalsIgnoreCase("utf-8") && !value.equalsIgnoreCase("utf8")) {
                return false;
            }
        }
        return true;
    }

    /**
     * How many bytes {@code text} takes in UTF-8, as {@link String#getBytes} would write it (an unpaired surrogate
     * as one '?'), counted without writing them.
     */
    static long utf8Length(String text) {
        int n = text.length();
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** The statuses by code, made once: {@link HttpStatus#valueOf(int)} copies the enum's array on every call. */
    private static final HttpStatus[] STATUSES = statuses();

    private static HttpStatus[] statuses() {
        HttpStatus[] byCode = new HttpStatus[600];
        for (HttpStatus s : HttpStatus.values()) {
            if (s.value() >= 0 && s.value() < byCode.length) {
                byCode[s.value()] = s;
            }
        }
        return byCode;
    }

    /** {@link HttpStatus#valueOf(int)} without its copy per call; an unknown code fails as that does. */
    static HttpStatus status(int code) {
        HttpStatus known = code >= 0 && code < STATUSES.length ? STATUSES[code] : null;
        return known != null ? known : HttpStatus.valueOf(code);
    }

    /** A JSON response. */
    public static HttpResponseMessage json(HttpRequestMessage<?> request, int status, Object body,
            Map<String, String> headers) {
        HttpResponseMessage.Builder builder = request.createResponseBuilder(status(status))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Cache-Control", "no-store");
        headers.forEach(builder::header);
        if (body != null) {
            builder.body(Json.writeResponseBytes(body));
        }
        return builder.build();
    }

    /**
     * What a page may load: nothing but its own inline style, and forms post only back to Vigil. Pages carry no
     * script; a clinical application may still frame them, which is what the clinician's view is for.
     */
    public static final String PAGE_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
            + " form-action 'self'; base-uri 'none'";

    /** The headers of every page: it depends on {@code Accept}, loads nothing ({@link #PAGE_SECURITY_POLICY}), refers nowhere. */
    public static final Map<String, String> PAGE_HEADERS = Map.of("Vary", "Accept", "Content-Security-Policy",
            PAGE_SECURITY_POLICY, "Referrer-Policy", "no-referrer");

    /** A text response in the media type the handler chose. */
    private static HttpResponseMessage text(HttpRequestMessage<?> request, int status, Reply.Text text,
            Map<String, String> headers) {
        HttpResponseMessage.Builder builder = request.createResponseBuilder(status(status))
                .header("Content-Type", text.mediaType() + "; charset=utf-8")
                .header("Cache-Control", "no-store")
                .header("X-Content-Type-Options", "nosniff");
        headers.forEach(builder::header);
        return builder.body(text.content()).build();
    }

    /**
     * How long a caller is asked to wait before sending again a request answered 503 (a store that did not answer in
     * time, throttling its client's own retries did not outlast): long enough for a throttled store's window to pass,
     * short enough that a person at the command line waits for it.
     */
    public static final String RETRY_AFTER_SECONDS = "5";

    /**
     * The error body of every Vigil API; a 503, which a later try may get past, says when to try again
     * ({@code Retry-After}), as the local host's own busy answer does.
     */
    public static HttpResponseMessage error(HttpRequestMessage<?> request, ErrorCode code, String message, String requestId) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code.name());
        error.put("message", message);
        error.put("requestId", requestId);
        // An error may carry what the caller sent in a name: no browser is to read it as anything but JSON.
        return json(request, code.httpStatus(), Map.of("error", error), code.httpStatus() == 503
                ? Map.of("X-Content-Type-Options", "nosniff", "Retry-After", RETRY_AFTER_SECONDS)
                : Map.of("X-Content-Type-Options", "nosniff"));
    }

    /** Whether the request's {@code Accept} ranks a page above JSON. */
    private static boolean prefersHtml(HttpRequestMessage<?> request) {
        return prefersHtml(lowerCase(request.getHeaders()).get("accept"));
    }

    /**
     * Whether an {@code Accept} header (null when none was sent) ranks a page above JSON, as a browser's does; a
     * script's, which ranks both alike or sends none, gets JSON.
     */
    public static boolean prefersHtml(String accept) {
        return accept != null && ContentNegotiation.quality(accept, "text/html") > ContentNegotiation.quality(accept, JSON);
    }

    /**
     * The error of {@link #error} as a short page for a person in a browser: the same status, code, words and request
     * id, under the policy of every page ({@link #PAGE_SECURITY_POLICY}).
     */
    static HttpResponseMessage errorPage(HttpRequestMessage<?> request, ErrorCode code, String message, String requestId) {
        Map<String, String> headers = PAGE_HEADERS;
        if (code.httpStatus() == 503) {
            headers = new LinkedHashMap<>(PAGE_HEADERS);
            headers.put("Retry-After", RETRY_AFTER_SECONDS);
        }
        return text(request, code.httpStatus(), new Reply.Text("text/html", errorPageMarkup(code, message, requestId)),
                headers);
    }

    /**
     * The page of {@link #errorPage}: what a host that answers before any route runs (an unknown path, a method the
     * route does not take) sends a browser, so that it reads the same whoever answered.
     */
    public static String errorPageMarkup(ErrorCode code, String message, String requestId) {
        return Html.document("Error " + code.httpStatus() + ": " + code.name(), "<main id=\"main\">"
                + "<h1>The request could not be answered</h1><p data-fact=\"message\">" + Html.escape(message) + "</p>"
                + "<p class=\"muted\">HTTP " + code.httpStatus() + ", error <code data-fact=\"code\">" + code.name()
                + "</code>, request id <code>" + Html.escape(requestId) + "</code>.</p></main>");
    }

    /** Parses a path segment that must be a positive whole number. */
    public static int version(String raw) {
        int value = positiveWholeNumber(raw);
        if (value >= 1) {
            return value;
        }
        throw new ValidationException("version " + (raw != null && raw.length() <= 12 && raw.matches("[A-Za-z0-9._+-]+")
                ? "'" + raw + "'" : "(not repeated here)") + " is not valid: versions are whole numbers from 1, written"
                + " in ASCII digits (3, not +3, 03 or a full-width digit)");
    }

    /**
     * A whole number from 1 written the one way: ASCII digits without sign or leading zero, at most nine, so that
     * one resource has one spelling in paths and queries (Integer.parseInt also reads "+3", "03" and digits of
     * other scripts, which a rule matching paths would not see as 3); -1 for anything else.
     */
    public static int positiveWholeNumber(String raw) {
        long value = raw == null || raw.length() > 9 ? -1 : wholeNumber(raw);
        return value >= 1 ? (int) value : -1;
    }

    /**
     * A whole number from 0 written the one way, as {@link #positiveWholeNumber} reads one, up to 18 digits (a count of
     * bytes, such as an offset into a file); -1 for anything else.
     */
    public static long wholeNumber(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > 18 || (raw.length() > 1 && raw.charAt(0) == '0')) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static Map<String, String> lowerCase(Map<String, String> headers) {
        boolean lowerAlready = true;
        for (String name : headers.keySet()) {
            // toLowerCase hands back the very string when nothing changes: no copy to find out.
            lowerAlready &= name.toLowerCase(Locale.ROOT) == name;
        }
        if (lowerAlready) {
            return headers; // as the local host and the Functions host hand them over: not copied for every request
        }
        Map<String, String> lower = new LinkedHashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return lower;
    }

    /**
     * A copy of the failure with the stack trace but without messages: an unexpected exception's message may
     * quote input, and input may hold patient data.
     */
    static Throwable scrubbed(Throwable e) {
        Throwable copy = new Throwable(e.getClass().getName());
        copy.setStackTrace(e.getStackTrace());
        if (e.getCause() != null && e.getCause() != e) {
            copy.initCause(scrubbed(e.getCause()));
        }
        return copy;
    }
}

package health.vigil.host;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpResponseMessage;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.RandomIds;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * The local host's HTTP front: routes each request by method and route template to an HttpTrigger function
 * (or to the Event Grid webhook), hands it the request the way the Functions host does, and writes what the
 * function returns. Host-made errors use Vigil's JSON error shape; a function that throws gets a 500 that
 * carries a request id but never the exception's message.
 */
final class HttpFunctionHandler extends Handler.Abstract {
    private static final Logger LOG = Logger.getLogger(HttpFunctionHandler.class.getName());
    private static final String WEBHOOK_PATH = "/runtime/webhooks/eventgrid";

    private final FunctionCatalog catalog;
    private final FunctionInvoker invoker;
    private final EventGridWebhook webhook;
    private final int maxBodyBytes;
    private final Predicate<Map<String, String>> knownCaller;
    private final BiPredicate<String, Map<String, String>> allowedCaller;
    private final Set<String> probes;
    private final BiPredicate<String, Map<String, String>> inline;
    private final BiPredicate<String, Map<String, String>> inlineWhenAlone;
    private final Semaphore workers;

    /**
     * @param knownCaller whether a request's headers (lower-case names) carry credentials the platform knows;
     *     a request with a body from anyone else is refused before a byte of the body is read
     * @param allowedCaller whether a request's headers carry credentials allowed to call the named function (a known
     *     caller holding the role it requires); no other request runs inline, as its refusal writes evidence to disk
     * @param probes the health probe functions, which never wait behind other requests
     * @param sharedWorkers how many requests other than probes may run at once; the pool's other workers are
     *     kept for probes, so a flood of slow callers cannot make the host look dead to its orchestrator
     * @param inline which POST requests, by function name and query parameters, may run on the thread that read them
     *     ({@link #handleInline})
     * @param inlineWhenAlone which further ones may, when their connection is the only one on its selector
     */
    HttpFunctionHandler(FunctionCatalog catalog, FunctionInvoker invoker, int maxBodyBytes, String eventGridKey,
            Predicate<Map<String, String>> knownCaller, BiPredicate<String, Map<String, String>> allowedCaller,
            Set<String> probes, int sharedWorkers, BiPredicate<String, Map<String, String>> inline,
            BiPredicate<String, Map<String, String>> inlineWhenAlone) {
        this.catalog = catalog;
        this.invoker = invoker;
        this.maxBodyBytes = maxBodyBytes;
        this.knownCaller = knownCaller;
        this.allowedCaller = allowedCaller;
        this.probes = Set.copyOf(probes);
        this.inline = inline;
        this.inlineWhenAlone = inlineWhenAlone;
        this.workers = new Semaphore(sharedWorkers);
        this.webhook = new EventGridWebhook(catalog, invoker, eventGridKey);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        return handle(request, response, callback, RequestBody.NONE);
    }

    /**
     * Runs a POST that the inline rule names on the calling thread, Jetty's selector thread that read it, when its
     * caller is known and allowed to call the function: no hand-off to a pool thread, which on a busy host costs more
     * than the scoring itself (docs/adr/0026). A body still arriving is gathered as it comes, in steps Jetty calls
     * back, so a slow client holds neither the selector nor a worker; a body over the limit, cut short or failed goes
     * to {@code pool}, which answers it as before. Returns false, having read nothing, for every other request, an
     * unknown caller's and a known one's without the function's role among them, with a body or without: the caller
     * runs it on the pool.
     */
    boolean handleInline(Request request, Response response, Callback callback, Executor pool) {
        if (!"POST".equals(request.getMethod())) {
            return false;
        }
        List<String> path;
        try {
            path = PathSegments.decode(request.getHttpURI().getPath());
        } catch (RuntimeException e) {
            return false; // the pool's run answers it
        }
        if (isWebhook(path)) {
            return false;
        }
        Routed target = route(path, HttpMethod.POST); // the function the pool's run would pick
        if (target == null) {
            return false;
        }
        Map<String, String> query;
        try {
            query = query(request);
        } catch (ValidationException e) {
            return false; // the pool's run answers it
        }
        String name = target.function().name();
        if (!inline.test(name, query) && !(inlineWhenAlone.test(name, query) && aloneOnSelector(request))) {
            return false;
        }
        Map<String, String> headers = headers(request);
        if (!allowedCaller.test(name, headers)) {
            // Whatever its body: a request without one runs the function, whose answer to an unknown caller or to one
            // without the function's role (a refusal and its audit record, a write to the disk) would hold every
            // connection on this selector. With a body, the pool's run refuses an unknown caller on its headers,
            // before a byte of the body is read.
            return false;
        }
        new InlineCall(target.function(), target.values(), query, headers, request, response, callback, pool).run();
        return true;
    }

    /** Whether the request's connection is the only one its selector serves (always false off a socket). */
    private static boolean aloneOnSelector(Request request) {
        return request.getConnectionMetaData().getConnection().getEndPoint() instanceof SelectorAwareEndPoint endPoint
                && endPoint.aloneOnSelector();
    }

    /**
     * One inline request: its body gathered as it arrives, each step on the selector thread that Jetty calls back
     * when content may be there (no thread waits for a slow body), then the function called there too.
     */
    private final class InlineCall implements Invocable.Task {
        private final FunctionDefinition function;
        private final Map<String, String> routeValues;
        private final Map<String, String> query;
        private final Map<String, String> headers;
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Executor pool;
        private final RequestBody.Collector body;

        InlineCall(FunctionDefinition function, Map<String, String> routeValues, Map<String, String> query,
                Map<String, String> headers, Request request, Response response, Callback callback, Executor pool) {
            this.function = function;
            this.routeValues = routeValues;
            this.query = query;
            this.headers = headers;
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.pool = pool;
            this.body = new RequestBody.Collector(request, maxBodyBytes);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }

        @Override
        public void run() {
            switch (body.collect()) {
                case WAITING -> request.demand(this);
                case TOO_SLOW -> {
                    // Answered before the body is in: the connection closes after the reply, and says so.
                    ValidationException slow = body.refusal();
                    write(request, response, callback, HostReply.error(slow.code(), slow.getMessage(), RandomIds.uuid())
                            .withHeader("Connection", "close"));
                }
                case ELSEWHERE -> {
                    byte[] prefix = body.bytes();
                    try {
                        pool.execute(() -> handle(request, response, callback, prefix));
                    } catch (RejectedExecutionException e) {
                        write(request, response, callback, poolRefused());
                    }
                }
                case COMPLETE -> {
                    String requestId = RandomIds.uuid();
                    HostReply reply;
                    try {
                        reply = call(function, request, HttpMethod.POST, routeValues, query, headers, body.bytes(),
                                requestId);
                    } catch (ValidationException e) {
                        reply = HostReply.error(e.code(), e.getMessage(), requestId);
                    } catch (RuntimeException e) {
                        LOG.log(Level.SEVERE, () -> "request " + requestId + " failed in the host: " + e.getClass().getName());
                        reply = HostReply.internal(requestId);
                    }
                    write(request, response, callback, reply);
                }
            }
        }
    }

    /**
     * {@code pages} (the dashboard) on the workers the functions share: a page waits on the platform's stores, and the
     * sign-in form on its client, as a function does, so while the pages answer a request it holds one of those
     * workers. A path that is not one of {@code pagePaths} is left to the functions without taking a worker: they
     * answer it as ever, 404 or 405 from its route alone when no function serves it, busy or not. With no worker
     * free, a page's path is told 503 at once, unless a function's route matches it too (the functions answer it then:
     * a health probe runs on the workers kept for probes, anything else is told 503).
     *
     * @param pagePaths whether a request's path (as {@link Request#getPathInContext} gives it) is one the pages answer
     */
    Handler onSharedWorkers(Handler pages, Predicate<String> pagePaths) {
        return new Handler.Wrapper(pages) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                if (!pagePaths.test(Request.getPathInContext(request))) {
                    return false;
                }
                if (!workers.tryAcquire()) {
                    if (forFunctions(request)) {
                        return false;
                    }
                    HostReply busy = HostReply.error(request.getHeaders().get(HttpHeader.ACCEPT), ErrorCode.SERVER_BUSY,
                            BUSY, RandomIds.uuid(), Map.of("Retry-After", "1"));
                    // Answered before any body was read: the connection is closed after it, as in handle.
                    write(request, response, callback, RequestBody.consumed(request) ? busy
                            : busy.withHeader("Connection", "close"));
                    return true;
                }
                try {
                    return super.handle(request, response, callback);
                } finally {
                    workers.release();
                }
            }
        };
    }

    /** Whether the request's path is a function's route (for any method) or the Event Grid webhook, or invalid. */
    private boolean forFunctions(Request request) {
        List<String> path;
        try {
            path = PathSegments.decode(request.getHttpURI().getPath());
        } catch (RuntimeException e) {
            return true; // the functions refuse it with 400
        }
        if (isWebhook(path)) {
            return true;
        }
        for (FunctionDefinition f : catalog.httpFunctionsFor(path)) {
            if (((FunctionDefinition.Http) f.trigger()).route().match(path).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /** {@link #handle(Request, Response, Callback)} of a request of which {@code bodyPrefix} was already read. */
    boolean handle(Request request, Response response, Callback callback, byte[] bodyPrefix) {
        String requestId = RandomIds.uuid();
        HostReply reply;
        try {
            reply = dispatch(request, requestId, bodyPrefix);
        } catch (ValidationException e) {
            reply = HostReply.error(e.code(), e.getMessage(), requestId);
        } catch (RuntimeException | java.io.IOException e) {
            LOG.log(Level.SEVERE, () -> "request " + requestId + " failed in the host: " + e.getClass().getName());
            reply = HostReply.internal(requestId);
        }
        if (!RequestBody.consumed(request)) {
            // Answered before the body was read (refused on its headers, unknown route, busy): the connection
            // is closed after the reply and says so, so no client sends its next request down it.
            reply = reply.withHeader("Connection", "close");
        }
        if (request.getMethod().equalsIgnoreCase("HEAD")) {
            // What GET would answer, headers and length included, without the body.
            response.setStatus(reply.status());
            reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
            response.write(true, ByteBuffer.allocate(0), callback);
        } else {
            write(request, response, callback, reply);
        }
        return true;
    }

    private HostReply dispatch(Request request, String requestId, byte[] bodyPrefix) throws java.io.IOException {
        List<String> path = PathSegments.decode(request.getHttpURI().getPath());
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        if (isWebhook(path)) {
            if (!workers.tryAcquire()) {
                return busy(requestId);
            }
            try {
                return webhook.handle(request, method, requestId, () -> RequestBody.read(request, maxBodyBytes));
            } finally {
                workers.release();
            }
        }
        // HEAD is GET without the body (RFC 9110 9.3.2); the body is dropped when the reply is written.
        HttpMethod httpMethod = parseMethod(method.equals("HEAD") ? "GET" : method);
        Routed routed = httpMethod == null ? null : route(path, httpMethod);
        if (routed != null) {
            FunctionDefinition f = routed.function();
            if (probes.contains(f.name())) {
                return invoke(f, request, httpMethod, routed.values(), requestId, bodyPrefix);
            }
            if (!workers.tryAcquire()) {
                return busy(requestId);
            }
            try {
                return invoke(f, request, httpMethod, routed.values(), requestId, bodyPrefix);
            } finally {
                workers.release();
            }
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (FunctionDefinition f : catalog.httpFunctionsFor(path)) {
            FunctionDefinition.Http http = (FunctionDefinition.Http) f.trigger();
            if (http.route().match(path).isPresent()) {
                http.methods().forEach(m -> allowed.add(m.name()));
                if (http.accepts(HttpMethod.GET)) {
                    allowed.add("HEAD");
                }
            }
        }
        String accept = request.getHeaders().get(HttpHeader.ACCEPT);
        if (!allowed.isEmpty()) {
            // A method HTTP does not define is the client's own text, of any length: not repeated.
            return HostReply.error(accept, ErrorCode.METHOD_NOT_ALLOWED, "this route does not accept "
                    + (httpMethod == null ? "the method sent" : method) + "; it accepts " + String.join(", ", allowed),
                    requestId, Map.of("Allow", String.join(", ", allowed)));
        }
        return HostReply.error(accept, ErrorCode.NOT_FOUND, "no function serves this path; check the URL against the API"
                + " reference", requestId, Map.of());
    }

    /** Whether the decoded path, its segments joined by '/', is the Event Grid webhook's (in any case). */
    private static boolean isWebhook(List<String> path) {
        int length = path.size() - 1;
        for (String segment : path) {
            length += segment.length();
        }
        // Joined only when the length says it may be: every scoring request asks.
        return length == WEBHOOK_PATH.length() - 1 && String.join("/", path).equalsIgnoreCase(WEBHOOK_PATH.substring(1));
    }

    /** A function a path routes to, and the values of its route's parameters. */
    private record Routed(FunctionDefinition function, Map<String, String> values) {}

    /** The first function in precedence order whose route matches the path and that takes the method; null if none. */
    private Routed route(List<String> path, HttpMethod method) {
        for (FunctionDefinition f : catalog.httpFunctionsFor(path)) {
            FunctionDefinition.Http http = (FunctionDefinition.Http) f.trigger();
            if (http.accepts(method)) {
                Optional<Map<String, String>> values = http.route().match(path);
                if (values.isPresent()) {
                    return new Routed(f, values.get());
                }
            }
        }
        return null;
    }

    private HostReply invoke(FunctionDefinition f, Request request, HttpMethod method, Map<String, String> routeValues,
            String requestId, byte[] bodyPrefix) throws java.io.IOException {
        Map<String, String> headers = headers(request);
        if (RequestBody.hasBody(request) && !knownCaller.test(headers)) {
            // Refused on its headers alone: nothing of the body is read, and (like every reply sent before the body
            // was read, see handle) the connection is closed so the rest of it is never waited for.
            // A key that was sent and is unknown (a key of another platform's keys.json, a mistyped one) is said as
            // such: asking for a key the caller did send leaves it guessing.
            boolean sent = headers.containsKey("x-api-key") || headers.containsKey("authorization");
            return HostReply.error(ErrorCode.UNAUTHENTICATED, sent
                    ? "the API key sent is not one this platform knows; send a key of its keys.json in the x-api-key"
                            + " header (or as 'Authorization: Bearer <key>')"
                    : "send your API key in the x-api-key header (or as 'Authorization: Bearer <key>') with a request"
                            + " that has a body", requestId);
        }
        byte[] body = RequestBody.read(request, maxBodyBytes, bodyPrefix);
        return call(f, request, method, routeValues, query(request), headers, body, requestId);
    }

    /** Calls the function with the request's whole body and turns what it returns into the reply. */
    private HostReply call(FunctionDefinition f, Request request, HttpMethod method, Map<String, String> routeValues,
            Map<String, String> query, Map<String, String> headers, byte[] body, String requestId) {
        FunctionDefinition.BodyForm form = f.requestBodyForm();
        LocalHttpRequest message = new LocalHttpRequest(uri(request), method, headers, query, body(form, body));
        LocalExecutionContext context = LocalExecutionContext.of(requestId, f.name());
        try {
            Object result = invoker.invoke(f, FunctionInvoker.Input.http(message, routeValues), context);
            return reply(result, requestId, f);
        } catch (FunctionInvoker.FunctionFailure failure) {
            logFailure(f, requestId, failure.getCause());
            return HostReply.internal(requestId);
        }
    }

    private static final String BUSY = "every worker is busy; retry in a second";

    private static HostReply busy(String requestId) {
        return HostReply.error(503, ErrorCode.SERVER_BUSY, BUSY, requestId, Map.of("Retry-After", "1"));
    }

    /**
     * The 503 for a request the pool would not take: busy, and the connection closed, as its body may be unread.
     */
    static HostReply poolRefused() {
        return busy(RandomIds.uuid()).withHeader("Connection", "close");
    }

    /**
     * An event the function refused as the sender's mistake (a 4xx, which Event Grid does not deliver again): not a
     * failure of Vigil's, so INFO with its code only (the message may carry what the sender wrote).
     */
    static void logRefusal(FunctionDefinition f, String invocationId, health.vigil.error.ErrorCode code) {
        LOG.info(() -> "function " + f.name() + " refused its event (invocation " + invocationId + "): " + code);
    }

    static void logFailure(FunctionDefinition f, String invocationId, Throwable cause) {
        // The exception's class and where it was thrown, not its message: messages can carry request data.
        StackTraceElement at = cause.getStackTrace().length > 0 ? cause.getStackTrace()[0] : null;
        LOG.warning(() -> "function " + f.name() + " failed (invocation " + invocationId + "): " + cause.getClass().getName()
                + (at == null ? "" : " at " + at));
    }

    private static HostReply reply(Object result, String requestId, FunctionDefinition f) {
        if (result == null) {
            return HostReply.empty(204, Map.of());
        }
        int status = 200;
        Object body = result;
        Map<String, String> headers = new LinkedHashMap<>();
        if (result instanceof LocalHttpResponse local) {
            status = local.getStatusCode();
            body = local.getBody();
            headers.putAll(local.headers());
        } else if (result instanceof HttpResponseMessage message) {
            status = message.getStatusCode();
            body = message.getBody();
            String type = message.getHeader("Content-Type");
            if (type != null) {
                headers.put("Content-Type", type);
            }
        }
        if (status < 100 || status > 599) {
            logFailure(f, requestId, new IllegalStateException("status " + status));
            return HostReply.internal(requestId);
        }
        byte[] bytes;
        String defaultType;
        if (body == null) {
            bytes = new byte[0];
            defaultType = null;
        } else if (body instanceof byte[] b) {
            bytes = b;
            defaultType = "application/octet-stream";
        } else if (body instanceof String s) {
            bytes = s.getBytes(StandardCharsets.UTF_8);
            defaultType = "text/plain; charset=utf-8";
        } else {
            try {
                bytes = Json.writeBytes(body);
            } catch (IllegalStateException e) {
                logFailure(f, requestId, e);
                return HostReply.internal(requestId);
            }
            defaultType = HostReply.JSON;
        }
        if (defaultType != null && headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Content-Type"))) {
            headers.put("Content-Type", defaultType);
        }
        return new HostReply(status, headers, bytes);
    }

    private static Object body(FunctionDefinition.BodyForm form, byte[] body) {
        boolean empty = body.length == 0;
        return switch (form) {
            case OPTIONAL_STRING -> empty ? Optional.empty() : Optional.of(new String(body, StandardCharsets.UTF_8));
            case OPTIONAL_BYTES -> empty ? Optional.empty() : Optional.of(body);
            case STRING -> empty ? null : new String(body, StandardCharsets.UTF_8);
            case BYTES -> empty ? null : body;
        };
    }

    private static HttpMethod parseMethod(String method) {
        try {
            return HttpMethod.valueOf(method);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static URI uri(Request request) {
        try {
            return request.getHttpURI().toURI();
        } catch (RuntimeException e) {
            // A '%' not followed by two hex digits, for example: the URL cannot be handed to a function.
            throw new ValidationException("the request URL is not valid (a '%' must be followed by two hex digits;"
                    + " percent-encode the query string)");
        }
    }

    static Map<String, String> headers(Request request) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (HttpField field : request.getHeaders()) {
            headers.merge(field.getLowerCaseName(), field.getValue(), (a, b) -> a + ", " + b);
        }
        return headers;
    }

    /** The request's query parameters, one value per name (see {@link QueryString}). */
    static Map<String, String> query(Request request) {
        return QueryString.parse(request.getHttpURI().getQuery());
    }

    static void write(Request request, Response response, Callback callback, HostReply reply) {
        response.setStatus(reply.status());
        reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
    }

    /** Path splitting and percent-decoding per segment, so an encoded '/' stays inside its segment. */
    static final class PathSegments {
        private PathSegments() {}

        static List<String> decode(String rawPath) {
            List<String> segments = new ArrayList<>(4);
            if (rawPath == null || rawPath.isEmpty() || rawPath.equals("/")) {
                return segments;
            }
            // One leading and one trailing '/' dropped, then split at every '/' (empty segments kept).
            int from = rawPath.startsWith("/") ? 1 : 0;
            int to = rawPath.endsWith("/") ? rawPath.length() - 1 : rawPath.length();
            for (int start = from; ; ) {
                int slash = rawPath.indexOf('/', start);
                if (slash < 0 || slash >= to) {
                    segments.add(percentDecode(rawPath.substring(start, to)));
                    return segments;
                }
                segments.add(percentDecode(rawPath.substring(start, slash)));
                start = slash + 1;
            }
        }

        private static String percentDecode(String raw) {
            if (raw.indexOf('%') < 0) {
                return raw;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '%') {
                    if (i + 2 >= raw.length()) {
                        throw new ValidationException("the path has an incomplete percent-encoding");
                    }
                    int hi = Character.digit(raw.charAt(i + 1), 16);
                    int lo = Character.digit(raw.charAt(i + 2), 16);
                    if (hi < 0 || lo < 0) {
                        throw new ValidationException("the path has an invalid percent-encoding");
                    }
                    out.write(hi * 16 + lo);
                    i += 2;
                } else {
                    byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                    out.write(bytes, 0, bytes.length);
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}

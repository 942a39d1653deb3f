package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.cli.metrics.LocalMetrics;
import health.vigil.json.Json;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.html.Html;
import health.vigil.host.LocalFunction;
import health.vigil.host.RequestBody;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The local dashboard of {@code vigil up}: server-rendered pages at {@code /} and under {@code /dashboard/}, drawn
 * from the platform's own services (the ones the APIs call), with SVG charts, no script and nothing loaded from
 * elsewhere. A person signs in with an API key from {@code keys.json}; the key is checked again, with the role
 * each page needs, on every request, and a refusal is audited as the APIs' refusals are; a session whose key has been
 * withdrawn ends there, and the person is asked to sign in again. Every other path is left to the functions.
 */
public final class Dashboard extends Handler.Abstract {
    private static final Logger LOG = Logger.getLogger(Dashboard.class.getName());
    static final String COOKIE = "vigil_session";
    private static final int MAX_FORM_BYTES = 4096;
    /** The sign-in page's query parameter saying why a session ended, and its one value: the key was withdrawn. */
    private static final String ENDED = "ended";
    private static final String KEY_WITHDRAWN = "key-withdrawn";
    /** Pages may not be framed by anyone (the clinical view on the scoring route is the one meant to be embedded). */
    private static final String POLICY = HttpApi.PAGE_SECURITY_POLICY + "; frame-ancestors 'none'";

    private final Supplier<VigilPlatform> platform;
    private final Sessions sessions;
    private final List<View> views;

    /**
     * A dashboard of a platform that records no metrics here: its operations page says so.
     *
     * @param platform the running platform (read when a request comes, so the dashboard can be built first)
     * @param deadLetters the folder the event bus writes undeliverable events to
     */
    public Dashboard(Supplier<VigilPlatform> platform, Path deadLetters, Clock clock) {
        this(platform, deadLetters, clock, null, List::of);
    }

    /**
     * @param platform the running platform (read when a request comes, so the dashboard can be built first)
     * @param deadLetters the folder the event bus writes undeliverable events to
     * @param metrics the metrics the platform records here, which {@code GET /metrics} serves; null if none
     * @param functions the functions the host serves (read when a request comes), whose triggers tell the operations
     *     page a request's failure from a background function's
     */
    public Dashboard(Supplier<VigilPlatform> platform, Path deadLetters, Clock clock, LocalMetrics metrics,
            Supplier<List<LocalFunction>> functions) {
        this.platform = platform;
        this.sessions = new Sessions(clock);
        this.views = views(platform, deadLetters, metrics, functions);
    }

    /** Every page there is, in navigation order. */
    static List<View> views(Supplier<VigilPlatform> platform, Path deadLetters, LocalMetrics metrics,
            Supplier<List<LocalFunction>> functions) {
        MonitoringView monitoring = new MonitoringView(platform);
        return List.of(
                new OverviewView(platform, deadLetters),
                new ModelsView(platform),
                new ModelView(platform),
                new VersionView(platform),
                new VersionView.CardView(platform),
                new DeploymentsView(platform),
                monitoring,
                monitoring.ofOneModel(),
                new PredictionView(platform),
                new AuditView(platform),
                new OperationsView(metrics, functions, deadLetters),
                new DeadLettersView(deadLetters),
                new RunbookView(),
                new RunbookView.Index());
    }

    /**
     * Whether {@code path} (as {@link Request#getPathInContext} gives it) is the dashboard's: {@code /}, the sign-in
     * and sign-out forms, and everything under {@code /dashboard}. Decided from the path alone, so the host can leave
     * every other path to the functions without a worker.
     */
    public static boolean serves(String path) {
        return path.equals("/") || path.equals("/login") || path.equals("/logout")
                || path.equals("/dashboard") || path.startsWith("/dashboard/");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (!serves(path)) {
            return false;
        }
        String requestId = UUID.randomUUID().toString();
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        try {
            switch (path) {
                case "/login" -> login(request, response, callback, method);
                case "/logout" -> logout(request, response, callback, method);
                default -> page(request, response, callback, method, path, requestId);
            }
        } catch (VigilException e) {
            if (e.code().httpStatus() == 401 || e.code().httpStatus() == 403) {
                refused(method, path, request, e.code());
            }
            error(request, response, callback, e.code().httpStatus(), e.code(), e.getMessage(), requestId);
        } catch (RuntimeException e) {
            // The type only: a message may quote what was asked for.
            LOG.log(Level.SEVERE, () -> "dashboard request " + requestId + " failed: " + e.getClass().getName());
            error(request, response, callback, 500, ErrorCode.INTERNAL, "the page could not be drawn; quote request id "
                    + requestId + " to the operators", requestId);
        }
        return true;
    }

    private void page(Request request, Response response, Callback callback, String method, String path,
            String requestId) {
        String token = cookie(request);
        Optional<String> key = sessions.key(token);
        String back = path + (request.getHttpURI().getQuery() == null ? "" : "?" + request.getHttpURI().getQuery());
        String signIn = "/login?next=" + java.net.URLEncoder.encode(back, StandardCharsets.UTF_8);
        if (key.isPresent() && !stillValid(key.get())) {
            // Checked before the method, so a form posted in such a session is refused the same way and does nothing.
            sessions.close(token);
            refused(method, path, request, ErrorCode.UNAUTHENTICATED);
            response.getHeaders().add(HttpHeader.SET_COOKIE, sessionCookie(request, "", 0));
            redirect(response, callback, signIn + "&" + ENDED + "=" + KEY_WITHDRAWN);
            return;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new VigilException(ErrorCode.METHOD_NOT_ALLOWED, "dashboard pages are read with GET");
        }
        if (key.isEmpty()) {
            redirect(response, callback, signIn);
            return;
        }
        // The request kept the session alive for another IDLE; the cookie lives as long, or the browser would drop it
        // IDLE after sign-in while the person is still at work.
        response.getHeaders().add(HttpHeader.SET_COOKIE, sessionCookie(request, token, Sessions.IDLE.toSeconds()));
        List<String> segments = pageSegments(path);
        for (View view : views) {
            Optional<Map<String, String>> values = match(view.route(), segments);
            if (values.isEmpty()) {
                continue;
            }
            Principal principal = authorise(key.get(), view.role());
            View.Rendered rendered = view.render(new PageRequest(principal, values.get(), query(request)));
            send(request, response, callback, 200, rendered.document() ? rendered.body()
                    : shell(rendered.title(), principal, rendered.body()));
            return;
        }
        throw new VigilException(ErrorCode.NOT_FOUND, "the dashboard has no such page; start from the overview");
    }

    private Principal authorise(String key, Role role) {
        Map<String, String> headers = Map.of("x-api-key", key);
        VigilPlatform p = platform.get();
        return role == null ? p.authenticator().authenticate(headers) : p.authenticator().require(headers, role);
    }

    /**
     * Whether a session's key is still one of the platform's: one taken out of {@code keys.json} (or changed there) is
     * not, and its session ends at once rather than answering every page 401 until it has been idle long enough.
     */
    private boolean stillValid(String key) {
        try {
            platform.get().authenticator().authenticate(Map.of("x-api-key", key));
            return true;
        } catch (AccessDeniedException e) {
            return false;
        }
    }

    private void refused(String method, String path, Request request, ErrorCode code) {
        try {
            VigilPlatform p = platform.get();
            Principal principal = signedIn(request);
            p.authenticator().refused(method, declaredRoute(path), path, principal == null ? null : principal.id(), code);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, () -> "a refused dashboard request could not be audited: " + e.getClass().getName());
        }
    }

    private void login(Request request, Response response, Callback callback, String method) throws Exception {
        String next = safeNext(query(request).get("next"));
        if (method.equals("GET") || method.equals("HEAD")) {
            send(request, response, callback, 200, loginPage(next, KEY_WITHDRAWN.equals(query(request).get(ENDED))
                    ? "Your key was withdrawn or changed, so your session has ended; sign in again with a key from"
                            + " keys.json." : null));
            return;
        }
        if (!method.equals("POST")) {
            throw new VigilException(ErrorCode.METHOD_NOT_ALLOWED, "sign in with GET (the form) or POST (the key)");
        }
        checkSameOrigin(request);
        long length = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (length > MAX_FORM_BYTES || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING))) {
            throw new VigilException(ErrorCode.PAYLOAD_TOO_LARGE, "the sign-in form is larger than it can be");
        }
        // Read as the host reads a function's body: a form trickling in slower than the host's minimum data rate is
        // refused with 408 rather than holding a worker for as long as its client likes.
        Map<String, String> form = form(utf8(RequestBody.read(request, MAX_FORM_BYTES)));
        String key = form.getOrDefault("key", "").strip();
        next = safeNext(form.getOrDefault("next", next));
        try {
            platform.get().authenticator().authenticate(Map.of("x-api-key", key));
        } catch (AccessDeniedException e) {
            refused("POST", "/login", request, e.code());
            send(request, response, callback, 401, loginPage(next, "That key is not one of this platform's keys."
                    + " Keys are in keys.json in the Vigil home folder."));
            return;
        }
        String token = sessions.open(key);
        response.getHeaders().add(HttpHeader.SET_COOKIE, sessionCookie(request, token, Sessions.IDLE.toSeconds()));
        redirect(response, callback, next);
    }

    private void logout(Request request, Response response, Callback callback, String method) {
        if (!method.equals("POST")) {
            throw new VigilException(ErrorCode.METHOD_NOT_ALLOWED, "sign out with the form's button (POST)");
        }
        checkSameOrigin(request);
        sessions.close(cookie(request));
        response.getHeaders().add(HttpHeader.SET_COOKIE, sessionCookie(request, "", 0));
        redirect(response, callback, "/login");
    }

    /**
     * The session cookie. {@code Secure} when the request came over HTTPS, as its URL's scheme says (Jetty sets it from
     * the connection; no forwarded header is trusted for it, the host configures none), so a browser never sends the
     * session back over plain HTTP. Over plain HTTP ({@code vigil up} on loopback) a browser would drop a Secure
     * cookie, so there it has none.
     */
    static String sessionCookie(Request request, String value, long maxAgeSeconds) {
        return COOKIE + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + maxAgeSeconds
                + (request.isSecure() ? "; Secure" : "");
    }

    /**
     * Forms are posted only from the dashboard's own pages: a browser's Origin header says where from. An origin of
     * "null" (a sandboxed frame, a file or data page) is not this dashboard; no Origin at all is a client that is not
     * a browser page.
     */
    private static void checkSameOrigin(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null) {
            return;
        }
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host == null || !(origin.equals("http://" + host) || origin.equals("https://" + host))) {
            throw new VigilException(ErrorCode.FORBIDDEN, "the form was sent from another site");
        }
    }

    /**
     * Only a path on this dashboard, so signing in can never send anyone elsewhere. No white space or control
     * character anywhere: browsers drop tabs and line breaks from a URL, so "/\t/evil.example" would become
     * "//evil.example", another site.
     */
    private static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.contains("\\")
                || next.startsWith("/login") || next.length() > 500
                || next.chars().anyMatch(c -> c <= 0x20 || c == 0x7f || Character.isWhitespace(c)
                        || Character.getType(c) == Character.FORMAT)) {
            return "/";
        }
        return next;
    }

    private String shell(String title, Principal principal, String body) {
        StringBuilder nav = new StringBuilder("<nav aria-label=\"Dashboard\"><ul>");
        for (View view : views) {
            if (view.navigation() != null && (view.role() == null || principal.has(view.role()))) {
                String href = view.route().isEmpty() ? "/" : "/dashboard/" + view.route();
                nav.append("<li><a href=\"").append(escape(href)).append("\">").append(escape(view.navigation()))
                        .append("</a></li>");
            }
        }
        nav.append("</ul></nav>");
        String header = "<a class=\"skip\" href=\"#main\">Skip to content</a><header class=\"site\"><strong>Vigil</strong>"
                + nav + "<form method=\"post\" action=\"/logout\"><span class=\"signed-in\">Signed in as "
                + escape(principal.id()) + "</span> <button type=\"submit\">Sign out</button></form></header>";
        return Html.document(title + " \u2013 Vigil", header + "<main id=\"main\"><h1>" + escape(title) + "</h1>" + body
                + "</main>");
    }

    private static String loginPage(String next, String problem) {
        String body = "<main id=\"main\"><h1>Sign in to Vigil</h1>"
                + (problem == null ? "" : "<p role=\"alert\" class=\"status-bad\">" + escape(problem) + "</p>")
                + "<form class=\"login\" method=\"post\" action=\"/login\">"
                + "<label for=\"key\">API key</label>"
                + "<input id=\"key\" name=\"key\" type=\"password\" autocomplete=\"off\" required autofocus>"
                + "<input type=\"hidden\" name=\"next\" value=\"" + escape(next) + "\">"
                + "<button type=\"submit\">Sign in</button></form>"
                + "<p class=\"muted\">Use the key of your role from keys.json in the Vigil home folder. Each page"
                + " needs the role its API needs.</p></main>";
        return Html.document("Sign in \u2013 Vigil", body);
    }

    /** An error page; inside the dashboard's frame when the person is signed in, so the navigation stays. */
    private void error(Request request, Response response, Callback callback, int status, ErrorCode code,
            String message, String requestId) {
        String title = status == 403 ? "Not allowed" : status == 404 ? "Not found"
                : status >= 500 ? "Something went wrong" : "Cannot show this page";
        String body = "<p role=\"alert\"><strong>" + escape(code.name()) + "</strong>: " + escape(message) + "</p>"
                + "<p class=\"muted\">Request id " + escape(requestId) + ". <a href=\"/\">Overview</a></p>";
        Principal principal = signedIn(request);
        send(request, response, callback, status, principal != null ? shell(title, principal, body)
                : Html.document(title + " \u2013 Vigil", "<main id=\"main\"><h1>" + title + "</h1>" + body + "</main>"));
    }

    /** Who is signed in on this request, or null. */
    private Principal signedIn(Request request) {
        try {
            Optional<String> key = sessions.key(cookie(request));
            return key.isEmpty() ? null : platform.get().authenticator().authenticate(Map.of("x-api-key", key.get()));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void send(Request request, Response response, Callback callback, int status, String html) {
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put("Content-Security-Policy", POLICY);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        // Nothing of a page's address leaves for another site; its own forms still carry their real Origin (under
        // no-referrer a browser sends "Origin: null", which sign-in must refuse as it refuses a sandboxed frame's).
        response.getHeaders().put("Referrer-Policy", "same-origin");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        boolean head = request.getMethod().equalsIgnoreCase("HEAD");
        response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(bytes), callback);
    }

    private static void redirect(Response response, Callback callback, String location) {
        response.setStatus(303);
        response.getHeaders().put(HttpHeader.LOCATION, location);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, ByteBuffer.allocate(0), callback);
    }

    private static String cookie(Request request) {
        for (HttpCookie c : Request.getCookies(request)) {
            if (COOKIE.equals(c.getName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private static Map<String, String> query(Request request) {
        Map<String, String> query = new LinkedHashMap<>();
        Fields fields;
        try {
            fields = Request.extractQueryParameters(request);
        } catch (RuntimeException badEncoding) {
            // Jetty's refusal of %zz or bytes that are not UTF-8: the caller's to fix, as the API answers it (400).
            throw new health.vigil.error.ValidationException("the query string is not valid URL encoding (a % must be"
                    + " followed by two hexadecimal digits, and the bytes must be UTF-8)");
        }
        for (Fields.Field f : fields) {
            // As the API: which of two values a page would use is not the caller's choice, so neither is taken.
            if (f.getValues().size() > 1) {
                throw new health.vigil.error.ValidationException("query parameter " + Json.quotedName(f.getName())
                        + " is given more than once; give each query parameter once");
            }
            query.put(f.getName(), f.getValue());
        }
        return query;
    }

    /** The form's text: its bytes must be UTF-8, as a browser sends the sign-in page's form. */
    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            // Not repeated: the form carries an API key.
            throw new health.vigil.error.ValidationException("the form is not UTF-8; send its fields URL-encoded as"
                    + " UTF-8, as a browser sends this page's form");
        }
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                String name;
                String value;
                try {
                    name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
                    value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException badEncoding) {
                    // Not repeated: the form carries an API key.
                    throw new health.vigil.error.ValidationException("the form is not valid URL encoding (a % must be"
                            + " followed by two hexadecimal digits)");
                }
                if (form.put(name, value) != null) {
                    // key=A&key=B signed in as whichever came last.
                    throw new health.vigil.error.ValidationException("the form gives " + Json.quotedName(name)
                            + " more than once; send each field once");
                }
            }
        }
        return form;
    }

    /** The segments of a page's path under {@code /dashboard/} (none for the overview). */
    private static List<String> pageSegments(String path) {
        String sub = path.equals("/") || path.equals("/dashboard") ? "" : path.substring("/dashboard/".length());
        return sub.isEmpty() ? List.of() : List.of(sub.split("/", -1));
    }

    /** The route of the page or form {@code path} reaches, as declared ({@code dashboard/models/{name}}), or null. */
    private String declaredRoute(String path) {
        if (path.equals("/login") || path.equals("/logout")) {
            return path.substring(1);
        }
        List<String> segments = pageSegments(path);
        for (View view : views) {
            if (match(view.route(), segments).isPresent()) {
                return view.route().isEmpty() ? "dashboard" : "dashboard/" + view.route();
            }
        }
        return null;
    }

    /** The values of a route such as {@code models/{name}} in the path's segments, or empty when it does not match. */
    static Optional<Map<String, String>> match(String route, List<String> segments) {
        List<String> parts = route.isEmpty() ? List.of() : List.of(route.split("/"));
        if (parts.size() != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (part.startsWith("{") && part.endsWith("}")) {
                if (segments.get(i).isEmpty()) {
                    return Optional.empty();
                }
                values.put(part.substring(1, part.length() - 1), segments.get(i));
            } else if (!part.equals(segments.get(i))) {
                return Optional.empty();
            }
        }
        return Optional.of(values);
    }

}

package health.vigil.cli.metrics;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Authenticator;
import health.vigil.security.Role;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /metrics} on the local host: the metrics {@link LocalMetrics} holds, in the Prometheus text exposition
 * format, for a caller whose API key holds {@code Deployments.Operate} (the operator persona's role). Refusals are
 * answered as the functions answer them (401 without a known key, 403 without the role, 405 for another method; the
 * error shape {@code {"error": {"code", "message", "requestId"}}}) and a 401 or 403 is audited as theirs are. The
 * metrics carry model ids, versions, slots, codes and outcomes only, never patient data.
 */
public final class MetricsRoute extends Handler.Abstract {
    private static final Logger LOG = Logger.getLogger(MetricsRoute.class.getName());
    /** The route as the audit of a refusal names it. */
    static final String ROUTE = "metrics";
    static final Role ROLE = Role.DEPLOYMENTS_OPERATE;

    private final Supplier<VigilPlatform> platform;
    private final LocalMetrics metrics;

    /** @param platform the running platform, read when a request comes (so the route can be built first) */
    public MetricsRoute(Supplier<VigilPlatform> platform, LocalMetrics metrics) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Whether {@code path} (as {@link Request#getPathInContext} gives it) is this route's: {@code /metrics}. */
    public static boolean serves(String path) {
        return path.equals("/" + ROUTE);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!serves(path)) {
            return false;
        }
        String requestId = UUID.randomUUID().toString();
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        Map<String, String> headers = headers(request);
        try {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                throw new VigilException(ErrorCode.METHOD_NOT_ALLOWED, "the metrics are read with GET /metrics");
            }
            VigilPlatform running = platform.get();
            if (running == null) {
                throw new VigilException(ErrorCode.SERVER_BUSY, "the platform is still starting; ask again shortly");
            }
            running.authenticator().require(headers, ROLE);
            byte[] text = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            write(response, callback, method, 200, PrometheusText.CONTENT_TYPE, text, Map.of());
        } catch (VigilException e) {
            if (e.code().httpStatus() == 401 || e.code().httpStatus() == 403) {
                refused(method, path, headers, e.code());
            }
            error(response, callback, method, e.code(), e.getMessage(), requestId);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, () -> "metrics request " + requestId + " failed: " + e.getClass().getName());
            error(response, callback, method, ErrorCode.INTERNAL, "the metrics could not be read; quote request id "
                    + requestId + " to the operators", requestId);
        }
        return true;
    }

    /** The request's headers with lower-case names, as the functions' authentication reads them. */
    private static Map<String, String> headers(Request request) {
        Map<String, String> headers = new TreeMap<>();
        for (HttpField field : request.getHeaders()) {
            headers.putIfAbsent(field.getName().toLowerCase(Locale.ROOT), field.getValue());
        }
        return headers;
    }

    private void refused(String method, String path, Map<String, String> headers, ErrorCode code) {
        try {
            Authenticator authenticator = platform.get().authenticator();
            String principalId = null;
            if (code == ErrorCode.FORBIDDEN) {
                try {
                    principalId = authenticator.authenticate(headers).id();
                } catch (AccessDeniedException unknown) {
                    // refused before the caller was known
                }
            }
            authenticator.refused(method, ROUTE, path, principalId, code);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, () -> "a refused metrics request could not be audited: " + e.getClass().getName());
        }
    }

    private static void error(Response response, Callback callback, String method, ErrorCode code, String message,
            String requestId) {
        ObjectNode body = Json.mapper().createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code.name());
        error.put("message", message);
        error.put("requestId", requestId);
        Map<String, String> extra = code == ErrorCode.METHOD_NOT_ALLOWED ? Map.of("Allow", "GET, HEAD")
                : code.httpStatus() == 503 ? Map.of("Retry-After", "1") : Map.of();
        write(response, callback, method, code.httpStatus(), "application/json; charset=utf-8",
                body.toString().getBytes(StandardCharsets.UTF_8), extra);
    }

    private static void write(Response response, Callback callback, String method, int status, String type,
            byte[] bytes, Map<String, String> extra) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        extra.forEach(response.getHeaders()::put);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, method.equals("HEAD") ? ByteBuffer.allocate(0) : ByteBuffer.wrap(bytes), callback);
    }
}

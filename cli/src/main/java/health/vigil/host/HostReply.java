package health.vigil.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ErrorCode;
import health.vigil.functions.common.HttpApi;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP answer the host writes: status, headers and body bytes. Errors the host raises itself (unknown
 * route, wrong method, body too large, a function that threw) use Vigil's error shape
 * {@code {"error": {"code", "message", "requestId"}}}, so clients see one format whoever answered.
 */
record HostReply(int status, Map<String, String> headers, byte[] body) {
    static final String JSON = "application/json; charset=utf-8";

    HostReply {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status " + status + " is outside 100-599");
        }
    }

    HostReply withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HostReply(status, more, body);
    }

    static HostReply error(ErrorCode code, String message, String requestId) {
        return error(code.httpStatus(), code, message, requestId, Map.of());
    }

    static HostReply error(int status, ErrorCode code, String message, String requestId, Map<String, String> extraHeaders) {
        ObjectNode error = Json.mapper().createObjectNode();
        ObjectNode inner = error.putObject("error");
        inner.put("code", code.name());
        inner.put("message", message);
        inner.put("requestId", requestId);
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put("Content-Type", JSON);
        headers.put("X-Content-Type-Options", "nosniff");
        return new HostReply(status, headers, error.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * An error the host raises before any function runs, as the functions' own pages answer one: a page for a client
     * whose {@code Accept} prefers HTML (a browser), the JSON of {@link #error} otherwise. Either way it says that it
     * depends on {@code Accept}.
     */
    static HostReply error(String accept, ErrorCode code, String message, String requestId,
            Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        if (!HttpApi.prefersHtml(accept)) {
            headers.put("Vary", "Accept");
            return error(code.httpStatus(), code, message, requestId, headers);
        }
        headers.putAll(HttpApi.PAGE_HEADERS);
        headers.put("Content-Type", "text/html; charset=utf-8");
        headers.put("Cache-Control", "no-store");
        headers.put("X-Content-Type-Options", "nosniff");
        return new HostReply(code.httpStatus(), headers,
                HttpApi.errorPageMarkup(code, message, requestId).getBytes(StandardCharsets.UTF_8));
    }

    static HostReply json(int status, Object body) {
        return new HostReply(status, Map.of("Content-Type", JSON), Json.writeBytes(body));
    }

    static HostReply empty(int status, Map<String, String> headers) {
        return new HostReply(status, headers, new byte[0]);
    }

    /** The answer when a function failed: the cause is logged by the caller, never sent. */
    static HostReply internal(String requestId) {
        return error(ErrorCode.INTERNAL, "the function failed; the host log has the details under request id " + requestId,
                requestId);
    }
}

package health.vigil.host;

import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** The response a function builds with {@code request.createResponseBuilder(...)}, kept until the host writes it. */
final class LocalHttpResponse implements HttpResponseMessage {
    private final HttpStatusType status;
    private final Map<String, String> headers;
    private final Object body;

    private LocalHttpResponse(HttpStatusType status, Map<String, String> headers, Object body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    @Override
    public HttpStatusType getStatus() {
        return status;
    }

    @Override
    public String getHeader(String name) {
        return name == null ? null : headers.get(name);
    }

    /** Every header the function set, names as the function spelled them, by name (read-only). */
    Map<String, String> headers() {
        return headers;
    }

    @Override
    public Object getBody() {
        return body;
    }

    /** The builder behind {@code createResponseBuilder}. */
    static final class Builder implements HttpResponseMessage.Builder {
        private HttpStatusType status;
        // Header names are case-insensitive in HTTP; the later of two spellings wins, as in the Functions host.
        private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private Object body;

        Builder(HttpStatusType status) {
            this.status = Objects.requireNonNull(status, "status");
        }

        @Override
        public HttpResponseMessage.Builder status(HttpStatusType newStatus) {
            this.status = Objects.requireNonNull(newStatus, "status");
            return this;
        }

        @Override
        public HttpResponseMessage.Builder header(String name, String value) {
            Objects.requireNonNull(name, "header name");
            Objects.requireNonNull(value, "header value");
            headers.remove(name);
            headers.put(name, value);
            return this;
        }

        @Override
        public HttpResponseMessage.Builder body(Object newBody) {
            this.body = newBody;
            return this;
        }

        @Override
        public HttpResponseMessage build() {
            Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            copy.putAll(headers);
            return new LocalHttpResponse(status, Collections.unmodifiableMap(copy), body);
        }
    }
}

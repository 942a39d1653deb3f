package health.vigil.functions.common.testing;

import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatusType;
import java.util.HashMap;
import java.util.Map;

/**
 * A response builder as the Functions host hands one to a function ({@code request.createResponseBuilder}), for the
 * unit tests of functions that run without a host: what it builds keeps the status, headers and body it was given.
 */
public final class HostResponse implements HttpResponseMessage.Builder {
    private HttpStatusType status;
    private final Map<String, String> headers = new HashMap<>();
    private Object body;

    public HostResponse(HttpStatusType status) {
        this.status = status;
    }

    @Override
    public HttpResponseMessage.Builder status(HttpStatusType status) {
        this.status = status;
        return this;
    }

    @Override
    public HttpResponseMessage.Builder header(String key, String value) {
        headers.put(key, value);
        return this;
    }

    @Override
    public HttpResponseMessage.Builder body(Object body) {
        this.body = body;
        return this;
    }

    @Override
    public HttpResponseMessage build() {
        HttpStatusType builtStatus = status;
        Map<String, String> builtHeaders = Map.copyOf(headers);
        Object builtBody = body;
        return new HttpResponseMessage() {
            @Override
            public HttpStatusType getStatus() {
                return builtStatus;
            }

            @Override
            public String getHeader(String key) {
                return builtHeaders.get(key);
            }

            @Override
            public Object getBody() {
                return builtBody;
            }
        };
    }
}

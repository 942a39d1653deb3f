package health.vigil.functions.common;

import java.util.Map;

/** What a handler answers when 200 with a JSON body is not enough: a status, a body and extra headers. */
public record Reply(int status, Object body, Map<String, String> headers) {
    public Reply {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public static Reply of(int status, Object body) {
        return new Reply(status, body, Map.of());
    }

    /** A 200 whose body is text of {@code mediaType} (UTF-8) rather than JSON. */
    public static Reply text(String mediaType, String content, Map<String, String> headers) {
        return new Reply(200, new Text(mediaType, content), headers);
    }

    /**
     * A 200 web page (or fragment) that may load nothing from anywhere ({@link HttpApi#PAGE_SECURITY_POLICY}),
     * answered according to the request's {@code Accept} header.
     */
    public static Reply page(String markup) {
        return text("text/html", markup, HttpApi.PAGE_HEADERS);
    }

    /** A body written as it is, with its own media type. */
    public record Text(String mediaType, String content) {}
}

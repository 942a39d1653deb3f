package health.vigil.functions.common;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.security.Principal;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP call after authentication: who is calling, its query, its headers (names in lower case), and its body
 * parsed on demand.
 */
public record Call(Principal principal, String requestId, Map<String, String> query, Optional<String> body,
        Map<String, String> headers) {

    public Call {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /** A call without headers. */
    public Call(Principal principal, String requestId, Map<String, String> query, Optional<String> body) {
        this(principal, requestId, query, body, Map.of());
    }

    /**
     * Whether the caller asked for JSON rather than a page: its Accept header ranks {@code application/json} above
     * {@code text/html} (by quality, then by order). Without an Accept header, or with one that names neither, the
     * answer is a page.
     */
    public boolean prefersJson() {
        String accept = headers.get("accept");
        if (accept == null) {
            return false;
        }
        double json = -1;
        double html = -1;
        int jsonAt = Integer.MAX_VALUE;
        int htmlAt = Integer.MAX_VALUE;
        String[] ranges = accept.split(",");
        for (int i = 0; i < ranges.length; i++) {
            String[] parts = ranges[i].split(";");
            String type = parts[0].strip().toLowerCase(java.util.Locale.ROOT);
            double q = 1;
            for (int p = 1; p < parts.length; p++) {
                String param = parts[p].strip();
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (type.equals("application/json") && q > json) {
                json = q;
                jsonAt = i;
            } else if (type.equals("text/html") && q > html) {
                html = q;
                htmlAt = i;
            }
        }
        return json > 0 && (json > html || (json == html && jsonAt < htmlAt));
    }

    /** The body as JSON; a missing or malformed body is a 400 that says where it went wrong. */
    public JsonNode json() {
        String text = body.orElse("");
        if (text.isBlank()) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, "the request has no body: send a JSON document");
        }
        return Json.readTree("the request body", text.getBytes(StandardCharsets.UTF_8));
    }

    public Optional<String> queryParam(String name) {
        return Optional.ofNullable(query.get(name)).filter(v -> !v.isBlank());
    }

    /** A boolean query parameter; anything but true/false is a 400. */
    public boolean flag(String name, boolean fallback) {
        return queryParam(name).map(v -> switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ValidationException("query parameter '" + name + "' must be true or false");
        }).orElse(fallback);
    }
}

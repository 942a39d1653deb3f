package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/** The CLI's side of the control and scoring APIs: JSON over HTTP, authenticated with one persona's API key. */
final class ControlClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final URI base;
    private final String apiKey;

    ControlClient(URI base, String apiKey) {
        this.base = Objects.requireNonNull(base, "base");
        this.apiKey = apiKey;
    }

    /** The same platform, called with another key. */
    ControlClient as(String otherKey) {
        return new ControlClient(base, otherKey);
    }

    /**
     * One call: {@code body} (null for none) is sent as JSON. The timeout outlasts the longest wait of a call (a
     * monitoring run waits up to two minutes for a fanned-out window's merge).
     */
    HttpResponse<String> exchange(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(180));
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** A GET that asks for one representation through {@code Accept}. */
    HttpResponse<String> get(String path, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Accept", accept).GET();
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** A call that must answer {@code expectedStatus}; anything else is an error quoting the answer. */
    JsonNode send(String method, String path, Object body, int expectedStatus) throws IOException, InterruptedException {
        HttpResponse<String> response = exchange(method, path, body);
        if (response.statusCode() != expectedStatus) {
            throw new CallFailed(method + " " + path + " answered " + response.statusCode() + " (expected "
                    + expectedStatus + "): " + response.body());
        }
        return parse(response.body());
    }

    static JsonNode parse(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }

    /** A call the platform refused or answered unexpectedly. */
    static final class CallFailed extends RuntimeException {
        CallFailed(String message) {
            super(message);
        }
    }
}

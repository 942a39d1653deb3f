package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.functions.testing.TestRecorder;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local host's HTTP front over real HTTP: routing, bindings, and the errors the host itself answers. */
class LocalHostHttpIT {
    private static final int BODY_LIMIT = 64 * 1024;

    @TempDir
    static Path home;

    private static LocalHost host;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        host = LocalHost.builder()
                .home(home)
                .port(0)
                .packages("health.vigil.functions.testing.http")
                .instanceInjector(new TestInjector(new TestRecorder()))
                .subscriptions(List.of())
                .maxRequestBodyBytes(BODY_LIMIT)
                // POSTs to the echo run on the selector, as scoring does in `vigil up`: the routing tests cover both.
                .inline((function, query) -> function.equals("EchoVersion"))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        host.close();
    }

    /** A second host on the test functions, with a home of its own under the shared one. */
    private static LocalHost.Builder another(String prefix) throws java.io.IOException {
        return LocalHost.builder()
                .home(java.nio.file.Files.createTempDirectory(home, prefix))
                .port(0)
                .packages("health.vigil.functions.testing.http")
                .instanceInjector(new TestInjector(new TestRecorder()))
                .subscriptions(List.of());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(host.baseUri().resolve(path));
    }

    private static JsonNode json(HttpResponse<String> response) {
        return Json.readTree("response", response.body().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void routesByTemplateAndBindsPathQueryHeadersAndBody() throws Exception {
        HttpResponse<String> response = send(at("/echo/readmission%20risk/versions/7?q=a%26b&q=second")
                .header("X-Trace", "t-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"rows\":[1,2]}")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        assertThat(response.headers().firstValue("x-echo")).contains("yes");
        JsonNode seen = json(response);
        assertThat(seen.get("function").asText()).isEqualTo("EchoVersion");
        assertThat(seen.get("invocationId").asText()).hasSize(36);
        assertThat(seen.get("name").asText()).isEqualTo("readmission risk");
        assertThat(seen.get("version").asInt()).isEqualTo(7);
        assertThat(seen.get("method").asText()).isEqualTo("POST");
        assertThat(seen.get("path").asText()).isEqualTo("/echo/readmission%20risk/versions/7");
        assertThat(seen.get("q").asText()).isEqualTo("a&b");
        assertThat(seen.get("traceHeader").asText()).isEqualTo("t-1");
        assertThat(seen.get("headerKeysLowerCase").asBoolean()).isTrue();
        assertThat(seen.get("body").asText()).isEqualTo("{\"rows\":[1,2]}");
    }

    @Test
    void aGetWithoutBodyGivesAnEmptyOptional() throws Exception {
        JsonNode seen = json(send(at("/echo/m/versions/1").GET()));

        assertThat(seen.get("body").isNull()).isTrue();
        assertThat(seen.get("method").asText()).isEqualTo("GET");
    }

    @Test
    void aConstraintThatDoesNotMatchIsNotFound() throws Exception {
        HttpResponse<String> response = send(at("/echo/m/versions/latest").GET());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(json(response).at("/error/code").asText()).isEqualTo("NOT_FOUND");
    }

    @Test
    void literalRouteWinsOverParameterRoute() throws Exception {
        assertThat(send(at("/models/latest").GET()).body()).isEqualTo("the latest model");
        assertThat(send(at("/MODELS/adherence").GET()).body()).isEqualTo("model adherence");
    }

    @Test
    void optionalParameterMayBeLeftOut() throws Exception {
        assertThat(send(at("/greet").GET()).body()).isEqualTo("hello nobody");
        assertThat(send(at("/greet/ann").GET()).body()).isEqualTo("hello ann");
    }

    @Test
    void aFunctionWithoutRouteIsServedAtItsNameAndAPojoResultIsJson() throws Exception {
        HttpResponse<String> response = send(at("/defaultroute").GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        assertThat(json(response).get("served").asText()).isEqualTo("by name");
    }

    @Test
    void binaryBodyArrivesByteForByte() throws Exception {
        byte[] body = new byte[40_000];
        new Random(7).nextBytes(body);

        HttpResponse<String> response = send(at("/upload").PUT(HttpRequest.BodyPublishers.ofByteArray(body)));

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(json(response).get("length").asInt()).isEqualTo(body.length);
        assertThat(json(response).get("sha256").asText()).isEqualTo(Sha256.hex(body));
    }

    @Test
    void unknownPathIs404InVigilsErrorShape() throws Exception {
        HttpResponse<String> response = send(at("/no/such/route").GET());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("application/json");
        JsonNode error = json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("NOT_FOUND");
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("requestId").asText()).hasSize(36);
    }

    @Test
    void knownRouteWithWrongMethodIs405WithAllow() throws Exception {
        HttpResponse<String> response = send(at("/models/adherence").DELETE());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).contains("GET, HEAD");
        assertThat(json(response).at("/error/code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
    }

    /** What a browser sends: a page first, anything after. */
    private static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    @Test
    void aBrowserIsAnsweredAPageForAnUnknownPathOrAWrongMethodAndAScriptJson() throws Exception {
        HttpResponse<String> missing = send(at("/no/such/route").header("Accept", BROWSER_ACCEPT).GET());
        HttpResponse<String> wrongMethod = send(at("/models/adherence").header("Accept", BROWSER_ACCEPT).DELETE());

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(missing.headers().firstValue("content-security-policy")).isPresent();
        assertThat(missing.headers().firstValue("vary")).contains("Accept");
        assertThat(missing.body()).startsWith("<!DOCTYPE html>")
                .contains("<p data-fact=\"message\">no function serves this path; check the URL against the API"
                        + " reference</p>", "HTTP 404, error <code data-fact=\"code\">NOT_FOUND</code>, request id <code>")
                .containsPattern("request id <code>[0-9a-f-]{36}</code>");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).contains("GET, HEAD");
        assertThat(wrongMethod.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(wrongMethod.body()).contains("<p data-fact=\"message\">this route does not accept DELETE; it accepts"
                + " GET, HEAD</p>", "HTTP 405, error <code data-fact=\"code\">METHOD_NOT_ALLOWED</code>");
        // A script's Accept, which ranks JSON as high as a page, and none at all: JSON, as before.
        for (String accept : List.of("application/json, text/html", "*/*")) {
            HttpResponse<String> script = send(at("/no/such/route").header("Accept", accept).GET());
            assertThat(script.headers().firstValue("content-type").orElse("")).as(accept).startsWith("application/json");
            assertThat(json(script).at("/error/code").asText()).isEqualTo("NOT_FOUND");
        }
    }

    // A method HTTP does not define is the client's own text, of any length: the 405 says what the route accepts
    // without repeating it.
    @Test
    void aMethodHttpDoesNotDefineIs405WithoutRepeatingIt() throws Exception {
        String response = raw("X".repeat(4_000) + "SECRET /models/adherence HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 405");
        JsonNode error = errorIn(response);
        assertThat(error.get("code").asText()).isEqualTo("METHOD_NOT_ALLOWED");
        assertThat(error.get("message").asText()).contains("it accepts GET, HEAD").doesNotContain("SECRET")
                .hasSizeLessThan(200);
        assertThat(send(at("/models/adherence").DELETE()).body()).contains("does not accept DELETE");
    }

    @Test
    void bodyOverTheLimitIs413() throws Exception {
        HttpResponse<String> response = send(at("/upload")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[BODY_LIMIT + 1])));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response).at("/error/code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(json(response).at("/error/message").asText()).contains(String.valueOf(BODY_LIMIT))
                .contains("POST /batches", "VIGIL_MAX_BODY_BYTES");
    }

    @Test
    void bodyOverTheLimitWithoutContentLengthIs413() throws Exception {
        // A streamed body has no Content-Length, so the limit is enforced while reading.
        byte[] chunk = new byte[BODY_LIMIT / 4];
        HttpResponse<String> response = send(at("/upload").PUT(HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.SequenceInputStream(java.util.Collections.enumeration(List.of(
                        new java.io.ByteArrayInputStream(chunk), new java.io.ByteArrayInputStream(chunk),
                        new java.io.ByteArrayInputStream(chunk), new java.io.ByteArrayInputStream(chunk),
                        new java.io.ByteArrayInputStream(chunk)))))));

        assertThat(response.statusCode()).isEqualTo(413);
    }

    @Test
    void aThrowingFunctionGives500WithoutItsMessage() throws Exception {
        HttpResponse<String> response = send(at("/explode").POST(HttpRequest.BodyPublishers.ofString("{}")));

        assertThat(response.statusCode()).isEqualTo(500);
        JsonNode error = json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("INTERNAL");
        assertThat(response.body()).doesNotContain("MRN-4411").doesNotContain("IllegalStateException");
        assertThat(error.get("message").asText()).contains(error.get("requestId").asText());
    }

    @Test
    void malformedRequestsAreAnsweredInVigilsErrorShapeToo() throws Exception {
        // Neither can be sent with HttpClient: a broken percent-encoding, and a request line Jetty itself refuses.
        for (String requestLine : List.of("GET /models/%zz HTTP/1.1", "GET /models/a b c HTTP/1.1")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", host.port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

                assertThat(response).startsWith("HTTP/1.1 400");
                String body = response.substring(response.indexOf("\r\n\r\n") + 4);
                assertThat(Json.readTree("error", body.getBytes(StandardCharsets.UTF_8)).at("/error/code").asText())
                        .isEqualTo("INVALID_REQUEST");
            }
        }
    }

    @Test
    void theHostListensOnLoopbackOnly() {
        URI base = host.baseUri();

        assertThat(base.getHost()).isEqualTo("127.0.0.1");
        assertThat(host.port()).isPositive();
        assertThat(host.functions()).extracting(LocalFunction::name)
                .contains("EchoVersion", "ModelByName", "LatestModel", "Greet", "Explode", "UploadBytes", "DefaultRoute");
    }

    /** The error object of a whole raw answer ({@link #raw}). */
    private static JsonNode errorIn(String response) {
        return Json.readTree("error", response.substring(response.indexOf("\r\n\r\n") + 4)
                .getBytes(StandardCharsets.UTF_8)).get("error");
    }

    /**
     * Sends raw bytes, one for each character of {@code request}, and reads the whole answer (the request asks the server
     * to close the connection).
     */
    private static String raw(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", host.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // Point 10: a lone '%' in the query string is the client's mistake, so a 400 in Vigil's error shape.
    @Test
    void aQueryStringWithABrokenPercentEncodingIs400() throws Exception {
        for (String target : List.of("/echo/a/versions/1?%", "/models/adherence?%", "/greet?x=%zz")) {
            String method = target.startsWith("/echo") ? "POST" : "GET";
            String response = raw(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(response).as(target).startsWith("HTTP/1.1 400");
            JsonNode error = errorIn(response);
            assertThat(error.get("code").asText()).as(target).isEqualTo("INVALID_REQUEST");
            assertThat(error.get("requestId").asText()).as(target).isNotBlank();
        }
    }

    // A URL Jetty refuses before routing (encoded '/' or '..', '//', a backslash, NUL, bad UTF-8, %u escapes) gets a
    // 400 in Vigil's shape that says what was wrong, without repeating the URL.
    @Test
    void aUrlRefusedBeforeRoutingSaysWhatWasWrong() throws Exception {
        java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("/models/a%2FSECRET", "encoded '/' (%2F)");
        expected.put("/models/%2e%2e/SECRET", "encoded '.' or '..' segment");
        expected.put("/models//SECRET", "empty segment");
        expected.put("/models/a%5CSECRET", "backslash or a control character");
        expected.put("/models/a%00SECRET", "send no NUL or control characters");
        expected.put("/models/SECRET%ZZ", "a '%' is followed by two hex digits");
        expected.put("/models/SECRET%C0%AF", "not percent-encoded UTF-8");
        expected.put("/models/SECRET%uFF0F", "%u escapes");
        for (java.util.Map.Entry<String, String> target : expected.entrySet()) {
            String response = raw("GET " + target.getKey() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(response).as(target.getKey()).startsWith("HTTP/1.1 400");
            JsonNode error = errorIn(response);
            assertThat(error.get("code").asText()).as(target.getKey()).isEqualTo("INVALID_REQUEST");
            assertThat(error.get("message").asText()).as(target.getKey()).contains(target.getValue())
                    .doesNotContain("SECRET");
        }
    }

    // Point 14: HEAD is GET without the body: same status and headers, Content-Length of the body GET would send.
    @Test
    void headAnswersLikeGetWithoutABody() throws Exception {
        HttpResponse<String> get = send(at("/models/adherence").GET());
        HttpResponse<String> head = send(at("/models/adherence").method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertThat(head.statusCode()).isEqualTo(get.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-type")).isEqualTo(get.headers().firstValue("content-type"));
        assertThat(head.headers().firstValueAsLong("content-length").orElseThrow())
                .isEqualTo(get.body().getBytes(StandardCharsets.UTF_8).length);
        HttpResponse<String> wrong = send(at("/models/adherence").DELETE());
        assertThat(wrong.headers().firstValue("allow").orElseThrow()).contains("GET", "HEAD");
    }

    // Point 13: slow unauthenticated clients are refused before their body is read; slow known clients hold
    // at most the shared workers, are cut off by the idle timeout, and health probes answer throughout.
    @Test
    void slowClientsNeitherHoldWorkersNorStopHealthProbes() throws Exception {
        LocalHost small = another("slow-")
                .httpThreads(8)
                .knownCaller(headers -> "good-key".equals(headers.get("x-api-key")))
                .probeFunctions(java.util.Set.of("Greet"))
                .idleTimeout(java.time.Duration.ofSeconds(2))
                .build()
                .start();
        List<java.net.Socket> sockets = new java.util.ArrayList<>();
        try {
            String slowHead = "POST /echo/a/versions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n";
            // Forty strangers, more than the pool has workers, each sending one byte of a 100 kB body.
            for (int i = 0; i < 40; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port());
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write((slowHead + "\r\n{").getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            for (java.net.Socket socket : sockets) {
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).isEqualTo("HTTP/1.1 401");
            }
            HttpResponse<String> probe = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/greet/x"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(probe.statusCode()).isEqualTo(200);

            // Known callers that stall mid-body: they take the shared workers, never the probes'.
            List<java.net.Socket> known = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port());
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write((slowHead + "x-api-key: good-key\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                known.add(socket);
                sockets.add(socket);
            }
            Thread.sleep(300); // let the host dispatch them
            HttpResponse<String> probeAgain = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/greet/y"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(probeAgain.statusCode()).isEqualTo(200);
            HttpResponse<String> busy = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/models/x"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(json(busy).at("/error/code").asText()).isEqualTo("SERVER_BUSY");
            assertThat(busy.headers().firstValue("retry-after")).contains("1");
            // Those beyond the shared workers were told 503 at once; the idle timeout cuts the others' stalled
            // bodies off (408, or the connection closed), freeing their workers.
            int cutOff = 0;
            for (java.net.Socket socket : known) {
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).isIn("", "HTTP/1.1 408", "HTTP/1.1 503");
                cutOff += answer.equals("HTTP/1.1 503") ? 0 : 1;
            }
            assertThat(cutOff).isPositive();
            HttpResponse<String> after = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/models/x"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(200);
        } finally {
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
            small.close();
        }
    }

    // A known client that trickles its body, a byte at a time and never silent for the idle timeout, is cut off by
    // the minimum data rate (Jetty 12's core keeps that setting without enforcing it), and frees its worker.
    @Test
    void aBodyTricklingInSlowerThanTheMinimumRateIsCutOffWith408() throws Exception {
        assertTrickleCutOff(another("trickle-"));
    }

    // A request with a body is refused on its headers; one that sent a key the platform does not know is told so,
    // rather than asked for a key it sent.
    @Test
    void aBodyWithAnUnknownKeyIsRefusedNamingTheKeyNotAskingForOne() throws Exception {
        LocalHost small = another("unknown-key-")
                .knownCaller(headers -> "good-key".equals(headers.get("x-api-key")))
                .build()
                .start();
        try {
            HttpRequest.Builder post = HttpRequest.newBuilder(small.baseUri().resolve("/echo/a/versions/1"))
                    .timeout(java.time.Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("{\"i\":1}"));
            HttpResponse<String> wrong = CLIENT.send(post.copy().header("x-api-key", "other-platforms-key").build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> none = CLIENT.send(post.build(), HttpResponse.BodyHandlers.ofString());

            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(Json.mapper().readTree(wrong.body()).at("/error/message").asText())
                    .startsWith("the API key sent is not one this platform knows")
                    .doesNotContain("other-platforms-key");
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(Json.mapper().readTree(none.body()).at("/error/message").asText())
                    .startsWith("send your API key in the x-api-key header");
        } finally {
            small.close();
        }
    }

    // The same on a function answered on the selector thread (ADR 0026), which gathers the body without a worker.
    @Test
    void aBodyTricklingInToAnInlineFunctionIsCutOffWith408Too() throws Exception {
        assertTrickleCutOff(another("trickle-inline-").inline((function, query) -> function.equals("EchoVersion")));
    }

    // A known client that sends its body steadily above the minimum data rate, yet too slowly to finish in reasonable
    // time (4 MiB at 1.1 KB/s takes about an hour), is cut off once the request body timeout passes, and the one worker
    // the functions share is free again.
    @Test
    void aBodyArrivingAboveTheMinimumRateIsCutOffWith408WhenTheRequestBodyTimeoutPasses() throws Exception {
        JsonNode error = cutOffByTheBodyTimeout(another("body-timeout-"), "HTTP/1.1 408");
        assertThat(error.at("/error/code").asText()).isEqualTo("REQUEST_TIMEOUT");
        assertThat(error.at("/error/message").asText()).isEqualTo("the request body was still arriving after 2 s, the"
                + " most the host waits for a body; send the whole body at once, over a connection that delivers it"
                + " within that time");
    }

    // The same on a function answered on the selector thread (ADR 0026).
    @Test
    void aBodyArrivingAboveTheMinimumRateToAnInlineFunctionIsCutOffWith408WhenTheRequestBodyTimeoutPasses()
            throws Exception {
        JsonNode error = cutOffByTheBodyTimeout(another("body-timeout-inline-")
                .inline((function, query) -> function.equals("EchoVersion")), "HTTP/1.1 408");
        assertThat(error.at("/error/message").asText()).startsWith("the request body was still arriving after 2 s");
    }

    // A body over the limit is read on and thrown away so that its client sees the 413; that ends with the request body
    // timeout too, rather than after up to 64 MiB at the client's pace.
    @Test
    void anOversizedBodyIsThrownAwayNoLongerThanTheRequestBodyTimeout() throws Exception {
        JsonNode error = cutOffByTheBodyTimeout(another("body-timeout-oversized-").maxRequestBodyBytes(1000),
                "HTTP/1.1 413");
        assertThat(error.at("/error/code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    /**
     * Sends a body of a declared 1,000,000 bytes, 512 bytes every 100 ms (five times the minimum rate), to a host with
     * a request body timeout of 2 s and a single worker shared by the functions, until the host answers; checks the
     * answer's status line and that the connection closes, then that the shared worker takes the next request. Returns
     * the answer's JSON.
     */
    private static JsonNode cutOffByTheBodyTimeout(LocalHost.Builder builder, String statusLine) throws Exception {
        LocalHost small = builder
                .httpThreads(4)
                .knownCaller(headers -> "good-key".equals(headers.get("x-api-key")))
                .idleTimeout(java.time.Duration.ofSeconds(30))
                .minRequestBytesPerSecond(1024)
                .requestBodyTimeout(java.time.Duration.ofSeconds(2))
                .build()
                .start();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port())) {
            socket.setSoTimeout(20_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /echo/a/versions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000000\r\nx-api-key: good-key\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            java.io.InputStream in = socket.getInputStream();
            byte[] piece = new byte[512];
            java.util.Arrays.fill(piece, (byte) '1');
            long guard = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
            // Without the timeout the loop's guard ends with the body still arriving, and the read below times out.
            while (in.available() == 0 && System.nanoTime() - guard < 0) {
                try {
                    out.write(piece);
                    out.flush();
                } catch (java.io.IOException closed) {
                    break; // the host answered and closed while these bytes were on their way
                }
                Thread.sleep(100);
            }
            String head = readHead(in);
            assertThat(head).startsWith(statusLine);
            assertThat(head.toLowerCase(java.util.Locale.ROOT)).contains("connection: close");
            JsonNode error = jsonBody(head, in);
            HttpResponse<String> after = CLIENT.send(
                    HttpRequest.newBuilder(small.baseUri().resolve("/echo/b/versions/2"))
                            .header("x-api-key", "good-key").timeout(java.time.Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"i\":1}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(200);
            return error;
        } finally {
            small.close();
        }
    }

    private static void assertTrickleCutOff(LocalHost.Builder builder) throws Exception {
        LocalHost small = builder
                .httpThreads(8)
                .knownCaller(headers -> "good-key".equals(headers.get("x-api-key")))
                .idleTimeout(java.time.Duration.ofSeconds(30))
                .minRequestBytesPerSecond(1024)
                .build()
                .start();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port())) {
            socket.setSoTimeout(20_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /echo/a/versions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\nx-api-key: good-key\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            java.io.InputStream in = socket.getInputStream();
            long started = System.nanoTime();
            // A byte every 100 ms: far inside the idle timeout, far below 1,024 bytes a second. Without the rate the
            // loop's guard ends, the idle timeout answers much later with another message, or the read times out.
            while (in.available() == 0 && System.nanoTime() - started < java.util.concurrent.TimeUnit.SECONDS.toNanos(15)) {
                try {
                    out.write('1');
                    out.flush();
                } catch (java.io.IOException closed) {
                    break; // the host answered and closed while this byte was on its way
                }
                Thread.sleep(100);
            }
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 408");
            assertThat(head.toLowerCase(java.util.Locale.ROOT)).contains("connection: close")
                    .contains("x-content-type-options: nosniff");
            JsonNode error = jsonBody(head, in);
            assertThat(error.at("/error/code").asText()).isEqualTo("REQUEST_TIMEOUT");
            assertThat(error.at("/error/message").asText()).contains("slower than 1024 bytes a second");
            HttpResponse<String> after = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/echo/b/versions/2"))
                    .header("x-api-key", "good-key").timeout(java.time.Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"i\":1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(200);
        } finally {
            small.close();
        }
    }

    // A client that sends its request line and then a header byte every 200 ms is never silent for the idle timeout;
    // the request head timeout, counted from the head's first byte, closes its connection.
    @Test
    void aHeadTricklingInIsClosedOnceTheRequestHeadTimeoutPasses() throws Exception {
        java.time.Duration limit = java.time.Duration.ofSeconds(1);
        LocalHost small = another("head-trickle-").idleTimeout(java.time.Duration.ofSeconds(30))
                .requestHeadTimeout(limit).build().start();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port())) {
            socket.setSoTimeout(200);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = socket.getInputStream();
            out.write("GET /greet/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            boolean closed = false;
            // A generous bound, three times the limit: the test is about the connection ending, not about when.
            while (!closed && System.nanoTime() - started < 3 * limit.toNanos()) {
                try {
                    out.write('a');
                    out.flush();
                    closed = in.read() < 0; // waits up to 200 ms: nothing is answered before the head is complete
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // the next byte
                } catch (java.io.IOException reset) {
                    closed = true;
                }
            }
            assertThat(closed).as("the connection is closed within three times the request head timeout").isTrue();
            HttpResponse<String> after = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/greet/y"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(200);
        } finally {
            small.close();
        }
    }

    // The request head timeout is the head's alone: a body arriving steadily for longer, and a kept-alive connection
    // idle between requests for longer, are not cut off by it.
    @Test
    void aSteadyBodyAndAnIdleKeptAliveConnectionOutlastTheRequestHeadTimeout() throws Exception {
        LocalHost small = another("head-steady-").idleTimeout(java.time.Duration.ofSeconds(30))
                .requestHeadTimeout(java.time.Duration.ofSeconds(1)).build().start();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port())) {
            socket.setSoTimeout(20_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = socket.getInputStream();
            String body = "\"" + "x".repeat(12 * 1024 - 2) + "\"";
            out.write(("POST /echo/a/versions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // 1 KiB every 200 ms, about 5 KiB a second (above the minimum rate), for more than two seconds.
            for (int i = 0; i < body.length(); i += 1024) {
                out.write(body.substring(i, Math.min(body.length(), i + 1024)).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(200);
            }
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(jsonBody(head, in).at("/body").asText()).hasSize(body.length());
            Thread.sleep(1500); // idle between requests, longer than the request head timeout
            out.write("GET /greet/y HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200");
        } finally {
            small.close();
        }
    }

    // ADR 0026: an inline function's request whose body is still arriving continues on the pool, whole, and holds
    // neither the selector nor anyone else's request meanwhile.
    @Test
    void anInlineRequestWhoseBodyIsStillArrivingHoldsNeitherTheSelectorNorOtherRequests() throws Exception {
        LocalHost one = another("inline-")
                .selectors(1)
                .inline((function, query) -> function.equals("EchoVersion"))
                .build()
                .start();
        try (java.net.Socket slow = new java.net.Socket("127.0.0.1", one.port())) {
            slow.setSoTimeout(10_000);
            byte[] body = ("{\"rows\":[" + "1,".repeat(2_000) + "2]}").getBytes(StandardCharsets.US_ASCII);
            java.io.OutputStream out = slow.getOutputStream();
            out.write(("POST /echo/slow/versions/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            Thread.sleep(300); // the selector has read the headers and half the body

            // The one selector goes on serving other connections: inline requests, and the rest.
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> other = CLIENT.send(HttpRequest.newBuilder(one.baseUri().resolve("/echo/b/versions/" + i))
                        .timeout(java.time.Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"i\":" + i + "}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(other.statusCode()).isEqualTo(200);
                assertThat(json(other).get("body").asText()).isEqualTo("{\"i\":" + i + "}");
            }
            HttpResponse<String> greet = CLIENT.send(HttpRequest.newBuilder(one.baseUri().resolve("/greet/x"))
                    .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(greet.statusCode()).isEqualTo(200);

            out.write(body, body.length / 2, body.length - body.length / 2);
            out.flush();
            java.io.InputStream in = slow.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200");
            JsonNode seen = jsonBody(head, in);
            assertThat(seen.get("name").asText()).isEqualTo("slow");
            assertThat(seen.get("body").asText()).isEqualTo(new String(body, StandardCharsets.US_ASCII));
        } finally {
            one.close();
        }
    }

    // ADR 0027: a request that only the when-alone rule names runs on its selector while its connection is the only
    // one there, and on the pool while another connection shares the selector.
    @Test
    void aRequestRunsInlineWhileItsConnectionIsAloneOnItsSelectorAndOnThePoolOtherwise() throws Exception {
        LocalHost one = another("alone-")
                .selectors(1)
                .inlineWhenAlone((function, query) -> function.equals("EchoVersion"))
                .build()
                .start();
        try (java.net.Socket first = new java.net.Socket("127.0.0.1", one.port())) {
            first.setSoTimeout(10_000);
            assertThat(echoOnPool(first, 1)).as("alone on the selector").isFalse();
            try (java.net.Socket second = new java.net.Socket("127.0.0.1", one.port())) {
                second.setSoTimeout(10_000);
                assertThat(echoOnPool(second, 2)).as("sharing the selector").isTrue();
                assertThat(echoOnPool(first, 3)).as("sharing the selector").isTrue();
            }
            // The selector drops the closed connections' keys at its next select: alone again soon after.
            boolean onPool = true;
            for (int i = 0; i < 50 && onPool; i++) {
                Thread.sleep(20);
                onPool = echoOnPool(first, 10 + i);
            }
            assertThat(onPool).as("alone again once the others closed").isFalse();
        } finally {
            one.close();
        }
    }

    /** POSTs to the echo on an open keep-alive connection and returns whether a pool worker ran it. */
    private static boolean echoOnPool(java.net.Socket socket, int version) throws java.io.IOException {
        byte[] body = ("{\"v\":" + version + "}").getBytes(StandardCharsets.US_ASCII);
        java.io.OutputStream out = socket.getOutputStream();
        out.write(("POST /echo/alone/versions/" + version + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        java.io.InputStream in = socket.getInputStream();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200");
        JsonNode seen = jsonBody(head, in);
        assertThat(seen.get("version").asInt()).isEqualTo(version);
        return seen.get("onPool").asBoolean();
    }

    // ADR 0026: inline requests need no pool worker, so they are answered while slow clients hold every one.
    @Test
    void inlineRequestsAreAnsweredWhileSlowClientsHoldEveryWorker() throws Exception {
        LocalHost small = another("inline-busy-")
                .httpThreads(8)
                .knownCaller(headers -> "good-key".equals(headers.get("x-api-key")))
                .inline((function, query) -> function.equals("EchoVersion"))
                .idleTimeout(java.time.Duration.ofSeconds(20))
                .build()
                .start();
        List<java.net.Socket> sockets = new java.util.ArrayList<>();
        try {
            // Stalled bodies of a function that runs on the pool; stalled bodies of an inline one hold no worker at all.
            String slowHead = "POST /explode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\nx-api-key: good-key\r\n\r\n{";
            String slowInline = slowHead.replace("/explode", "/echo/a/versions/1");
            for (int i = 0; i < 8; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port());
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(slowInline.getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            for (int i = 0; i < 8; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", small.port());
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(slowHead.getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            Thread.sleep(300); // the first eight wait for their bodies without a thread; the others take every worker

            HttpResponse<String> onPool = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/models/x"))
                    .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(onPool.statusCode()).isEqualTo(503);
            HttpResponse<String> inline = CLIENT.send(HttpRequest.newBuilder(small.baseUri().resolve("/echo/b/versions/2"))
                    .timeout(java.time.Duration.ofSeconds(10)).header("x-api-key", "good-key")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"patient\":1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(inline.statusCode()).isEqualTo(200);
            assertThat(json(inline).get("body").asText()).isEqualTo("{\"patient\":1}");
        } finally {
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
            small.close();
        }
    }

    // A chunked body that breaks the chunked syntax (a size that is not hexadecimal or overflows, data longer than its
    // size) is the client's mistake, said as such: not a 408 telling it to send faster. On the pool and inline alike.
    @Test
    void aMalformedChunkedBodyIs400SayingHowToChunk() throws Exception {
        java.util.Map<String, String> bodies = java.util.Map.of(
                "a size that is not hexadecimal", "zz\r\n{}\r\n0\r\n\r\n",
                "a size that overflows", "FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
                "a negative size", "-2\r\n{}\r\n0\r\n\r\n",
                "data longer than its size", "2\r\n{}XX\r\n0\r\n\r\n");
        for (String target : List.of("PUT /upload", "POST /echo/a/versions/1")) {
            for (java.util.Map.Entry<String, String> body : bodies.entrySet()) {
                String response = raw(target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body.getValue());
                String as = target + ", " + body.getKey();
                assertThat(response).as(as).startsWith("HTTP/1.1 400");
                JsonNode error = errorIn(response);
                assertThat(error.get("code").asText()).as(as).isEqualTo("INVALID_REQUEST");
                assertThat(error.get("message").asText()).as(as).contains("chunked")
                        .contains("size in hexadecimal");
            }
        }
        HttpResponse<String> after = send(at("/echo/b/versions/2").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(after.statusCode()).isEqualTo(200);
    }

    // A body under a transfer coding besides chunked (gzip, deflate) would reach the function still coded, read as if it
    // were the body itself: it is refused (415), on the pool and inline alike, and the connection is closed.
    @Test
    void aBodyUnderATransferCodingOtherThanChunkedIs415() throws Exception {
        for (String target : List.of("PUT /upload", "POST /echo/a/versions/1")) {
            String response = raw(target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n");

            assertThat(response).as(target).startsWith("HTTP/1.1 415");
            JsonNode error = errorIn(response);
            assertThat(error.get("code").asText()).as(target).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
            assertThat(error.get("message").asText()).as(target).contains("Transfer-Encoding").contains("chunked alone");
        }
    }

    // A client that asks before sending (Expect: 100-continue) a body its Content-Length puts over the limit is told 413
    // at once, not invited to send megabytes that are then thrown away. On the pool and inline alike.
    @Test
    void aBodyOverTheLimitThatAsksFirstIsRefusedBeforeItIsSent() throws Exception {
        for (String target : List.of("PUT /upload", "POST /echo/a/versions/1")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", host.port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write((target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                        + "\r\nContent-Length: " + 100L * BODY_LIMIT + "\r\nExpect: 100-continue\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                java.io.InputStream in = socket.getInputStream();
                String head = readHead(in);

                assertThat(head).as(target).startsWith("HTTP/1.1 413");
                assertThat(head.toLowerCase(java.util.Locale.ROOT)).as(target).contains("connection: close");
                JsonNode error = jsonBody(head, in).get("error");
                assertThat(error.get("code").asText()).as(target).isEqualTo("PAYLOAD_TOO_LARGE");
                assertThat(error.get("message").asText()).as(target).contains(String.valueOf(BODY_LIMIT));
            }
        }
    }

    // A request Jetty refuses on its head (framing headers that can be read two ways, a missing Host, a line HTTP does
    // not allow, a version the host does not speak, a head over the limit) is told what was wrong and what to send,
    // in a client error's code, without its own text repeated.
    @Test
    void aHeadRefusedBeforeRoutingSaysWhatWasWrongAndWhatToSend() throws Exception {
        String get = "GET /greet/SECRET HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        List<List<String>> cases = List.of(
                List.of(get + "Content-Length: -SECRET\r\n", "400", "INVALID_REQUEST", "Content-Length header is not"),
                List.of(get + "Content-Length: 2\r\nContent-Length: 3\r\n", "400", "INVALID_REQUEST", "exactly one Content-Length"),
                List.of(get + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "400", "INVALID_REQUEST",
                        "both a Transfer-Encoding and a Content-Length"),
                List.of(get + "Transfer-Encoding: identity\r\n", "400", "INVALID_REQUEST", "'Transfer-Encoding: chunked'"),
                List.of("GET /greet/SECRET HTTP/1.1\r\n", "400", "INVALID_REQUEST", "must carry a Host header"),
                List.of(get + "Host: SECRET\r\n", "400", "INVALID_REQUEST", "exactly one Host header"),
                List.of(get + "X-SECRET: a\u0001b\r\n", "400", "INVALID_REQUEST", "'Name: value' on one line"),
                List.of(get + "X-SECRET: a\r\n folded\r\n", "400", "INVALID_REQUEST", "'Name: value' on one line"),
                List.of("GET http://SECRET.example/greet/x HTTP/1.1\r\nHost: 127.0.0.1\r\n", "400", "INVALID_REQUEST",
                        "send the path alone"),
                List.of("GET /greet/SECRET\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\n", "400", "INVALID_REQUEST", "é is %C3%A9"),
                List.of("GET /../SECRET HTTP/1.1\r\nHost: 127.0.0.1\r\n", "400", "INVALID_REQUEST", "above the root"),
                List.of("GET /greet/SECRET HTTP/3.0\r\nHost: 127.0.0.1\r\n", "505", "INVALID_REQUEST", "send HTTP/1.1"),
                List.of("GET /greet/SECRET HTTP/2.0\r\nHost: 127.0.0.1\r\n", "426", "INVALID_REQUEST", "send HTTP/1.1"),
                List.of(get + "Expect: SECRET\r\n", "417", "INVALID_REQUEST", "only 'Expect: 100-continue'"),
                List.of("GET /greet/SECRET" + "a".repeat(9_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n", "414", "URI_TOO_LONG",
                        "8192 bytes"),
                List.of(get + "X-SECRET: " + "a".repeat(9_000) + "\r\n", "431", "HEADERS_TOO_LARGE", "8192 bytes"));
        for (List<String> c : cases) {
            String response = raw(c.get(0) + "Connection: close\r\n\r\n");
            String as = c.get(0).substring(0, Math.min(80, c.get(0).length()));
            assertThat(response).as(as).startsWith("HTTP/1.1 " + c.get(1));
            JsonNode error = errorIn(response);
            assertThat(error.get("code").asText()).as(as).isEqualTo(c.get(2));
            assertThat(error.get("message").asText()).as(as).contains(c.get(3)).doesNotContain("SECRET");
        }
    }

    /** The status line and headers of a response, up to and including the blank line. */
    /** The JSON body that follows a response head read by {@link #readHead}, as long as its Content-Length says. */
    private static JsonNode jsonBody(String head, java.io.InputStream in) throws java.io.IOException {
        int length = Integer.parseInt(head.replaceAll("(?is).*\r\ncontent-length: *(\\d+).*", "$1"));
        return Json.readTree("response", in.readNBytes(length));
    }

    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }
}

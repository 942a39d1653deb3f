package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's HTTP client against a real server on loopback: answers read whole (bodies of errors too), connections
 * reused, and, shared by several threads on reused connections, every request answered with its own answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlClientTest {
    private final Server server = new Server();
    /** Every request's method, path and query, in the order they came. */
    private final List<String> requested = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The remote ports the server saw requests from: one per connection the client opened. */
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private URI base;

    @BeforeAll
    void start() throws Exception {
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                clientPorts.add(Request.getRemotePort(request));
                requested.add(request.getMethod() + " " + request.getHttpURI().getPathQuery());
                String body = Content.Source.asString(request, StandardCharsets.UTF_8);
                String path = request.getHttpURI().getPath();
                String answer;
                String key = request.getHeaders().get("x-api-key");
                if ("behind-a-proxy".equals(key) || "empty-answers".equals(key)) {
                    // What a proxy or load balancer in front of the platform answers when the platform is away.
                    boolean empty = "empty-answers".equals(key);
                    response.setStatus(empty ? 503 : 502);
                    response.getHeaders().put("Content-Type", empty ? "text/plain" : "text/html");
                    response.write(true, ByteBuffer.wrap((empty ? "" : "<html><body>Bad Gateway</body></html>")
                            .getBytes(StandardCharsets.UTF_8)), callback);
                    return true;
                }
                if (path.equals("/batches/stalls/results")) {
                    // One page of results, then an answer that never comes: a download the operator stops.
                    if (!"offset=0".equals(request.getHttpURI().getQuery())) {
                        Thread.sleep(60_000);
                    }
                    byte[] page = "{\"row\":1,\"status\":\"scored\"}\n".getBytes(StandardCharsets.UTF_8);
                    response.getHeaders().put("x-vigil-next-offset", page.length);
                    response.getHeaders().put("x-vigil-total-bytes", 10_000);
                    response.write(true, ByteBuffer.wrap(page), callback);
                    return true;
                }
                if (path.equals("/refused-with-controls")) {
                    // A message quoting something sent (a header name) that holds terminal control sequences.
                    response.setStatus(400);
                    answer = "{\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"column \\u001b[2J\\nX\"}}";
                } else if (path.equals("/refused-without-json")) {
                    response.setStatus(409);
                    answer = "[\"\\u001b]0;title\\u0007\"]";
                } else if (path.equals("/refused")) {
                    response.setStatus(422);
                    answer = "{\"error\":{\"message\":\"patientId is missing\"}}";
                } else if (path.equals("/unknown-key")) {
                    // What a platform answers a key of another platform's keys.json.
                    response.setStatus(401);
                    answer = "{\"error\":{\"code\":\"UNAUTHENTICATED\",\"message\":\"the API key is not valid\"}}";
                } else {
                    answer = "{\"path\":\"" + path + "\",\"method\":\"" + request.getMethod() + "\",\"key\":\""
                            + request.getHeaders().get("x-api-key") + "\",\"accept\":\"" + request.getHeaders().get("Accept")
                            + "\",\"echo\":" + (body.isEmpty() ? "null" : body) + "}";
                }
                byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
                response.getHeaders().put("Content-Type", "application/json");
                response.getHeaders().put("X-Vigil-Next-Offset", "42");
                response.getHeaders().put("Content-Length", bytes.length);
                response.write(true, ByteBuffer.wrap(bytes), callback);
                return true;
            }
        });
    }

    @AfterAll
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aCallSendsItsKeyAndJsonAndReadsTheAnswerAndItsHeaders() throws Exception {
        HttpResponse<String> answer = new ControlClient(base, "key-1").exchange("POST", "/models/m/canary",
                Map.of("version", 2));

        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode body = ControlClient.parse(answer.body());
        assertThat(body.path("method").asText()).isEqualTo("POST");
        assertThat(body.path("key").asText()).isEqualTo("key-1");
        assertThat(body.path("accept").asText()).as("JSON asked for, not the connection's default").isEqualTo(
                "application/json");
        assertThat(body.at("/echo/version").asInt()).isEqualTo(2);
        assertThat(answer.headers().firstValue("x-vigil-next-offset")).as("header names in any case").hasValue("42");
        assertThat(answer.uri()).isEqualTo(base.resolve("/models/m/canary"));
    }

    /**
     * A call answered with another status than expected fails with the refusal's code and message, control
     * characters named, never the raw body (which may be anything and reaches an operator's terminal).
     */
    @Test
    void anUnexpectedAnswerFailsWithItsMessageShownNeverItsRawBody() {
        ControlClient client = new ControlClient(base, "key-1");
        assertThatThrownBy(() -> client.send("POST", "/refused-with-controls", Map.of("a", 1), 200))
                .isInstanceOf(ControlClient.CallFailed.class)
                .hasMessage("POST /refused-with-controls answered 400 (expected 200): INVALID_REQUEST: column"
                        + " [U+001B][2J[U+000A]X")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b").doesNotContain("\n"));
        assertThatThrownBy(() -> client.send("POST", "/refused-without-json", Map.of("a", 1), 200))
                .isInstanceOf(ControlClient.CallFailed.class)
                .hasMessage("POST /refused-without-json answered 409 (expected 200): no error message");
    }

    @Test
    void anAnswerThatIsNotJsonFailsTheCommandWithItsStatusNotAsTheCommandLinesFault(@TempDir Path home)
            throws Exception {
        for (String key : List.of("behind-a-proxy", "empty-answers")) {
            Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"" + key
                    + "\", \"roles\": [\"Deployments.Operate\"]}]}");
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine line = Main.commandLine();
            line.setErr(new java.io.PrintWriter(err, true));
            line.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));

            int exit = line.execute("models", "list", "--url", base.toString(), "--home", home.toString());

            String status = key.equals("behind-a-proxy") ? "502 with a body that is not JSON"
                    : "503 with an empty body";
            assertThat(exit).as(err.toString()).isEqualTo(1);
            assertThat(err.toString()).contains("the platform answered " + status, "--url")
                    .doesNotContain("Bad Gateway", "send a JSON document", "MALFORMED_JSON");
        }
    }

    @Test
    void aModelNameThatIsNotOneIsRefusedBeforeAnythingIsSentSoItCannotNameAnotherRoute(@TempDir Path home)
            throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"vk_test\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");
        String[][] commands = {
            {"rollback", "readmission/versions/2/deploy?"},
            {"models", "show", "readmission#x"},
            {"canary", "status", "readmission?version=2"},
            {"models", "show", "Readmission"}};
        for (String[] command : commands) {
            requested.clear();
            java.io.StringWriter err = new java.io.StringWriter();
            picocli.CommandLine line = Main.commandLine();
            line.setErr(new java.io.PrintWriter(err, true));
            line.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--url", base.toString(), "--home", home.toString()));

            int exit = line.execute(args.toArray(String[]::new));

            assertThat(exit).as(String.join(" ", command) + ": " + err).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", command)).contains("model name");
            assertThat(requested).as(String.join(" ", command)).isEmpty();
        }
        // A package path without a file name ("/") is not a file, said as such rather than as a NullPointerException.
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine line = Main.commandLine();
        line.setErr(new java.io.PrintWriter(err, true));
        requested.clear();
        assertThat(line.execute("models", "upload", "/", "--model", "readmission", "--as", "operator", "--url",
                base.toString(), "--home", home.toString())).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("is not a file").doesNotContain("NullPointer");
        assertThat(requested).isEmpty();
    }

    /** A download stopped by a signal (Ctrl-C, a kill) leaves no part of the results, which hold predictions. */
    @Test
    void aDownloadStoppedBySignalLeavesNoPartFileBehind(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"vk_test\", \"roles\": [\"Batches.Submit\"]}]}");
        Path folder = Files.createDirectory(home.resolve("out"));
        Process download = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "batch", "download", "stalls",
                "--out", folder.resolve("results.jsonl").toString(), "--url", base.toString(), "--home",
                home.toString()).redirectErrorStream(true).redirectOutput(home.resolve("download.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partFiles(folder).isEmpty() || requested.stream().noneMatch(r -> r.startsWith(
                    "GET /batches/stalls/results?offset=") && !r.endsWith("offset=0"))) {
                assertThat(download.isAlive()).as(Files.readString(home.resolve("download.log"))).isTrue();
                assertThat(System.nanoTime() - deadline).as("the download reached its second page").isNegative();
                Thread.sleep(50);
            }
            download.destroy(); // SIGTERM: the JVM exits as on Ctrl-C, without the command's finally blocks
            assertThat(download.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(partFiles(folder)).isEmpty();
            assertThat(folder.resolve("results.jsonl")).doesNotExist();
        } finally {
            download.destroyForcibly();
        }
    }

    private static List<Path> partFiles(Path folder) throws java.io.IOException {
        try (var files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }

    @Test
    void anErrorAnswersItsStatusAndBodyRatherThanThrowing() throws Exception {
        HttpResponse<String> answer = new ControlClient(base, "key-1").exchange("POST", "/refused", Map.of("a", 1));

        assertThat(answer.statusCode()).isEqualTo(422);
        assertThat(answer.body()).contains("patientId is missing");
    }

    /**
     * With another platform on the default port, a command that was not given --url reaches that one, which knows none
     * of this home's keys: the refusal names the key's persona and home and what to give instead.
     */
    @Test
    void aRefusedKeyOfAHomeSaysWhereItCameFromAndWhichOptionsToCheck(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"vk_test\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");

        ControlClient client = new RunningPlatform(base, home).client("operator");
        HttpResponse<String> read = client.exchange("GET", "/unknown-key", null);
        // A call with a body (rollback, canary, approve...): its body is streamed, and a connection that streamed a
        // body does not keep the text of a 401; it is still an error in the platform's shape, with the same hint.
        HttpResponse<String> act = client.exchange("POST", "/unknown-key", Map.of("version", 3));

        for (HttpResponse<String> answer : List.of(read, act)) {
            assertThat(answer.statusCode()).isEqualTo(401);
            JsonNode error = ControlClient.parse(answer.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("UNAUTHENTICATED");
            assertThat(error.path("message").asText())
                    .contains("; the key sent is persona 'operator' of " + home.resolve("keys.json")
                            + ", and the platform at " + base + " does not know it")
                    .contains("--url", "--home")
                    .doesNotContain("vk_test");
        }
        assertThat(ControlClient.parse(read.body()).at("/error/message").asText())
                .startsWith("the API key is not valid; ");
    }

    @Test
    void aGetAsksForTheRepresentationItNames() throws Exception {
        HttpResponse<String> answer = new ControlClient(base, null).get("/card", "text/markdown");

        assertThat(ControlClient.parse(answer.body()).path("accept").asText()).isEqualTo("text/markdown");
        assertThat(ControlClient.parse(answer.body()).path("key").asText()).as("no key header").isEqualTo("null");
    }

    /**
     * Four threads sharing the client for a few seconds, as the demo's live load does: every request gets its own
     * answer (each echoes its sender and sequence number) and the connections are reused rather than opened per call.
     * {@code java.net.http.HttpClient} on Java 17 loses some of these answers to its pool's idle-connection watcher
     * (a few in every hundred thousand calls here), failing the call with "header parser received no bytes".
     */
    @Test
    void clientsSharingReusedConnectionsEachGetTheirOwnAnswer() throws Exception {
        ControlClient client = new ControlClient(base, "load");
        int threads = 4;
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> done = new ArrayList<>();
        clientPorts.clear();
        for (int t = 0; t < threads; t++) {
            int sender = t;
            done.add(pool.submit(() -> {
                int calls = 0;
                while (running.get()) {
                    HttpResponse<String> answer = client.exchange("POST", "/score/m",
                            Map.of("sender", sender, "call", calls));
                    JsonNode echo = ControlClient.parse(answer.body()).path("echo");
                    assertThat(answer.statusCode()).isEqualTo(200);
                    assertThat(echo.path("sender").asInt()).isEqualTo(sender);
                    assertThat(echo.path("call").asInt()).isEqualTo(calls);
                    calls++;
                }
                return calls;
            }));
        }
        Thread.sleep(4_000);
        running.set(false);
        int calls = 0;
        for (Future<Integer> f : done) {
            calls += f.get();
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        assertThat(calls).as("calls made").isGreaterThan(1_000);
        assertThat(clientPorts.size()).as("connections opened for " + calls + " calls").isLessThan(calls / 10);
    }
}

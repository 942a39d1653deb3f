package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.testing.TestRecorder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which requests run on the thread that read them (docs/adr/0026), and which need one of the shared workers, on an
 * in-memory connector.
 */
class HttpFunctionHandlerTest {
    private Server server;
    /** Whether each request ran inline, in the order they came: told once handleInline returned. */
    private final BlockingQueue<Boolean> inline = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    /**
     * A connector whose handler asks {@link HttpFunctionHandler#handleInline} first, as {@link HostFront} does, and
     * says in {@link #inline} whether the request ran there; otherwise the request is answered as the pool would.
     */
    private LocalConnector serve(Predicate<Map<String, String>> knownCaller) throws Exception {
        return serve(knownCaller, (function, headers) -> knownCaller.test(headers));
    }

    private LocalConnector serve(Predicate<Map<String, String>> knownCaller,
            BiPredicate<String, Map<String, String>> allowedCaller) throws Exception {
        HttpFunctionHandler functions = functions(knownCaller, allowedCaller, 4);
        server = new Server();
        LocalConnector connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                boolean ranInline = functions.handleInline(request, response, callback, Runnable::run);
                inline.add(ranInline);
                return ranInline || functions.handle(request, response, callback);
            }
        });
        server.start();
        return connector;
    }

    /** The test functions, every POST named by the inline rule, with {@code sharedWorkers} shared workers. */
    private HttpFunctionHandler functions(Predicate<Map<String, String>> knownCaller,
            BiPredicate<String, Map<String, String>> allowedCaller, int sharedWorkers) throws Exception {
        FunctionCatalog catalog = FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing.http"), name -> null);
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(),
                new TestInjector(new TestRecorder()));
        instances.prepare(catalog.all());
        return new HttpFunctionHandler(catalog, new FunctionInvoker(instances), 1024, "key", knownCaller,
                allowedCaller, Set.of(), sharedWorkers, (function, query) -> true, (function, query) -> false);
    }

    private static HttpTester.Response post(LocalConnector connector, String headers, String body) throws Exception {
        return HttpTester.parseResponse(connector.getResponse("POST /echo/ada/versions/1 HTTP/1.1\r\n"
                + "Host: localhost\r\n" + headers + "\r\n" + body));
    }

    /** Whether the last request answered ran inline. */
    private boolean ranInline() throws InterruptedException {
        Boolean ran = inline.poll(10, TimeUnit.SECONDS);
        assertThat(ran).as("the request reached the handler").isNotNull();
        return ran;
    }

    @Test
    void aRequestWithoutABodyFromAnUnknownCallerGoesToThePool() throws Exception {
        LocalConnector connector = serve(headers -> false);

        // An empty body says nothing of the caller: whatever the function does with an unknown one (a refusal and its
        // audit record) must not hold the selector thread and every connection waiting on it.
        HttpTester.Response empty = post(connector, "Content-Length: 0\r\n", "");
        assertThat(empty.getStatus()).isEqualTo(200);
        assertThat(ranInline()).isFalse();

        HttpTester.Response none = post(connector, "", "");
        assertThat(none.getStatus()).isEqualTo(200);
        assertThat(ranInline()).isFalse();
    }

    @Test
    void aKnownCallerWithoutTheFunctionsRoleGoesToThePool() throws Exception {
        // Both keys are known; only the scorer's may call the echo. The reader's request would be refused by a function
        // that checks roles, with an audit record written to the disk: never on the thread that serves its selector.
        LocalConnector connector = serve(headers -> headers.containsKey("x-api-key"),
                (function, headers) -> function.equals("EchoVersion") && "scorer".equals(headers.get("x-api-key")));

        assertThat(post(connector, "x-api-key: reader\r\nContent-Length: 0\r\n", "").getStatus()).isEqualTo(200);
        assertThat(ranInline()).isFalse();
        assertThat(post(connector, "x-api-key: reader\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi")
                .getStatus()).isEqualTo(200);
        assertThat(ranInline()).isFalse();

        assertThat(post(connector, "x-api-key: scorer\r\nContent-Length: 0\r\n", "").getStatus()).isEqualTo(200);
        assertThat(ranInline()).isTrue();
    }

    @Test
    void aKnownCallersRequestRunsInlineWithOrWithoutABody() throws Exception {
        LocalConnector connector = serve(headers -> "known".equals(headers.get("x-api-key")));

        assertThat(post(connector, "x-api-key: known\r\nContent-Length: 0\r\n", "").getStatus()).isEqualTo(200);
        assertThat(ranInline()).isTrue();
        assertThat(post(connector, "x-api-key: known\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "hi")
                .getStatus()).isEqualTo(200);
        assertThat(ranInline()).isTrue();
    }

    @Test
    void aPathNoFunctionServesIs404AndAWrongMethod405WhileEveryWorkerIsHeld() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A page that holds the only shared worker until it is told to answer.
        Handler page = new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                holding.countDown();
                release.await();
                HttpFunctionHandler.write(request, response, callback, HostReply.empty(204, Map.of()));
                return true;
            }
        };
        HttpFunctionHandler functions = functions(headers -> true, (function, headers) -> true, 1);
        server = new Server();
        LocalConnector connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new HostFront(functions, new Handler.Sequence(functions.onSharedWorkers(page,
                "/page"::equals), functions), server.getThreadPool()));
        server.start();

        LocalConnector.LocalEndPoint held = connector.executeRequest("GET /page HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("the page took the worker").isTrue();
        try {
            // A page needs a worker, and there is none free.
            assertThat(send(connector, "GET /page").getStatus()).isEqualTo(503);
            // Routing alone says no function serves the path, or not with this method: no worker needed.
            HttpTester.Response unknown = send(connector, "GET /nowhere");
            assertThat(unknown.getStatus()).isEqualTo(404);
            assertThat(unknown.getContent()).contains("NOT_FOUND");
            HttpTester.Response wrongMethod = send(connector, "DELETE /echo/ada/versions/1");
            assertThat(wrongMethod.getStatus()).isEqualTo(405);
            assertThat(wrongMethod.get("Allow")).contains("GET", "POST");
        } finally {
            release.countDown();
        }
        assertThat(HttpTester.parseResponse(held.getResponse(false, 10, TimeUnit.SECONDS)).getStatus()).isEqualTo(204);
    }

    private static HttpTester.Response send(LocalConnector connector, String requestLine) throws Exception {
        return HttpTester.parseResponse(connector.getResponse(requestLine + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    }
}

package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.testing.TestRecorder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
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

/** Which requests run on the thread that read them (docs/adr/0026), on an in-memory connector. */
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
        FunctionCatalog catalog = FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing.http"), name -> null);
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(),
                new TestInjector(new TestRecorder()));
        instances.prepare(catalog.all());
        HttpFunctionHandler functions = new HttpFunctionHandler(catalog, new FunctionInvoker(instances), 1024, "key",
                knownCaller, allowedCaller, Set.of(), 4, (function, query) -> true, (function, query) -> false);
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
}

package health.vigil.cli;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** A Jetty server for the CLI's client tests: one connector on 127.0.0.1 at a free port, the test's handler. */
final class LoopbackServer {
    private LoopbackServer() {}

    /** Starts {@code server} with {@code handler} on loopback and returns its base URI. */
    static URI start(Server server, Handler handler) throws Exception {
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
        return URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    /** An address on loopback where nothing listens: a wrong {@code --url}, every connection refused. */
    static URI aPortNothingListensAt() throws java.io.IOException {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + taken.getLocalPort());
        }
    }

    /**
     * Starts {@code server} on loopback answering every request {@code status} with {@code json}, as the platform would,
     * after handing the request's body to {@code received}; and gives {@code home} the operator's key.
     */
    static URI answeringTheOperator(Server server, Path home, int status, String json, Consumer<String> received)
            throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"k-operator\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");
        return start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response,
                    org.eclipse.jetty.util.Callback callback) throws Exception {
                received.accept(Content.Source.asString(request, StandardCharsets.UTF_8));
                answer(response, callback, status, json);
                return true;
            }
        });
    }

    /** Answers {@code status} with {@code json} as the body. */
    static void answer(org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback, int status,
            String json) {
        byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put("Content-Type", "application/json");
        response.getHeaders().put("Content-Length", bytes.length);
        response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
    }

    /** Answers a path the test's routes do not serve, as the platform answers one: 404 {@code NOT_FOUND}. */
    static void noRoute(org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback) {
        answer(response, callback, 404, "{\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"no route\"}}");
    }
}

package health.vigil.cli;

import java.net.URI;
import org.eclipse.jetty.server.Handler;
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

    /** Answers {@code status} with {@code json} as the body. */
    static void answer(org.eclipse.jetty.server.Response response, org.eclipse.jetty.util.Callback callback, int status,
            String json) {
        byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put("Content-Type", "application/json");
        response.getHeaders().put("Content-Length", bytes.length);
        response.write(true, java.nio.ByteBuffer.wrap(bytes), callback);
    }
}

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
}

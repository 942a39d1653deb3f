package health.vigil.cli.dashboard;

import health.vigil.config.VigilConfig;
import health.vigil.platform.VigilPlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;

/**
 * The dashboard of a local platform on a home of its own, behind Jetty's in-memory connector: requests written as
 * text reach it as a browser's would, without a socket.
 */
final class ConnectedDashboard implements AutoCloseable {
    private final VigilPlatform platform;
    private final Server server;
    private final LocalConnector connector;

    /** Starts the platform of {@code home} with {@code keysJson} as its keys.json, and the dashboard in front. */
    ConnectedDashboard(Path home, String keysJson) throws Exception {
        Files.writeString(home.resolve("keys.json"), keysJson);
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new Dashboard(() -> platform, home.resolve("deadletter"), Clock.systemUTC()));
        server.start();
    }

    VigilPlatform platform() {
        return platform;
    }

    LocalConnector connector() {
        return connector;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        platform.close();
    }
}

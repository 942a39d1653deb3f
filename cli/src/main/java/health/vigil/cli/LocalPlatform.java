package health.vigil.cli;

import health.vigil.config.VigilConfig;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.local.LocalHost;
import health.vigil.platform.VigilPlatform;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Vigil on one machine: the local host running both Function Apps' classes, with the platform composed on
 * the embedded stores under the home folder and the host's event bus as its event publisher.
 */
public final class LocalPlatform implements AutoCloseable {
    private final LocalHost host;
    private final VigilPlatform platform;

    private LocalPlatform(LocalHost host, VigilPlatform platform) {
        this.host = host;
        this.platform = platform;
    }

    /** Starts the platform on {@code port} (0: any free port) with its data under {@code home}. */
    public static LocalPlatform start(Path home, int port) {
        return start(VigilConfig.local(home.toAbsolutePath()), port, b -> b);
    }

    /**
     * Starts the platform for {@code config}; {@code customise} may adjust the platform (clock, pipelines)
     * before it is built.
     */
    public static LocalPlatform start(VigilConfig config, int port, UnaryOperator<VigilPlatform.Builder> customise) {
        AtomicReference<VigilPlatform> platform = new AtomicReference<>();
        LocalHost host = LocalHost.builder()
                .home(config.home())
                .port(port)
                .packages("health.vigil.functions.scoring", "health.vigil.functions.control")
                .instanceInjector(new VigilInstanceInjector(platform::get))
                .maxRequestBodyBytes(config.limits().maxBodyBytes())
                .build();
        VigilPlatform built = customise.apply(VigilPlatform.builder(config).eventPublisher(host.eventPublisher())).build();
        platform.set(built);
        try {
            host.start();
        } catch (RuntimeException e) {
            built.close();
            throw e;
        }
        return new LocalPlatform(host, built);
    }

    public URI baseUri() {
        return host.baseUri();
    }

    public int port() {
        return host.port();
    }

    public Path home() {
        return host.home();
    }

    public Path dropFolder() {
        return host.dropFolder();
    }

    public LocalHost host() {
        return host;
    }

    public VigilPlatform platform() {
        return platform;
    }

    @Override
    public void close() {
        try {
            host.close();
        } finally {
            platform.close();
        }
    }
}

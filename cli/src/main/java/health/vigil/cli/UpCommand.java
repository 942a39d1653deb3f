package health.vigil.cli;

import health.vigil.adapter.local.LocalAdapters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vigil up}: runs both Function Apps locally on the embedded stores until interrupted. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the Vigil platform locally: HTTP on 127.0.0.1, the event bus, timers and the model drop folder.")
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "7071", description = "HTTP port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 = any free port)")
    int port;

    @Option(names = "--home", defaultValue = RunningPlatform.HOME_DEFAULT,
            description = "Folder for the local stores (default: $VIGIL_HOME, else .vigil)")
    Path home;

    @Option(names = "--azure-emulators", description = "Use the Azure adapters on Azurite and the Cosmos DB server"
            + " (installed from npm on first use) instead of the embedded stores. Azurite keeps its blobs under the"
            + " home (" + LocalPlatform.AZURITE_DATA + "), the Cosmos DB server keeps nothing across restarts: a home"
            + " that holds blobs from an earlier run is refused (start with a new --home, or remove that folder)")
    boolean azureEmulators;

    @Override
    public Integer call() throws InterruptedException {
        LocalPlatform platform = azureEmulators ? LocalPlatform.startOnAzureEmulators(home, port)
                : LocalPlatform.start(home, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            PlatformAddress.forget(platform.home());
            platform.close();
            stopped.countDown();
        }, "vigil-shutdown"));
        // The other commands given this home (or none, from the working folder) find the platform here by it.
        try {
            PlatformAddress.record(platform.home(), platform.baseUri());
        } catch (IOException e) {
            System.err.println("vigil: could not record the platform's address in " + PlatformAddress.FILE + " of the home ("
                    + e.getMessage() + "): give the other commands --url " + platform.baseUri());
        }
        System.out.println("Vigil is running at " + platform.baseUri()
                + (azureEmulators ? " on Azurite and the Cosmos DB server" : " on the embedded stores"));
        System.out.println("  drop model packages into  " + platform.dropFolder());
        System.out.println("  API keys (one per role)   " + LocalAdapters.keysFile(platform.home()));
        System.out.println("  health                    " + platform.baseUri().resolve("/v2/health/ready"));
        if (azureEmulators) {
            System.out.println("  the Cosmos DB server keeps registry and audit log in memory only: to start again,"
                    + " use a new --home or remove " + LocalPlatform.AZURITE_DATA + " under this one");
        }
        System.out.println("Press Ctrl+C to stop.");
        stopped.await();
        return 0;
    }
}

package health.vigil.cli;

import health.vigil.testing.emulators.EmulatorLauncher;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The same foundation loop with the Azure adapters on Azurite and the Cosmos DB server, as
 * {@code vigil up --azure-emulators} runs it. Skipped, with the reason, where Node.js is missing.
 */
class AzureEmulatorsPlatformIT extends PlatformLoopScenario {
    @Override
    protected LocalPlatform startPlatform(Path home) {
        return startOnEmulators(home);
    }

    /** The local platform on the Azure emulators; the calling test is skipped, with the reason, where they cannot run. */
    static LocalPlatform startOnEmulators(Path home) {
        Assumptions.assumeTrue(EmulatorLauncher.unavailableReason().isEmpty(),
                () -> "skipped: the storage emulators cannot run here: " + EmulatorLauncher.unavailableReason().orElse(""));
        return LocalPlatform.startOnAzureEmulators(home, 0);
    }
}

package health.vigil.cli;

import health.vigil.testing.emulators.EmulatorLauncher;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The monitoring and retraining loop with the Azure adapters on Azurite and the Cosmos DB server, as
 * {@code vigil up --azure-emulators} runs it. Skipped, with the reason, where Node.js is missing.
 */
class RetrainLoopAzureEmulatorsIT extends RetrainLoopScenario {
    @Override
    protected LocalPlatform startPlatform(Path home) {
        Assumptions.assumeTrue(EmulatorLauncher.unavailableReason().isEmpty(),
                () -> "skipped: the storage emulators cannot run here: " + EmulatorLauncher.unavailableReason().orElse(""));
        return LocalPlatform.startOnAzureEmulators(home, 0);
    }
}

package health.vigil.cli;

import java.nio.file.Path;

/**
 * The monitoring and retraining loop with the Azure adapters on Azurite and the Cosmos DB server, as
 * {@code vigil up --azure-emulators} runs it. Skipped, with the reason, where Node.js is missing.
 */
class RetrainLoopAzureEmulatorsIT extends RetrainLoopScenario {
    @Override
    protected LocalPlatform startPlatform(Path home) {
        return AzureEmulatorsPlatformIT.startOnEmulators(home);
    }
}

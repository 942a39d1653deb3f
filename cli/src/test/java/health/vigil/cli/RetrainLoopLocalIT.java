package health.vigil.cli;

import java.nio.file.Path;

/** The monitoring and retraining loop on the embedded stores (SQLite and files), as {@code vigil up} runs by default. */
class RetrainLoopLocalIT extends RetrainLoopScenario {
    @Override
    protected LocalPlatform startPlatform(Path home) {
        return LocalPlatform.start(home, 0);
    }
}

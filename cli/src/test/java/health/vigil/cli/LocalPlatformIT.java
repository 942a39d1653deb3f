package health.vigil.cli;

import java.nio.file.Path;

/** The foundation loop on the embedded stores (SQLite and files), as {@code vigil up} runs by default. */
class LocalPlatformIT extends PlatformLoopScenario {
    @Override
    protected LocalPlatform startPlatform(Path home) {
        return LocalPlatform.start(home, 0);
    }
}

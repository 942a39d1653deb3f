package health.vigil.adapter.local;

import health.vigil.contract.ArtifactStoreContract;
import health.vigil.port.ArtifactStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link ArtifactStore} contract against {@link FileArtifactStore} in a fresh home folder. */
class FileArtifactStoreContractTest extends ArtifactStoreContract {
    @TempDir
    Path home;

    @Override
    protected ArtifactStore newStore() {
        return FileArtifactStore.open(home);
    }
}

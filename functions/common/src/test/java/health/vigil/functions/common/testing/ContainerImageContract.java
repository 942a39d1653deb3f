package health.vigil.functions.common.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What every Function App's container image and package must be, run by each app's {@code ContainerImageIT}
 * after the package phase: the Dockerfile copies the staged folder, which carries no local store and no other
 * platform's natives, and still starts.
 */
public abstract class ContainerImageContract {
    private final Path staging = GeneratedFunctions.staging();

    @Test
    void theDockerfileCopiesTheStagedPackageIntoTheScriptRoot() throws Exception {
        ContainerImage.assertCopiesTheStagedPackage(Path.of("").toAbsolutePath(), staging);
    }

    @Test
    void thePackageCarriesNoLocalStoreAndOnlyLinuxX64Natives() throws Exception {
        ContainerImage.assertOnlyLinuxX64AndNoLocalStores(staging);
    }

    @Test
    void theAppAndOnnxRuntimeStartFromTheStagedFolderAlone() throws Exception {
        ContainerImage.assertStartsFromTheStagedFolder(staging);
    }
}

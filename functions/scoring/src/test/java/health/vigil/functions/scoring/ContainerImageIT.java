package health.vigil.functions.scoring;

import health.vigil.functions.common.testing.ContainerImage;
import health.vigil.functions.common.testing.GeneratedFunctions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The scoring app's container image and package are what `mvn package` staged: the Dockerfile copies that folder,
 * which carries no local store and no other platform's natives, and still starts.
 */
class ContainerImageIT {
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

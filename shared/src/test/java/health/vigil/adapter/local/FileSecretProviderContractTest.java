package health.vigil.adapter.local;

import health.vigil.contract.SecretProviderContract;
import health.vigil.port.SecretProvider;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link SecretProvider} contract against {@link FileSecretProvider} in a fresh home folder. */
class FileSecretProviderContractTest extends SecretProviderContract {
    @TempDir
    Path home;

    @Override
    protected SecretProvider newProvider() {
        return FileSecretProvider.open(home);
    }
}

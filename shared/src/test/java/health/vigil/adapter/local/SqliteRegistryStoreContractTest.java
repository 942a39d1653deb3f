package health.vigil.adapter.local;

import health.vigil.contract.RegistryStoreContract;
import health.vigil.port.AuditStore;
import health.vigil.port.RegistryStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link RegistryStore} contract against {@link SqliteRegistryStore} in a fresh home folder. */
class SqliteRegistryStoreContractTest extends RegistryStoreContract {
    @TempDir
    Path home;

    @Override
    protected RegistryStore newStore() {
        return SqliteRegistryStore.open(home);
    }

    @Override
    protected AuditStore newAuditStore() {
        return SqliteAuditStore.open(home);
    }
}

package health.vigil.adapter.local;

import health.vigil.contract.AuditStoreContract;
import health.vigil.port.AuditStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link AuditStore} contract against {@link SqliteAuditStore} in a fresh home folder. */
class SqliteAuditStoreContractTest extends AuditStoreContract {
    @TempDir
    Path home;

    @Override
    protected AuditStore newStore() {
        return SqliteAuditStore.open(home);
    }
}

package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.contract.RequestStatsStoreContract;
import health.vigil.port.RequestStatsStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link RequestStatsStore} contract against {@link SqliteRequestStatsStore} in a fresh home folder. */
class SqliteRequestStatsStoreContractTest extends RequestStatsStoreContract {
    @TempDir
    Path home;

    @Override
    protected RequestStatsStore newStore() {
        return SqliteRequestStatsStore.open(home);
    }

    @Test
    void theDatabaseFileIsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                home.resolve(SqliteRequestStatsStore.FILE_NAME)))).isEqualTo("rw-------");
    }
}

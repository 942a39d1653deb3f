package health.vigil.adapter.local;

import health.vigil.contract.OutcomeStoreContract;
import health.vigil.port.OutcomeStore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link OutcomeStore} contract against {@link SqliteOutcomeStore} in a fresh home folder. */
class SqliteOutcomeStoreContractTest extends OutcomeStoreContract {
    @TempDir
    Path home;
    private SqliteOutcomeStore store;

    @Override
    protected OutcomeStore newStore() {
        store = SqliteOutcomeStore.open(home);
        return store;
    }

    @AfterEach
    void close() {
        store.close();
    }
}

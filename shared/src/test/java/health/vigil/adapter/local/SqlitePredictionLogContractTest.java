package health.vigil.adapter.local;

import health.vigil.contract.PredictionLogContract;
import health.vigil.port.PredictionLog;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link PredictionLog} contract against {@link SqlitePredictionLog} in a fresh home folder. */
class SqlitePredictionLogContractTest extends PredictionLogContract {
    @TempDir
    Path home;

    @Override
    protected PredictionLog newLog() {
        return SqlitePredictionLog.open(home);
    }
}

package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.contract.RegistryStoreContract;
import health.vigil.model.ModelName;
import health.vigil.port.AuditStore;
import health.vigil.port.RegistryStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
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

    @Override
    protected void storeDeploymentAsWrittenEarlier(ModelName model, String document) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                PreparedStatement s = c.prepareStatement(
                        "INSERT INTO deployments (model, etag, document) VALUES (?, ?, ?)")) {
            s.setString(1, model.value());
            s.setString(2, "written-earlier");
            s.setString(3, document);
            s.executeUpdate();
        }
    }

    @Override
    protected void replaceVersionAsWrittenEarlier(ModelName model, int version, String document) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteRegistryStore.FILE_NAME));
                PreparedStatement s = c.prepareStatement(
                        "UPDATE versions SET document = ? WHERE model = ? AND version = ?")) {
            s.setString(1, document);
            s.setString(2, model.value());
            s.setInt(3, version);
            assertThat(s.executeUpdate()).as("the version's row").isEqualTo(1);
        }
    }
}

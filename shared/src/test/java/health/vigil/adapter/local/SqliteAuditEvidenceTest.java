package health.vigil.adapter.local;

import health.vigil.contract.AuditEvidenceContract;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed evidence on the local store family: {@code audit.db} and the blob folders. Tampering drops the
 * append-only triggers first, as someone with the database file could.
 */
class SqliteAuditEvidenceTest extends AuditEvidenceContract {
    @TempDir
    Path home;

    @Override
    protected AuditStore newStore() {
        return SqliteAuditStore.open(home);
    }

    @Override
    protected ArtifactStore newArtifacts() {
        return FileArtifactStore.open(home);
    }

    @Override
    protected void overwrite(AuditRecord record) {
        below("UPDATE audit SET document = ? WHERE partition = ? AND sequence = ?", Json.write(record),
                record.partition(), record.sequence());
    }

    @Override
    protected void remove(String partition, long sequence) {
        below("DELETE FROM audit WHERE partition = ? AND sequence = ?", null, partition, sequence);
    }

    @Override
    protected void corrupt(String partition, long sequence) {
        below("UPDATE audit SET document = ? WHERE partition = ? AND sequence = ?", "{\"damaged\": ", partition,
                sequence);
    }

    private void below(String sql, String document, String partition, long sequence) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteAuditStore.FILE_NAME))) {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DROP TRIGGER IF EXISTS audit_no_update");
                s.executeUpdate("DROP TRIGGER IF EXISTS audit_no_delete");
            }
            try (PreparedStatement p = c.prepareStatement(sql)) {
                int i = 1;
                if (document != null) {
                    p.setString(i++, document);
                }
                p.setString(i++, partition);
                p.setLong(i, sequence);
                p.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

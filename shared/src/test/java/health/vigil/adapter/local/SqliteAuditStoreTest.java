package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.audit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.model.AuditRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the SQLite audit log adds to the port's contract: SQL cannot rewrite history, and records persist. */
class SqliteAuditStoreTest {
    private static final String DAY = "2026-03-01";

    @TempDir
    Path home;

    @ParameterizedTest
    @ValueSource(strings = {
        "UPDATE audit SET document = '{}' WHERE sequence = 1",
        "UPDATE audit SET sequence = 5 WHERE sequence = 2",
        "DELETE FROM audit WHERE sequence = 2",
        "DELETE FROM audit",
        "INSERT OR REPLACE INTO audit (partition, sequence, id, document) VALUES ('2026-03-01', 1, 'x', '{}')",
        "REPLACE INTO audit (partition, sequence, id, document) VALUES ('2026-03-01', 2, 'x', '{}')"
    })
    void sqlFromAnyConnectionCannotChangeOrRemoveARecord(String tamper) throws SQLException {
        AuditRecord first = audit(DAY, 1, "alice", null);
        AuditRecord second = audit(DAY, 2, "bob", first.hash());
        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            store.tryAppend(first);
            store.tryAppend(second);

            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteAuditStore.FILE_NAME));
                    Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.executeUpdate(tamper))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("append-only");
            }

            assertThat(store.read(DAY)).containsExactly(first, second);
        }
    }

    /**
     * SQLite lets any connection drop or replace a trigger, after which UPDATE and DELETE go through: a database that
     * lost one is not opened (the records may have been changed since), naming what is missing or changed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"DROP TRIGGER audit_no_delete|audit_no_delete (missing)",
            "DROP TRIGGER audit_keys_no_update|audit_keys_no_update (missing)",
            "DROP TRIGGER audit_no_update && CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT 1; END"
                    + "|audit_no_update (changed)"})
    void aDatabaseThatLostAnAppendOnlyTriggerIsNotOpened(String tamperAndNamed) throws SQLException {
        String[] parts = tamperAndNamed.split("\\|");
        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            store.tryAppend(audit(DAY, 1, "alice", null));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteAuditStore.FILE_NAME));
                Statement s = c.createStatement()) {
            for (String statement : parts[0].split(" && ")) {
                s.executeUpdate(statement);
            }
        }

        assertThatThrownBy(() -> SqliteAuditStore.open(home)).isInstanceOf(health.vigil.error.StoreException.class)
                .hasMessageContaining("lost its append-only protection").hasMessageContaining(parts[1])
                .hasMessageContaining("vigil audit verify");
    }

    @Test
    void recordsSurviveARestart() {
        AuditRecord first = audit(DAY, 1, "alice", null);
        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            store.tryAppend(first);
        }

        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            assertThat(store.read(DAY)).containsExactly(first);
            assertThat(store.partitions()).containsExactly(DAY);
            assertThat(store.tryAppend(audit(DAY, 1, "mallory", null))).isFalse();
        }
    }

    @Test
    void anAuditDatabaseFromBeforeIdempotencyKeysGainsThemAndKeepsItsRecords() throws SQLException {
        AuditRecord old = audit(DAY, 1, "alice", null);
        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            store.tryAppend(old);
        }
        // Take the file back to schema version 1, as the previous release left it.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteAuditStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE audit_keys");
            s.execute("PRAGMA user_version = 1");
        }

        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            AuditRecord keyed = audit(DAY, 2, "bob", old.hash());
            assertThat(store.tryAppendOnce("deployment:readmission:revision-1", keyed).appended()).isTrue();
            assertThat(store.findByKey("deployment:readmission:revision-1")).contains(keyed);
            assertThat(store.read(DAY)).containsExactly(old, keyed);
        }
    }

    @Test
    void sqlFromAnyConnectionCannotRebindOrForgetAnIdempotencyKey() throws SQLException {
        AuditRecord first = audit(DAY, 1, "alice", null);
        try (SqliteAuditStore store = SqliteAuditStore.open(home)) {
            store.tryAppendOnce("k", first);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqliteAuditStore.FILE_NAME));
                    Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.executeUpdate("UPDATE audit_keys SET sequence = 2"))
                        .hasMessageContaining("bound once");
                assertThatThrownBy(() -> s.executeUpdate("DELETE FROM audit_keys"))
                        .hasMessageContaining("bound once");
                assertThatThrownBy(() -> s.executeUpdate(
                        "INSERT OR REPLACE INTO audit_keys (key, partition, sequence) VALUES ('k', '2026-03-01', 9)"))
                        .hasMessageContaining("bound once");
            }
            assertThat(store.findByKey("k")).contains(first);
        }
    }
}

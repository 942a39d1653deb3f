package health.vigil.adapter.local;

import health.vigil.port.AuditRecordUnreadableException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * The local audit log in {@code {home}/audit.db}: one row per record keyed by (partition, sequence). Triggers
 * make the table append-only, so a mistaken or hostile UPDATE, DELETE or INSERT OR REPLACE through any SQLite
 * connection is refused; the hash chain the audit service writes is what detects edits made below SQL. The
 * {@code audit_keys} table binds each idempotency key to its record, written in the record's own transaction.
 */
final class SqliteAuditStore implements AuditStore, AutoCloseable {
    public static final String FILE_NAME = "audit.db";
    private static final List<String> SCHEMA_1 = List.of(
            "CREATE TABLE audit (partition TEXT NOT NULL, sequence INTEGER NOT NULL, id TEXT NOT NULL,"
                    + " document TEXT NOT NULL, PRIMARY KEY (partition, sequence)) WITHOUT ROWID",
            "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
                    + " BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE is not allowed'); END",
            "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
                    + " BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE is not allowed'); END",
            // INSERT OR REPLACE deletes the old row without firing delete triggers (unless recursive triggers
            // are on in the tamperer's connection), so an insert onto an existing key is refused here too.
            "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit"
                    + " WHEN EXISTS (SELECT 1 FROM audit WHERE partition = NEW.partition AND sequence = NEW.sequence)"
                    + " BEGIN SELECT RAISE(ABORT, 'audit records are append-only: the sequence is taken'); END");
    /** Version 2: the idempotency keys of {@code recordOnce}, each bound once to the record it was appended as. */
    private static final List<String> SCHEMA_2 = List.of(
            "CREATE TABLE audit_keys (key TEXT PRIMARY KEY, partition TEXT NOT NULL, sequence INTEGER NOT NULL)"
                    + " WITHOUT ROWID",
            "CREATE TRIGGER audit_keys_no_update BEFORE UPDATE ON audit_keys"
                    + " BEGIN SELECT RAISE(ABORT, 'audit keys are bound once: UPDATE is not allowed'); END",
            "CREATE TRIGGER audit_keys_no_delete BEFORE DELETE ON audit_keys"
                    + " BEGIN SELECT RAISE(ABORT, 'audit keys are bound once: DELETE is not allowed'); END",
            "CREATE TRIGGER audit_keys_no_replace BEFORE INSERT ON audit_keys"
                    + " WHEN EXISTS (SELECT 1 FROM audit_keys WHERE key = NEW.key)"
                    + " BEGIN SELECT RAISE(ABORT, 'audit keys are bound once: the key is taken'); END");

    private final SqliteDatabase db;

    private SqliteAuditStore(SqliteDatabase db) {
        this.db = db;
    }

    /**
     * Opens the audit log under {@code home}; commits use {@code synchronous=FULL}, since audit is evidence. A database
     * whose append-only triggers are gone or changed (dropped or replaced from another connection, which SQLite
     * allows) is not opened: the records may have been changed or removed below Vigil since, and writing on would
     * hide it. The message says what is missing and where to start (the failed-verification runbook).
     */
    public static SqliteAuditStore open(Path home) {
        Objects.requireNonNull(home, "home");
        Path file = home.resolve(FILE_NAME);
        SqliteDatabase db = SqliteDatabase.open(file, "audit database", SQLiteConfig.SynchronousMode.FULL,
                List.of(SCHEMA_1, SCHEMA_2));
        try {
            requireTriggers(db, file);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return new SqliteAuditStore(db);
    }

    /** The triggers of the schema, by name, as their CREATE statements were written. */
    private static java.util.Map<String, String> expectedTriggers() {
        java.util.Map<String, String> triggers = new java.util.TreeMap<>();
        for (List<String> schema : List.of(SCHEMA_1, SCHEMA_2)) {
            for (String ddl : schema) {
                if (ddl.startsWith("CREATE TRIGGER ")) {
                    triggers.put(ddl.substring("CREATE TRIGGER ".length()).split(" ", 2)[0], ddl);
                }
            }
        }
        return triggers;
    }

    private static void requireTriggers(SqliteDatabase db, Path file) {
        java.util.Map<String, String> found = db.read("check the audit database's append-only triggers", c -> {
            java.util.Map<String, String> triggers = new java.util.TreeMap<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")) {
                while (rs.next()) {
                    triggers.put(rs.getString(1), rs.getString(2));
                }
            }
            return triggers;
        });
        List<String> wrong = new ArrayList<>();
        expectedTriggers().forEach((name, ddl) -> {
            if (!ddl.equals(found.get(name))) {
                wrong.add(name + (found.containsKey(name) ? " (changed)" : " (missing)"));
            }
        });
        if (!wrong.isEmpty()) {
            throw new StoreException("the audit database at " + file + " has lost its append-only protection: "
                    + String.join(", ", wrong) + ". Its records may have been changed or removed since, so it is not"
                    + " opened: verify the log against its last export (vigil audit verify) and follow"
                    + " docs/runbooks/failed-verification.md before restoring the triggers", null);
        }
    }

    @Override
    public Optional<AuditRecord> last(String partition) {
        requirePartition(partition);
        return db.read("read the last audit record of " + partition, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT document FROM audit WHERE partition = ? ORDER BY sequence DESC LIMIT 1")) {
                s.setString(1, partition);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(recordFrom(rs.getString(1))) : Optional.<AuditRecord>empty();
                }
            }
        });
    }

    @Override
    public boolean tryAppend(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        requirePartition(record.partition());
        return db.write("append an audit record to " + record.partition(), c -> appendIfFree(c, record));
    }

    /** One transaction under SQLite's write lock: the key's binding and the record land together or not at all. */
    @Override
    public KeyedAppend tryAppendOnce(String key, AuditRecord record) {
        requireKey(key);
        Objects.requireNonNull(record, "record");
        requirePartition(record.partition());
        return db.write("append the audit record of " + record.action() + " once", c -> {
            Optional<AuditRecord> earlier = recordOfKey(c, key);
            if (earlier.isPresent()) {
                return KeyedAppend.alreadyRecorded(earlier.get());
            }
            if (!appendIfFree(c, record)) {
                return KeyedAppend.SEQUENCE_TAKEN;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO audit_keys (key, partition, sequence) VALUES (?, ?, ?)")) {
                s.setString(1, key);
                s.setString(2, record.partition());
                s.setLong(3, record.sequence());
                s.executeUpdate();
            }
            return KeyedAppend.APPENDED;
        });
    }

    @Override
    public Optional<AuditRecord> findByKey(String key) {
        requireKey(key);
        return db.read("look up an audit record by its idempotency key", c -> recordOfKey(c, key));
    }

    private static Optional<AuditRecord> recordOfKey(Connection c, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT a.document FROM audit_keys k"
                + " LEFT JOIN audit a ON a.partition = k.partition AND a.sequence = k.sequence WHERE k.key = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String document = rs.getString(1);
                if (document == null) {
                    throw new StoreException("an idempotency key of the audit log names a record that is not in the"
                            + " audit database; the database was changed below SQL: verify the chain and restore it"
                            + " from a backup", null);
                }
                return Optional.of(recordFrom(document));
            }
        }
    }

    private static boolean appendIfFree(Connection c, AuditRecord record) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT 1 FROM audit WHERE partition = ? AND sequence = ?")) {
            s.setString(1, record.partition());
            s.setLong(2, record.sequence());
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    return false;
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO audit (partition, sequence, id, document) VALUES (?, ?, ?, ?)")) {
            s.setString(1, record.partition());
            s.setLong(2, record.sequence());
            s.setString(3, record.id());
            s.setString(4, Json.write(record));
            s.executeUpdate();
        }
        return true;
    }

    @Override
    public List<AuditRecord> read(String partition) {
        requirePartition(partition);
        return read(partition, 1, Integer.MAX_VALUE);
    }

    @Override
    public List<AuditRecord> read(String partition, long fromSequence, int limit) {
        requirePartition(partition);
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative");
        }
        return db.read("read the audit records of " + partition, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT sequence, document FROM audit"
                    + " WHERE partition = ? AND sequence >= ? ORDER BY sequence LIMIT ?")) {
                s.setString(1, partition);
                s.setLong(2, fromSequence);
                s.setInt(3, limit);
                List<AuditRecord> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(recordFrom(partition, rs.getLong(1), rs.getString(2), out));
                    }
                }
                return List.copyOf(out);
            }
        });
    }

    @Override
    public List<String> partitions() {
        return db.read("list the audit partitions", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT partition FROM audit ORDER BY partition");
                    ResultSet rs = s.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return List.copyOf(out);
            }
        });
    }

    @Override
    public void close() {
        db.close();
    }

    private static AuditRecord recordFrom(String json) {
        try {
            return Json.read("stored audit record", json.getBytes(StandardCharsets.UTF_8), AuditRecord.class);
        } catch (ValidationException e) {
            throw new StoreException("a stored audit record cannot be read; the audit database is damaged: verify"
                    + " the chain and restore the database from a backup", e);
        }
    }

    /** The record stored at {@code partition}#{@code sequence}; one that does not read is named. */
    private static AuditRecord recordFrom(String partition, long sequence, String json, List<AuditRecord> before) {
        try {
            return Json.read("stored audit record", json.getBytes(StandardCharsets.UTF_8), AuditRecord.class);
        } catch (ValidationException e) {
            throw new AuditRecordUnreadableException(partition, sequence, "not a valid audit record", e, before);
        }
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new ValidationException("the idempotency key of an audit record is missing: name the decision it records");
        }
    }

    private static void requirePartition(String partition) {
        if (partition == null || partition.isBlank()) {
            throw new ValidationException("the audit partition is missing: partitions are UTC days such as 2026-01-31");
        }
    }
}

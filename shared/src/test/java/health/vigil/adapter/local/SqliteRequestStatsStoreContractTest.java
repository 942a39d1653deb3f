package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.contract.RequestStatsStoreContract;
import health.vigil.json.Json;
import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.port.RequestStatsStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
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
    void theCountsOfAFileWrittenBeforeStepsWereRecordedAreReadWithoutAStep(@TempDir Path older) throws Exception {
        OwnerOnlyFiles.createFileIfAbsent(older.resolve(SqliteRequestStatsStore.FILE_NAME));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + older.resolve(SqliteRequestStatsStore.FILE_NAME));
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE request_stats (model TEXT NOT NULL, minute INTEGER NOT NULL, version INTEGER NOT"
                    + " NULL, slot TEXT NOT NULL, instance TEXT NOT NULL, answered INTEGER NOT NULL, refused INTEGER NOT"
                    + " NULL, failed INTEGER NOT NULL, latency TEXT NOT NULL,"
                    + " PRIMARY KEY (model, minute, version, slot, instance))");
            s.execute("CREATE INDEX request_stats_by_minute ON request_stats (minute)");
            s.execute("INSERT INTO request_stats VALUES ('readmission', 1772355540, 2, 'CANARY', 'a', 40, 1, 3, '"
                    + Json.write(new long[LatencyHistogram.BUCKETS]) + "')");
            s.execute("PRAGMA user_version = 1");
        }

        try (RequestStatsStore upgraded = SqliteRequestStatsStore.open(older)) {
            assertThat(upgraded.read(new ModelName("readmission"), Instant.parse("2026-03-01T08:59:00Z"),
                    Instant.parse("2026-03-01T09:00:00Z"))).singleElement().satisfies(r -> {
                        assertThat(r.step()).isNull();
                        assertThat(r.slot()).isEqualTo(Slot.CANARY);
                        assertThat(List.of(r.answered(), r.refused(), r.failed())).containsExactly(40L, 1L, 3L);
                    });
        }
    }

    @Test
    void theDatabaseFileIsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                home.resolve(SqliteRequestStatsStore.FILE_NAME)))).isEqualTo("rw-------");
    }
}

package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/** What every store's database connection is set up to do, and not to do. */
class SqliteDatabaseTest {
    @TempDir
    Path home;

    @Test
    void anInsertRunsNoSecondStatementForGeneratedKeysOnEitherConnection() {
        SqliteDatabase db = SqliteDatabase.open(home.resolve("rows.db"), "test database",
                SQLiteConfig.SynchronousMode.NORMAL, 1, List.of("CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT)"));
        try {
            Boolean writerKeys = db.write("insert a row", c -> {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO rows (v) VALUES (?)")) {
                    s.setString(1, "a");
                    s.executeUpdate();
                }
                return c.unwrap(SQLiteConnection.class).getConnectionConfig().isGetGeneratedKeys();
            });
            Boolean readerKeys = db.read("read the rows", c -> c.unwrap(SQLiteConnection.class)
                    .getConnectionConfig().isGetGeneratedKeys());

            int rows = db.read("count the rows", c -> SqliteDatabase.queryInt(c, "SELECT count(*) FROM rows"));

            assertThat(writerKeys).isFalse();
            assertThat(readerKeys).isFalse();
            assertThat(rows).isEqualTo(1);
        } finally {
            db.close();
        }
    }
}

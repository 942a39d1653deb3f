package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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

    @Test
    void aBackgroundCheckpointCopiesTheLogIntoTheFileSoThatItStartsAgainWhileTheWriterNeverCheckpoints() {
        Path file = home.resolve("log.db");
        SqliteDatabase db = SqliteDatabase.open(file, "test database", SQLiteConfig.SynchronousMode.NORMAL, 1,
                List.of("CREATE TABLE rows (id INTEGER PRIMARY KEY, v BLOB)"));
        try {
            assertThat(db.checkpointInBackground("test-checkpoint", 8)).isTrue();
            int writerAutoCheckpoint = db.write("read the writer's setting",
                    c -> SqliteDatabase.queryInt(c, "PRAGMA wal_autocheckpoint"));
            for (int i = 0; i < 200; i++) {
                insert(db);
                db.checkpointIfDue();
            }
            // Once a checkpoint has caught up, the next commit writes the log from its beginning again.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int frames;
            do {
                insert(db);
                frames = db.commitMark().lastFrame();
                db.checkpointIfDue();
            } while (frames >= 8 && System.nanoTime() < deadline && pause());

            assertThat(writerAutoCheckpoint).isZero();
            assertThat(db.backgroundCheckpoints()).isPositive();
            assertThat(frames).isLessThan(8);
            int rows = db.read("count the rows", c -> SqliteDatabase.queryInt(c, "SELECT count(*) FROM rows"));
            assertThat(rows).isGreaterThan(200);
        } finally {
            db.close();
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("test-checkpoint"));
        SqliteDatabase again = SqliteDatabase.open(file, "test database", SQLiteConfig.SynchronousMode.NORMAL, 1,
                List.of("CREATE TABLE rows (id INTEGER PRIMARY KEY, v BLOB)"));
        try {
            int rows = again.read("count the rows", c -> SqliteDatabase.queryInt(c, "SELECT count(*) FROM rows"));
            assertThat(rows).isGreaterThan(200);
        } finally {
            again.close();
        }
    }

    /**
     * A writer that commits without pause never leaves a background checkpoint time to catch up between two commits,
     * which is what lets the log start again; the background thread held before every checkpoint stands for that.
     * Past eight times the checkpoint length the writer checkpoints the log itself, so it and its file stay bounded.
     */
    @Test
    void aWriterThatNeverLetsABackgroundCheckpointCatchUpKeepsTheLogWithinEightTimesItsLength() throws Exception {
        Path file = home.resolve("log.db");
        SqliteDatabase db = SqliteDatabase.open(file, "test database", SQLiteConfig.SynchronousMode.NORMAL, 1,
                List.of("CREATE TABLE rows (id INTEGER PRIMARY KEY, v BLOB)"));
        CountDownLatch release = new CountDownLatch(1);
        int pages = 8;
        int bound = pages * SqliteDatabase.WRITER_CHECKPOINT_FACTOR;
        int longest = 0;
        int longestCommit = 0;
        int framesAtFirstWriterCheckpoint = -1;
        try {
            db.checkpointInBackground("test-checkpoint", pages, () -> awaitQuietly(release));
            for (int i = 0; i < 300; i++) {
                int before = db.commitMark().lastFrame();
                insert(db);
                int frames = db.commitMark().lastFrame();
                longestCommit = Math.max(longestCommit, frames < before ? frames : frames - before);
                longest = Math.max(longest, frames);
                db.checkpointIfDue();
                if (framesAtFirstWriterCheckpoint < 0 && db.writerCheckpoints() > 0) {
                    framesAtFirstWriterCheckpoint = frames;
                }
            }

            assertThat(db.backgroundCheckpoints()).as("held before each of them").isZero();
            assertThat(longest).isLessThan(bound + longestCommit);
            // Frames of the page size (SQLite's default, 4 KiB) and a 24-byte header each, after a 32-byte header.
            assertThat(Files.size(home.resolve("log.db-wal"))).isLessThanOrEqualTo(32L
                    + (long) (bound + longestCommit) * (4096 + 24));
            assertThat(framesAtFirstWriterCheckpoint).as("the writer left the log alone below the bound")
                    .isGreaterThanOrEqualTo(bound);
            int rows = db.read("count the rows", c -> SqliteDatabase.queryInt(c, "SELECT count(*) FROM rows"));
            assertThat(rows).isEqualTo(300);
        } finally {
            release.countDown();
            db.close();
        }
    }

    @Test
    void aPurgesTruncationWaitsForABackgroundCheckpointInsteadOfFailing() throws Exception {
        SqliteDatabase db = SqliteDatabase.open(home.resolve("log.db"), "test database",
                SQLiteConfig.SynchronousMode.NORMAL, 1, List.of("CREATE TABLE rows (id INTEGER PRIMARY KEY, v BLOB)"));
        try {
            db.checkpointInBackground("test-checkpoint", 1);
            int truncated = 0;
            for (int i = 0; i < 100; i++) {
                insert(db);
                db.checkpointIfDue();
                truncated += db.truncateWal("truncate the log") ? 1 : 0;
            }

            assertThat(truncated).isEqualTo(100);
        } finally {
            db.close();
        }
    }

    private static void insert(SqliteDatabase db) {
        db.write("insert a row", c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO rows (v) VALUES (?)")) {
                s.setBytes(1, new byte[10_000]);
                s.executeUpdate();
            }
            return null;
        });
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(5);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

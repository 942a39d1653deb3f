package health.vigil.adapter.local;

import health.vigil.error.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * One SQLite file of the local platform, opened in WAL mode: a single writer connection behind a fair lock
 * (SQLite admits one writer at a time, so writers queue here instead of spinning on SQLITE_BUSY) and a small
 * pool of read-only connections that WAL lets run alongside the writer. {@code busy_timeout} covers the
 * remaining case of another process (the CLI next to {@code vigil up}) holding the write lock.
 */
final class SqliteDatabase implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SqliteDatabase.class.getName());
    static final int BUSY_TIMEOUT_MILLIS = 10_000;
    /**
     * The write-ahead log's length, in pages, at which a background checkpoint starts ({@link
     * #checkpointInBackground}): SQLite's own default for the checkpoint its writer runs.
     */
    static final int CHECKPOINT_PAGES = 1000;
    /**
     * How many times its checkpoint length the write-ahead log may grow before the writer checkpoints it itself
     * ({@link #checkpointIfDue}): a background checkpoint lets the log start again only when it catches up between two
     * commits, which a writer committing without pause never leaves it time to do.
     */
    static final int WRITER_CHECKPOINT_FACTOR = 8;
    private static final int READERS = 4;

    /** Work done on a connection; a {@link SQLException} is translated into a {@link StoreException}. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Path file;
    private final String description;
    private final SQLiteConfig readerConfig;
    private final Connection writer;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final Semaphore readerPermits = new Semaphore(READERS, true);
    private final ConcurrentLinkedDeque<Connection> idleReaders = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;
    /** Asks SQLite whether the file changed; its own connection, since a connection's own commits do not count. */
    private final ReentrantLock watchLock = new ReentrantLock();
    private Connection watcher; // guarded by watchLock
    private PreparedStatement dataVersion; // guarded by watchLock
    /** The first 48 bytes of {@code <file>-shm}, mapped on first use; null where it could not be mapped. */
    private volatile MappedByteBuffer walIndexHeader;
    private volatile boolean walIndexMapped;
    private static final int WAL_INDEX_HEADER_BYTES = 48;
    private static final int WAL_INDEX_VERSION = 3007000;
    private static final int WAL_INDEX_CHANGE = 8;
    private static final int WAL_INDEX_MAX_FRAME = 16;
    private static final int WAL_INDEX_SALT = 32;
    /** The thread that checkpoints for the writer, once {@link #checkpointInBackground} started it; else null. */
    private volatile Thread checkpointer;
    private volatile int checkpointPages;
    /**
     * Held by a background checkpoint while it runs and by {@link #truncateWal} (after the write lock), so that a
     * truncation waits for the copy under way instead of failing on SQLite's checkpoint lock.
     */
    private final ReentrantLock checkpointLock = new ReentrantLock();
    /** Background checkpoints run, and the last one's failure (null once one succeeds), for tests and messages. */
    private volatile long backgroundCheckpoints;
    private volatile String checkpointFailure;
    /** Run by the background thread before each checkpoint, outside {@link #checkpointLock} (tests hold it there). */
    private volatile Runnable beforeBackgroundCheckpoint = () -> {};
    /**
     * Checkpoints the writer ran itself past the bound, and what kept the last one from restarting the log (a reader,
     * or its failure; null when it restarted), so that a cause is logged once.
     */
    private volatile long writerCheckpoints;
    private volatile String writerCheckpointKept;

    private SqliteDatabase(Path file, String description, SQLiteConfig readerConfig, Connection writer) {
        this.file = file;
        this.description = description;
        this.readerConfig = readerConfig;
        this.writer = writer;
    }

    /**
     * Opens (creating it if needed) the database file and brings its schema to {@code schemaVersion}: a new
     * file gets {@code schema}; a file written by a newer Vigil is refused rather than misread.
     *
     * @param description what the file holds, for messages ("registry database")
     * @param synchronous the durability of a commit; see the stores for the level each one chooses
     */
    static SqliteDatabase open(Path file, String description, SQLiteConfig.SynchronousMode synchronous,
            int schemaVersion, List<String> schema) {
        if (schemaVersion != 1) {
            throw new IllegalArgumentException("a schema past version 1 is given as its migrations");
        }
        return open(file, description, synchronous, List.of(schema));
    }

    /**
     * Opens (creating it if needed) the database file and brings its schema up to date by migrations:
     * {@code migrations.get(i)} takes a file from schema version {@code i} to {@code i + 1}, in the same
     * transaction as the version bump, so a new file runs them all and an older file runs the ones it lacks.
     * A file written by a newer Vigil (a version past {@code migrations.size()}) is refused rather than misread.
     */
    static SqliteDatabase open(Path file, String description, SQLiteConfig.SynchronousMode synchronous,
            List<List<String>> migrations) {
        return open(file, description, synchronous, migrations, 0);
    }

    /**
     * As {@link #open(Path, String, SQLiteConfig.SynchronousMode, List)}, with the page size a new file gets
     * ({@code 0}: SQLite's default); a file that exists keeps the page size it was made with.
     */
    static SqliteDatabase open(Path file, String description, SQLiteConfig.SynchronousMode synchronous,
            List<List<String>> migrations, int newFilePageSize) {
        int schemaVersion = migrations.size();
        try {
            // SQLite gives the -wal and -shm files it creates the mode of the database file: an empty 0600
            // file made here (an empty file is an empty database) keeps all three owner-only from the start.
            OwnerOnlyFiles.createFileIfAbsent(file);
        } catch (IOException e) {
            throw new StoreException("cannot create the folder of the " + description + " at " + file.getParent()
                    + ": check that the Vigil home folder is writable", e);
        }
        if (newFilePageSize > 0) {
            setPageSizeOfNewFile(file, description, newFilePageSize);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(synchronous);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        // The driver otherwise matches every update's SQL against a pattern and, for an INSERT, prepares and runs
        // SELECT last_insert_rowid() after it, for getGeneratedKeys(), which no store calls.
        config.setGetGeneratedKeys(false);
        Connection writer;
        try {
            writer = config.createConnection(url(file));
        } catch (SQLException e) {
            throw translate("open the " + description + " at " + file, e);
        }
        SqliteDatabase db = new SqliteDatabase(file, description, config, writer);
        try {
            db.write("prepare the schema of the " + description, c -> {
                int found = queryInt(c, "PRAGMA user_version");
                if (found > schemaVersion) {
                    throw new StoreException("the " + description + " at " + file + " has schema version " + found
                            + ", written by a newer Vigil; this one reads up to version " + schemaVersion
                            + ": upgrade Vigil or point it at another home folder", null);
                }
                if (found < schemaVersion) {
                    try (Statement s = c.createStatement()) {
                        for (List<String> migration : migrations.subList(found, schemaVersion)) {
                            for (String ddl : migration) {
                                s.execute(ddl);
                            }
                        }
                        s.execute("PRAGMA user_version = " + schemaVersion);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /**
     * Gives a new (empty) file its page size. The size must be set before the file is in WAL mode, which fixes it,
     * so this is done on a connection of its own before the ones the database keeps.
     */
    private static void setPageSizeOfNewFile(Path file, String description, int pageSize) {
        try {
            if (java.nio.file.Files.size(file) > 0) {
                return;
            }
        } catch (IOException e) {
            throw new StoreException("cannot read the size of the " + description + " at " + file, e);
        }
        try (Connection c = new SQLiteConfig().createConnection(url(file)); Statement s = c.createStatement()) {
            s.execute("PRAGMA page_size = " + pageSize);
            s.execute("PRAGMA journal_mode = WAL");
        } catch (SQLException e) {
            throw translate("set the page size of the " + description + " at " + file, e);
        }
    }

    Path file() {
        return file;
    }

    /**
     * Runs {@code work} in an immediate transaction on the writer connection and commits it; any exception
     * rolls the transaction back and propagates ({@link SQLException} as a {@link StoreException}).
     *
     * @param action what the work does, for messages ("register a version of readmission")
     */
    <T> T write(String action, Work<T> work) {
        writeLock.lock();
        try {
            ensureOpen(action);
            try {
                exec(writer, "BEGIN IMMEDIATE");
            } catch (SQLException e) {
                throw translate(action + " in the " + description + " at " + file, e);
            }
            boolean committed = false;
            try {
                T result = work.run(writer);
                exec(writer, "COMMIT");
                committed = true;
                return result;
            } catch (SQLException e) {
                throw translate(action + " in the " + description + " at " + file, e);
            } finally {
                if (!committed) {
                    rollbackQuietly();
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Copies the write-ahead log into the file and truncates it to nothing, so that it keeps no page image of rows
     * since deleted; returns false when a reader held a snapshot and the log could not be truncated this time.
     */
    boolean truncateWal(String action) {
        writeLock.lock();
        try {
            ensureOpen(action);
            checkpointLock.lock();
            try {
                // A row of (busy, frames in the log, frames checkpointed): busy means a reader kept the log.
                return queryInt(writer, "PRAGMA wal_checkpoint(TRUNCATE)") == 0;
            } finally {
                checkpointLock.unlock();
            }
        } catch (SQLException e) {
            throw translate(action + " in the " + description + " at " + file, e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs {@code work} on a read-only connection from the pool. */
    <T> T read(String action, Work<T> work) {
        ensureOpen(action);
        readerPermits.acquireUninterruptibly();
        Connection reader = null;
        try {
            reader = idleReaders.pollFirst();
            if (reader == null) {
                reader = readerConfig.createConnection(url(file));
                exec(reader, "PRAGMA query_only = 1");
            }
            return work.run(reader);
        } catch (SQLException e) {
            throw translate(action + " in the " + description + " at " + file, e);
        } finally {
            if (reader != null) {
                idleReaders.addFirst(reader);
                // close() may have emptied the pool while this reader was out; do not leave it open.
                if (closed) {
                    closeIdleReaders();
                }
            }
            readerPermits.release();
        }
    }

    /**
     * Where the file's commits stand, changing with every commit by any connection, in this process (the
     * writer) or another, so a cache that remembers it knows whether what it holds may be stale.
     *
     * <p>It is read from the header of SQLite's shared WAL index ({@code <file>-shm}, laid out in SQLite's
     * "WAL-mode file formats" document): the change counter, the last valid WAL frame and the WAL salts, which
     * every commit moves. That is a read of shared memory, where the equivalent {@code PRAGMA data_version}
     * takes a read transaction and its file locks (5-20 us on a busy host, as long as the rest of a cached
     * read). The mapping stays valid while this database's writer connection keeps the WAL index open; where
     * it cannot be mapped, the pragma is used instead.
     */
    CommitMark commitMark() {
        ensureOpen("check whether the " + description + " changed");
        MappedByteBuffer header = walIndexHeader();
        if (header != null) {
            return new CommitMark(header.getInt(WAL_INDEX_CHANGE), header.getInt(WAL_INDEX_MAX_FRAME),
                    header.getLong(WAL_INDEX_SALT));
        }
        return new CommitMark(0, 0, dataVersion());
    }

    /** The WAL index header, mapped on first use; null where it cannot be mapped. */
    private MappedByteBuffer walIndexHeader() {
        if (!walIndexMapped) {
            // After open() the writer has committed the schema check, so the WAL index exists.
            walIndexHeader = mapWalIndexHeader(file);
            walIndexMapped = true;
        }
        return walIndexHeader;
    }

    /** See {@link #commitMark()}; equal marks mean no commit in between. */
    record CommitMark(int change, int lastFrame, long salt) {}

    private long dataVersion() {
        watchLock.lock();
        try {
            if (watcher == null) {
                watcher = readerConfig.createConnection(url(file));
                exec(watcher, "PRAGMA query_only = 1");
                dataVersion = watcher.prepareStatement("PRAGMA data_version");
            }
            try (ResultSet rs = dataVersion.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw translate("check whether the " + description + " at " + file + " changed", e);
        } finally {
            watchLock.unlock();
        }
    }

    /** The WAL index header, mapped read-only, or null if it is not there or not in the expected format. */
    private static MappedByteBuffer mapWalIndexHeader(Path file) {
        Path shm = Path.of(file.toAbsolutePath() + "-shm");
        try (FileChannel channel = FileChannel.open(shm, StandardOpenOption.READ)) {
            if (channel.size() < WAL_INDEX_HEADER_BYTES) {
                return null;
            }
            MappedByteBuffer header = channel.map(FileChannel.MapMode.READ_ONLY, 0, WAL_INDEX_HEADER_BYTES);
            header.order(ByteOrder.nativeOrder());
            return header.getInt(0) == WAL_INDEX_VERSION ? header : null;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * From now on the writer's commits leave the write-ahead log to a thread of this database's own, which copies it
     * into the file (a passive checkpoint, on a connection of its own) when {@link #checkpointIfDue} finds it at
     * least {@code pages} pages long. SQLite otherwise runs that checkpoint inside the commit that passes the
     * length: with the prediction log's 64 KiB pages, 64 MiB copied and forced to the disk in 30-100 ms, during
     * which the writer and everyone waiting on it stand still (docs/benchmarks.md). A passive checkpoint takes no
     * lock the writer needs, so commits go on meanwhile; the log starts again from its beginning at the first
     * commit after a checkpoint that caught up, and a writer that never leaves one time to catch up checkpoints the
     * log itself past {@link #WRITER_CHECKPOINT_FACTOR} times {@code pages}. Where SQLite's shared index cannot be
     * read (see {@link #commitMark}), the log's length is unknown and the writer keeps checkpointing itself. Returns
     * whether the background thread runs.
     */
    boolean checkpointInBackground(String threadName, int pages) {
        return checkpointInBackground(threadName, pages, () -> {});
    }

    /**
     * {@link #checkpointInBackground(String, int)}, the thread running {@code beforeCheckpoint} each time it wakes,
     * before it checkpoints (tests hold it there to stand for checkpoints that never catch up).
     */
    boolean checkpointInBackground(String threadName, int pages, Runnable beforeCheckpoint) {
        beforeBackgroundCheckpoint = beforeCheckpoint;
        writeLock.lock();
        try {
            ensureOpen("start the background checkpoints");
            if (checkpointer != null) {
                return true;
            }
            if (walIndexHeader() == null) {
                return false;
            }
            Connection connection = null;
            try {
                connection = readerConfig.createConnection(url(file));
                exec(connection, "PRAGMA wal_autocheckpoint = 0");
                exec(writer, "PRAGMA wal_autocheckpoint = 0");
            } catch (SQLException e) {
                if (connection != null) {
                    closeQuietly(connection);
                }
                throw translate("open a connection for background checkpoints of the " + description + " at "
                        + file, e);
            }
            checkpointPages = pages;
            Connection own = connection;
            Thread thread = new Thread(() -> checkpointLoop(own), threadName);
            thread.setDaemon(true);
            checkpointer = thread;
            thread.start();
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Wakes the background checkpoint when the write-ahead log is at least its length: one read of shared
     * memory, for the writer to call after its commits, outside a transaction. Does nothing without {@link
     * #checkpointInBackground}. Past {@link #WRITER_CHECKPOINT_FACTOR} times the length the writer also checkpoints
     * the log itself, there and then ({@link #checkpointByTheWriter}), so that it starts again at the next commit.
     */
    void checkpointIfDue() {
        Thread thread = checkpointer;
        MappedByteBuffer header = walIndexHeader;
        if (thread == null || header == null) {
            return;
        }
        int frames = header.getInt(WAL_INDEX_MAX_FRAME);
        if (frames >= checkpointPages) {
            LockSupport.unpark(thread);
        }
        if (frames >= (long) checkpointPages * WRITER_CHECKPOINT_FACTOR) {
            checkpointByTheWriter(frames);
        }
    }

    /**
     * Copies what the background checkpoints left of the write-ahead log into the file and makes the next commit
     * write the log from its beginning again (a RESTART checkpoint, on the writer's connection between its
     * transactions). It waits for a background checkpoint under way, not for readers: one holding an older snapshot
     * keeps the log from starting again, as it would keep SQLite's own checkpoint, and the writer tries again after
     * its next commit. A failure is logged, never thrown: the commit before it is done.
     */
    private void checkpointByTheWriter(int frames) {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            checkpointLock.lock();
            try {
                SQLiteConnection connection = writer.unwrap(SQLiteConnection.class);
                boolean restarted;
                connection.setBusyTimeout(0);
                try {
                    // A row of (busy, frames in the log, frames checkpointed): busy means a reader kept the log.
                    restarted = queryInt(writer, "PRAGMA wal_checkpoint(RESTART)") == 0;
                } finally {
                    connection.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
                }
                writerCheckpoints++;
                keptBy(restarted ? null : "a reader kept it from starting again", frames);
            } finally {
                checkpointLock.unlock();
            }
        } catch (SQLException e) {
            keptBy(translate("checkpoint it from the writer", e).getMessage(), frames);
        } finally {
            writeLock.unlock();
        }
    }

    /** Logs why the writer's checkpoint left the log as long as it was, once for each cause in a row. */
    private void keptBy(String cause, int frames) {
        if (cause != null && !cause.equals(writerCheckpointKept)) {
            LOG.warning(() -> "the write-ahead log of the " + description + " at " + file + " has " + frames
                    + " pages, past " + WRITER_CHECKPOINT_FACTOR + " times the " + checkpointPages + " at which it is"
                    + " checkpointed, and " + cause + "; the writer tries again after each commit");
        }
        writerCheckpointKept = cause;
    }

    /** How many checkpoints the writer ran itself, the log being past its bound ({@link #checkpointIfDue}). */
    long writerCheckpoints() {
        return writerCheckpoints;
    }

    /** How many background checkpoints have run. */
    long backgroundCheckpoints() {
        return backgroundCheckpoints;
    }

    private void checkpointLoop(Connection connection) {
        try {
            while (!closed) {
                LockSupport.park(this);
                if (closed) {
                    return;
                }
                beforeBackgroundCheckpoint.run();
                checkpointLock.lock();
                try {
                    exec(connection, "PRAGMA wal_checkpoint(PASSIVE)");
                    backgroundCheckpoints++;
                    if (checkpointFailure != null) {
                        checkpointFailure = null;
                        LOG.info(() -> "background checkpoints of the " + description + " succeed again");
                    }
                } catch (SQLException e) {
                    // The log stays as it is and grows; the writer's next commit past the length wakes this again.
                    String failure = translate("checkpoint the " + description + " at " + file, e).getMessage();
                    if (!failure.equals(checkpointFailure)) {
                        LOG.log(Level.WARNING, failure);
                    }
                    checkpointFailure = failure;
                } finally {
                    checkpointLock.unlock();
                }
            }
        } finally {
            closeQuietly(connection);
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread thread = checkpointer;
        if (thread != null) {
            // A checkpoint under way finishes first: its connection is closed by its own thread.
            LockSupport.unpark(thread);
            if (joinUninterruptibly(thread)) {
                Thread.currentThread().interrupt();
            }
        }
        writeLock.lock();
        try {
            closeQuietly(writer);
        } finally {
            writeLock.unlock();
        }
        watchLock.lock();
        try {
            if (watcher != null) {
                closeQuietly(watcher);
                watcher = null;
                dataVersion = null;
            }
        } finally {
            watchLock.unlock();
        }
        closeIdleReaders();
    }

    static int queryInt(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /**
     * A {@link StoreException} that says what failed, where, and what usually fixes it; the SQLite message
     * is kept only as the cause, since it is the place where store content could surface.
     */
    static StoreException translate(String action, SQLException e) {
        String code = e instanceof SQLiteException se ? se.getResultCode().name() : "SQL state " + e.getSQLState();
        return new StoreException("cannot " + action + " (" + code + ")" + hint(e), e);
    }

    private static String hint(SQLException e) {
        if (!(e instanceof SQLiteException se)) {
            return "";
        }
        SQLiteErrorCode code = se.getResultCode();
        int primary = code.code & 0xff;
        if (primary == SQLiteErrorCode.SQLITE_BUSY.code || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
            return ": another process held the database for longer than " + BUSY_TIMEOUT_MILLIS / 1000
                    + " s; retry, and check for a stuck Vigil process";
        }
        if (primary == SQLiteErrorCode.SQLITE_FULL.code) {
            return ": the disk is full; free space and retry";
        }
        if (primary == SQLiteErrorCode.SQLITE_READONLY.code || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code
                || primary == SQLiteErrorCode.SQLITE_PERM.code) {
            return ": check that the Vigil home folder and its files are writable by this user";
        }
        if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
            return ": the file is damaged or is not a SQLite database; restore it from a backup";
        }
        return "";
    }

    private void ensureOpen(String action) {
        if (closed) {
            throw new StoreException("cannot " + action + ": the " + description + " at " + file + " is closed", null);
        }
    }

    private void rollbackQuietly() {
        try {
            if (!writer.isClosed()) {
                exec(writer, "ROLLBACK");
            }
        } catch (SQLException ignored) {
            // SQLite may already have rolled back (for example after SQLITE_FULL); nothing is left to undo.
        }
    }

    private void closeIdleReaders() {
        for (Connection c; (c = idleReaders.pollFirst()) != null; ) {
            closeQuietly(c);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Closing releases the file handle either way; there is nothing the caller could do.
        }
    }

    /** Waits for {@code thread} to end, through interrupts; returns whether the caller was interrupted meanwhile. */
    static boolean joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    private static String url(Path file) {
        return "jdbc:sqlite:" + file.toAbsolutePath();
    }
}
